import { expect } from 'chai';
import {
  decodeKey, describeKey, encodeKey, inRangesSql, intKeyText, keyIn, keyLiterals, keyNotIn, keyOf, keyTextExpr, lexCompare, orderBy, rangeWhere, type KeySource, type TableKey,
} from '../lib/keys.ts';

const c = (name: string, dataType: string, over: Partial<KeySource['allColumns'][number]> = {}) => ({ name, dataType, columnType: dataType, nullable: false, generated: false, charset: null, collation: null, ...over });
const UUID = c('id', 'char', { columnType: 'char(36)', charset: 'utf8mb4', collation: 'utf8mb4_general_ci' });
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex').toUpperCase();

describe('split-db keys (pure)', () => {
  it('takes the primary key, else the first NOT NULL unique key, else refuses with what to add', () => {
    expect(keyOf({ name: 't', pk: ['id'], allColumns: [UUID] })).to.deep.equal({ key: { index: 'PRIMARY', columns: [{ name: 'id', kind: 'string', charset: 'utf8mb4', collation: 'utf8mb4_general_ci' }] } });
    const uq = keyOf({ name: 't', pk: [], allColumns: [c('a', 'int', { nullable: true }), c('b', 'varbinary'), c('d', 'datetime')],
      uniqueKeys: [{ name: 'uq_a', columns: ['a'] }, { name: 'uq_bd', columns: ['b', 'd'] }] });
    expect(uq).to.deep.equal({ key: { index: 'uq_bd', columns: [{ name: 'b', kind: 'binary', charset: null, collation: null }, { name: 'd', kind: 'datetime', charset: null, collation: null }] } });
    const none = keyOf({ name: 't', pk: [], allColumns: [c('a', 'int', { nullable: true })], uniqueKeys: [{ name: 'uq_a', columns: ['a'] }] });
    expect(none).to.have.property('refusal').that.matches(/^t: no primary key and no usable unique key \(unique key uq_a allows NULL in a\); add a PRIMARY KEY/);
    expect(keyOf({ name: 't', pk: ['f'], allColumns: [c('f', 'float')] })).to.deep.equal({
      refusal: 't: no usable primary key and no NOT NULL unique key (primary key (f): f is float: FLOAT is approximate (equal values may not compare equal)); add a PRIMARY KEY (or a UNIQUE key over NOT NULL columns) of integer, DECIMAL, CHAR/VARCHAR, BINARY/VARBINARY, DATE or DATETIME columns',
    });
    expect(keyOf({ name: 't', pk: ['e'], allColumns: [c('e', 'enum', { columnType: "enum('a','b')" })] })).to.have.property('refusal').that.contains('ENUM sorts by index');
    expect(keyOf({ name: 't', pk: ['s'], pkPartial: true, allColumns: [c('s', 'varchar', { charset: 'utf8mb4', collation: 'utf8mb4_bin' })] })).to.have.property('refusal').that.contains('column prefix');
    // an unusable primary key falls back to a NOT NULL unique key
    expect(keyOf({ name: 't', pk: ['f'], allColumns: [c('f', 'double'), c('u', 'bigint')], uniqueKeys: [{ name: 'uq_u', columns: ['u'] }] })).to.deep.equal({
      key: { index: 'uq_u', columns: [{ name: 'u', kind: 'int', charset: null, collation: null }] },
    });
  });

  const composite: TableKey = { index: 'PRIMARY', columns: [
    { name: 'a', kind: 'string', charset: 'utf8mb4', collation: 'utf8mb4_general_ci' }, { name: 'b', kind: 'int', charset: null, collation: null }, { name: 'c', kind: 'binary', charset: null, collation: null },
  ] };

  it('writes exact literals in the column charset and collation; validates what it inlines', () => {
    const k = encodeKey([hex("O'Brien 😀"), hex('-9223372036854775808'), '00FF10']);
    expect(keyLiterals(composite, k)).to.deep.equal([`_utf8mb4 X'${hex("O'Brien 😀")}' COLLATE utf8mb4_general_ci`, '-9223372036854775808', "X'00FF10'"]);
    expect(() => keyLiterals(composite, encodeKey([hex('x'), hex('1 OR 1=1'), '00']))).to.throw(/not a valid int/);
    expect(() => keyLiterals(composite, '["41","31"]')).to.throw(/not a key/);
    expect(() => keyLiterals(composite, `["41","31","0' OR 1"]`)).to.throw(/not a key/);
    const d: TableKey = { index: 'PRIMARY', columns: [{ name: 'd', kind: 'datetime', charset: null, collation: null }, { name: 'n', kind: 'decimal', charset: null, collation: null }] };
    expect(keyLiterals(d, encodeKey([hex('2024-02-29 23:59:59.123456'), hex('-12.50')]))).to.deep.equal(["'2024-02-29 23:59:59.123456'", '-12.50']);
    expect(() => keyLiterals(d, encodeKey([hex("2024-01-01'"), hex('1')]))).to.throw(/not a valid datetime/);
    // older documents: a bare integer is a one-column integer key
    const id: TableKey = { index: 'PRIMARY', columns: [{ name: 'id', kind: 'int', charset: null, collation: null }] };
    expect(decodeKey(id, '18446744073709551615')).to.deep.equal([hex('18446744073709551615')]);
    expect(intKeyText('42')).to.equal(`["${hex('42')}"]`);
    expect(describeKey(composite, k)).to.equal(`(a, b, c)=('O''Brien 😀', -9223372036854775808, X'00FF10')`);
  });

  it('expands composite ranges lexicographically, looks keys up with a row IN list, and asks the server about ranges', () => {
    expect(lexCompare(['a', 'b', 'c'], ['1', '2', '3'], '>')).to.equal('(a > 1 OR (a = 1 AND (b > 2 OR (b = 2 AND c > 3))))');
    expect(lexCompare(['a', 'b'], ['1', '2'], '<=')).to.equal('(a < 1 OR (a = 1 AND b <= 2))');
    const lo = encodeKey([hex('x'), hex('1'), '01']);
    const w = rangeWhere(composite, lo, null, 't');
    expect(w).to.equal(`(t.\`a\` > _utf8mb4 X'78' COLLATE utf8mb4_general_ci OR (t.\`a\` = _utf8mb4 X'78' COLLATE utf8mb4_general_ci AND (t.\`b\` > 1 OR (t.\`b\` = 1 AND t.\`c\` > X'01'))))`);
    expect(rangeWhere(composite, null, null)).to.equal('1=1');
    expect(keyIn(composite, [lo])).to.equal("(`a`, `b`, `c`) IN ((_utf8mb4 X'78' COLLATE utf8mb4_general_ci, 1, X'01'))");
    expect(keyNotIn(composite, [])).to.equal('');
    expect(orderBy(composite, true)).to.equal('`a` DESC, `b` DESC, `c` DESC');
    expect(keyTextExpr(composite, 'NEW')).to.equal(`CONCAT('["', HEX(CAST(NEW.\`a\` AS BINARY)), '","', HEX(CAST(NEW.\`b\` AS BINARY)), '","', HEX(CAST(NEW.\`c\` AS BINARY)), '"]')`);
    expect(inRangesSql(composite, [lo], [])).to.equal('SELECT (0) AS s0');
  });
});
