import { expect } from 'chai';
import { inTableOrder } from '../lib/applier.ts';
import { cascadingInto } from '../lib/capture.ts';
import { createFaults, parseFaultSpec } from '../lib/faults.ts';
import { parseManifest } from '../lib/manifest.ts';
import { DEFAULT_OPTIONS, validateOptions } from '../lib/options.ts';
import { assess, crossingForeignKeys } from '../lib/plan.ts';
import { pkFraction, tableFraction } from '../lib/progress.ts';
import { pendingRanges, splitRange } from '../lib/copier.ts';
import { intKeyText, type TableKey } from '../lib/keys.ts';
import { canonicalValue, diffRows } from '../lib/rowdiff.ts';
import { compareChunkHashes, sequenceComplete } from '../lib/rowhash.ts';
import { schemaDifferences } from '../lib/schema.ts';
import { rangeWhere } from '../lib/keys.ts';
import { checksumSql, consumeSql, pkLit, rowHashExpr, rowTriggerDdl, type ColumnInfo, type TableShape } from '../lib/sql.ts';
import { nextChunkSize, rateDelay } from '../lib/throttle.ts';
import type { TableInfo } from '../lib/introspect.ts';

const col = (name: string, over: Partial<ColumnInfo> = {}): ColumnInfo => ({ name, columnType: 'varchar(10)', dataType: 'varchar', nullable: false, generated: false, isJson: false, ...over });
const ID_KEY: TableKey = { index: 'PRIMARY', columns: [{ name: 'id', kind: 'int', charset: null, collation: null }] };
const shape: TableShape = { name: 'products', key: ID_KEY, columns: [col('id', { columnType: 'bigint(20) unsigned', dataType: 'bigint' }), col('name', { nullable: true }), col('attributes', { nullable: true, isJson: true })] };
const info = (name: string, cols: ColumnInfo[], pk = ['id']): TableInfo => ({
  name, exists: true, columns: cols.filter((c) => !c.generated), allColumns: cols, pk, pkPartial: false, uniqueKeys: [], pkType: cols.find((c) => c.name === pk[0])?.columnType ?? null,
  autoIncrement: null, rowsEstimate: 0, dataBytes: 0, indexBytes: 0, engine: 'InnoDB',
});

describe('split-db pure logic', () => {
  it('the applier writes a batch\'s tables in the link\'s order (parents first), whatever order the changes came in', () => {
    const batch = new Map([['product_images', new Set(['7'])], ['products', new Set(['3'])], ['other', new Set(['1'])]]);
    expect([...inTableOrder(batch, ['categories', 'products', 'product_images']).keys()]).to.deep.equal(['products', 'product_images', 'other']);
    expect(inTableOrder(batch, []).get('products')).to.equal(batch.get('products'));
  });

  it('validates options with one message per bad field', () => {
    const cases: Array<[Record<string, unknown>, string | null]> = [
      [{}, null],
      [{ chunkSize: '500' }, null],
      [{ chunkSize: 0 }, 'chunkSize: must be an integer between 1 and 1000000'],
      [{ freezeAbortMs: 'x' }, 'freezeAbortMs: must be an integer between 100 and 600000'],
      [{ copyMode: 'fast' }, 'copyMode: must be auto, sql or stream'],
      [{ minChunk: 10, maxChunk: 5 }, 'minChunk: must not exceed maxChunk'],
      [{ chunkSize: -1, applyBatch: 0 }, 'chunkSize: must be an integer between 1 and 1000000; applyBatch: must be an integer between 1 and 100000'],
      [{ applyLagMs: '0' }, null],
      [{ applyLagMs: 60_001 }, 'applyLagMs: must be an integer between 0 and 60000'],
    ];
    for (const [input, msg] of cases) {
      if (msg === null) expect(() => validateOptions(input)).to.not.throw();
      else expect(() => validateOptions(input)).to.throw(msg);
    }
    expect(validateOptions({ chunkSize: 5 }).chunkSize).to.equal(DEFAULT_OPTIONS.minChunk);
  });

  it('validates the manifest, prefixing errors with their path, and rejects a table owned twice', () => {
    expect(() => parseManifest({ version: 1, source: 'nope', services: {} })).to.throw(/source: must be a mysql:\/\/ DSN/);
    expect(() => parseManifest({ version: 1, source: 'mysql://root@h/legacy', services: { p: { domain: 'product', target: 'mysql://root@h/p', migrations: 'product', tables: [] } } }))
      .to.throw(/services\.p\.tables/);
    expect(() => parseManifest({ version: 1, source: 'mysql://root@h/legacy', services: {
      p: { domain: 'product', target: 'mysql://root@h/p', migrations: 'product', tables: ['t'] },
      s: { domain: 'shop', target: 'mysql://root@h/s', migrations: 'shop', tables: ['t'] },
    } })).to.throw('table t is owned by both p and s');
    expect(() => parseManifest({ version: 1, source: 'mysql://root@h/legacy', services: {
      p: { domain: 'product', target: 'mysql://root@h/p', migrations: 'product', tables: ['t'], crossingForeignKeys: { 'a.b': { action: 'keep' } } },
    } })).to.throw(/only "drop" is supported/);
  });

  it('hashes every row with SHA1 over its exact bytes, NUL-capable values after their length (\'N\' for NULL), other nullable values as \'N\' when NULL; a chunk by the sequence of row hashes, then by two 64-bit sums', () => {
    const expr = rowHashExpr(shape);
    expect(expr).to.equal("SHA1(CONCAT_WS(CHAR(0), `id`, IFNULL(LENGTH(`name`), 'N'), `name`, IFNULL(LENGTH(`attributes`), 'N'), `attributes`))");
    const seq = checksumSql('db', shape, intKeyText('10'), null);
    expect(seq).to.equal(`SELECT COUNT(*) AS n, SHA1(GROUP_CONCAT(${expr} SEPARATOR '')) AS x, @@SESSION.group_concat_max_len AS m FROM \`db\`.\`products\` WHERE \`id\` > 10`);
    expect(checksumSql('db', shape, '10', null), 'older state documents hold bare integers').to.equal(seq);
    const sums = checksumSql('db', shape, intKeyText('10'), null, [], 'sums');
    expect(sums).to.match(/WHERE `id` > 10 LIMIT 18446744073709551615\) AS rh$/);
    expect(sums).to.include('SUM(CAST(CONV(SUBSTRING(h, 1, 16), 16, 10) AS UNSIGNED))').and.include('SUM(CAST(CONV(SUBSTRING(h, 17, 16), 16, 10) AS UNSIGNED))');
    expect(rangeWhere(ID_KEY, null, intKeyText('20'))).to.equal('`id` <= 20');
  });

  it('trusts a sequence hash only when both sides hashed every row; otherwise the sums decide', () => {
    const m = 64 * 2 ** 20;
    expect(compareChunkHashes({ n: '3', x: 'ab', m }, { n: '3', x: 'ab', m })).to.equal('equal');
    expect(compareChunkHashes({ n: '0', x: null, m }, { n: '0', x: null, m }), 'empty ranges').to.equal('equal');
    expect(compareChunkHashes({ n: '3', x: 'ab', m }, { n: '4', x: 'ab', m })).to.equal('different');
    expect(compareChunkHashes({ n: '3', x: 'ab', m }, { n: '3', x: 'cd', m }), 'another order or a difference').to.equal('undecided');
    // 1,000 rows need 40,000 bytes: a session with the server's 1 MiB default holds them, one with 1,024 bytes cut them
    expect(compareChunkHashes({ n: '1000', x: 'ab', m: 1048576 }, { n: '1000', x: 'ab', m: 1048576 })).to.equal('equal');
    expect(compareChunkHashes({ n: '1000', x: 'ab', m: 1024 }, { n: '1000', x: 'ab', m: 1048576 }), 'cut on one side').to.equal('undecided');
    expect(compareChunkHashes({ n: '1000', x: 'ab' }, { n: '1000', x: 'ab' }), 'limit unknown').to.equal('undecided');
    expect(sequenceComplete({ n: '26214', x: 'ab', m: 1048576 })).to.equal(true);
    expect(sequenceComplete({ n: '26215', x: 'ab', m: 1048576 })).to.equal(false);
  });

  it('inlines only integer keys (unsigned BIGINT max survives, injection does not)', () => {
    expect(pkLit('18446744073709551615')).to.equal('18446744073709551615');
    expect(() => pkLit('1 OR 1=1')).to.throw();
    expect(consumeSql('d', 'cl', ['1', '5'])).to.contain("JSON_TABLE('[1,5]'");
  });

  it('capture triggers log both keys of a key-changing UPDATE and honour the bypass and the fence', () => {
    const ddl = rowTriggerDdl('product', 'products', ID_KEY, 'update');
    expect(ddl).to.contain('AFTER UPDATE ON `products`');
    expect(ddl).to.contain('IF NOT (CAST(OLD.`id` AS BINARY) <=> CAST(NEW.`id` AS BINARY)) THEN INSERT INTO `_split_product_changelog` (tbl, pk) VALUES (\'products\', CONCAT(\'["\', HEX(CAST(OLD.`id` AS BINARY)), \'"]\'));');
    expect(ddl).to.contain('IF @split_bypass IS NULL');
    expect(ddl).to.contain('LOCK IN SHARE MODE');
    expect(ddl).to.contain("SIGNAL SQLSTATE '45000'");
  });

  it('finds parents whose cascades change moved rows without firing triggers', () => {
    const moved = new Map([['likes', { name: 'likes', key: ID_KEY, columns: [] }]]);
    const m = cascadingInto([
      { name: 'fk_likes_product', table: 'likes', columns: ['product_id'], refTable: 'products', refColumns: ['id'], onDelete: 'CASCADE', onUpdate: 'RESTRICT' },
      { name: 'fk_x', table: 'likes', columns: ['user_id'], refTable: 'users', refColumns: ['id'], onDelete: 'RESTRICT', onUpdate: 'RESTRICT' },
    ], moved);
    expect([...m.keys()]).to.deep.equal(['products']);
    expect(m.get('products')!.del[0]).to.include({ child: 'likes', childKey: ID_KEY });
  });

  it('compares exact bytes: JSON key order, trailing spaces and NULL vs empty all differ', () => {
    expect(canonicalValue(shape.columns[2], Buffer.from('{"b": 1, "a": [1, 2]}'))).to.not.equal(canonicalValue(shape.columns[2], Buffer.from('{"a": [1, 2], "b": 1}')));
    expect(canonicalValue(shape.columns[1], Buffer.from('a '))).to.not.equal(canonicalValue(shape.columns[1], Buffer.from('a')));
    expect(canonicalValue(shape.columns[1], Buffer.from([0xe9]))).to.not.equal(canonicalValue(shape.columns[1], Buffer.from('é')));
    expect(canonicalValue(shape.columns[1], null)).to.not.equal(canonicalValue(shape.columns[1], ''));
    const k = (id: string) => ({ _split_key: intKeyText(id), id });
    const d = diffRows(shape, [{ ...k('1'), name: 'a', attributes: null }, { ...k('2'), name: 'b', attributes: '{}' }, { ...k('18446744073709551615'), name: 'z', attributes: null }],
      [{ ...k('2'), name: 'B', attributes: '{}' }, { ...k('3'), name: 'c', attributes: null }, { ...k('18446744073709551615'), name: 'z', attributes: null }]);
    expect(d).to.deep.equal([
      { pk: intKeyText('1'), kind: 'missing-on-target' }, { pk: intKeyText('2'), kind: 'different', columns: ['name'] }, { pk: intKeyText('3'), kind: 'extra-on-target' },
    ]);
  });

  it('adapts chunk size toward the target time and paces to a rows/s ceiling', () => {
    expect(nextChunkSize(1000, 250, 500, 100, 50_000)).to.equal(2000);
    expect(nextChunkSize(1000, 2000, 500, 100, 50_000)).to.equal(500);
    expect(nextChunkSize(40_000, 10, 500, 100, 50_000)).to.equal(50_000);
    expect(nextChunkSize(150, 5000, 500, 100, 50_000)).to.equal(100);
    expect(rateDelay(1000, 500, 1000)).to.equal(500);
    expect(rateDelay(1000, 1500, 1000)).to.equal(0);
    expect(rateDelay(1000, 0, 0)).to.equal(0);
  });

  it('measures progress on primary-key ranges, exactly beyond 2^53', () => {
    expect(pkFraction('0', '100', '25')).to.equal(0.25);
    expect(pkFraction('18446744073709551515', '18446744073709551615', '18446744073709551565')).to.equal(0.5);
    expect(pkFraction(null, null, null)).to.equal(1);
    expect(pkFraction('1', '10', null)).to.equal(0);
  });

  it('splits a key range between copy workers and tracks what is not copied yet', () => {
    const K = intKeyText;
    expect(splitRange('1', '100', 2, 10)).to.deep.equal([
      { lo: null, hi: K('50'), lastPk: null, done: false }, { lo: K('50'), hi: K('100'), lastPk: null, done: false },
    ]);
    expect(splitRange('1', '5', 4, 10)).to.have.length(1);
    const segments = [{ lo: null, hi: K('50'), lastPk: K('20'), done: false }, { lo: K('50'), hi: K('100'), lastPk: null, done: false }];
    const p = { minPk: K('1'), maxPk: K('100'), lastPk: null, segments, rows: 0, chunks: 0, done: false };
    expect(tableFraction(p)).to.equal(0.2);
    expect(pendingRanges(p)).to.deep.equal([{ lo: K('20'), hi: K('50') }, { lo: K('50'), hi: K('100') }]);
    // an older state document (bare integers, one cursor) still reads
    expect(tableFraction({ minPk: '0', maxPk: '100', lastPk: '25', rows: 0, done: false })).to.equal(0.25);
    expect(pendingRanges({ minPk: '1', maxPk: '100', lastPk: '25', rows: 0, chunks: 0, done: false })).to.deep.equal([{ lo: '25', hi: '100' }]);
    // not yet snapshotted: 0 %, not 100 % (#13)
    expect(tableFraction({ minPk: null, maxPk: null, lastPk: null, rows: 0, done: false })).to.equal(0);
    // keys without arithmetic: rows against the estimate
    expect(tableFraction({ minPk: '["41"]', maxPk: '["5A"]', lastPk: null, intKey: false, estimate: 200, rows: 50, done: false })).to.equal(0.25);
  });

  it('parses fault points and kills/fails on the n-th hit only', () => {
    expect([...parseFaultSpec('after-chunk:3,mid-apply').entries()]).to.deep.equal([['after-chunk', 3], ['mid-apply', 1]]);
    expect(() => parseFaultSpec('nowhere')).to.throw(/unknown fault point/);
    let kills = 0;
    const f = createFaults('after-chunk:2', 'mid-apply', () => kills++);
    f.hit('after-chunk');
    expect(kills).to.equal(0);
    f.hit('after-chunk');
    expect(kills).to.equal(1);
    expect(() => f.hit('mid-apply')).to.throw('injected failure at mid-apply');
  });

  it('blocks on tables without a usable key, unsupported types and undecided crossing FKs; accepts composite and string keys', () => {
    const tables = [
      info('a', [col('x')], []),
      info('b', [col('k1', { columnType: 'int(11)', dataType: 'int' }), col('k2', { columnType: 'int(11)', dataType: 'int' })], ['k1', 'k2']),
      info('c', [col('id', { columnType: 'varchar(36)', charset: 'utf8mb4', collation: 'utf8mb4_general_ci' })]),
      info('d', [col('id', { columnType: 'int(11)', dataType: 'int' }), col('g', { dataType: 'geometry', columnType: 'geometry' })]),
    ];
    const crossing = crossingForeignKeys([
      { name: 'fk', table: 'likes', columns: ['product_id'], refTable: 'd', refColumns: ['id'], onDelete: 'CASCADE', onUpdate: 'RESTRICT' },
    ], new Set(['a', 'b', 'c', 'd']), new Map([['likes', 'user']]), 'product', {});
    const { blockers } = assess(tables, new Map(), crossing, { roots: [], files: 0, hits: [], unparsed: [] }, 'product');
    expect(blockers).to.deep.equal([
      'a: no primary key and no NOT NULL unique key; add a PRIMARY KEY (or a UNIQUE key over NOT NULL columns) of integer, DECIMAL, CHAR/VARCHAR, BINARY/VARBINARY, DATE or DATETIME columns',
      'd.g: column type geometry cannot be copied byte-exactly by split-db (carried exactly: integers, DECIMAL, FLOAT, DOUBLE, BIT, ENUM, SET, CHAR/VARCHAR/TEXT, BINARY/VARBINARY/BLOB, JSON, DATE, DATETIME, TIMESTAMP, TIME, YEAR); change the column type or move the table by hand',
      'FK likes.fk → d crosses the boundary (likes (user)) with no decision in the manifest (crossingForeignKeys."likes.fk")',
    ]);
  });

  it('reports target columns of another type', () => {
    const s = info('t', [col('id', { columnType: 'int(11)' }), col('price', { columnType: 'decimal(12,2)' })]);
    const d = info('t', [col('id', { columnType: 'int(11)' }), col('price', { columnType: 'decimal(12,1)' }), col('extra', { nullable: false })]);
    expect(schemaDifferences(s, d)).to.deep.equal(['t.price: decimal(12,2) on the source, decimal(12,1) on the target', 't.extra: only on the target and NOT NULL']);
    // the key must identify rows the same way: a case-insensitive key on one side only is a difference
    const ci = info('u', [col('id', { columnType: 'char(36)', dataType: 'char', charset: 'utf8mb4', collation: 'utf8mb4_general_ci' })]);
    const bin = info('u', [col('id', { columnType: 'char(36)', dataType: 'char', charset: 'utf8mb4', collation: 'utf8mb4_bin' })]);
    expect(schemaDifferences(ci, bin)).to.deep.equal([
      'u.id: collation utf8mb4_general_ci on the source, utf8mb4_bin on the target (string bytes are copied as they are)',
      'u: key (id utf8mb4_general_ci) on the source, (id utf8mb4_bin) on the target',
    ]);
  });
});
