import { expect } from 'chai';
import type { TableInfo } from '../lib/introspect.ts';
import { assessDrift, describeChange, driftMessage, fingerprint, recordOf } from '../lib/schema-guard.ts';
import type { ColumnInfo } from '../lib/sql.ts';

const col = (name: string, columnType: string, nullable = false): ColumnInfo => ({
  name, columnType, dataType: columnType.replace(/\(.*$/, ''), nullable, generated: false, isJson: false, charset: null, collation: null,
});

function table(name: string, columns: ColumnInfo[], pk = ['id']): TableInfo {
  return {
    name, exists: true, columns, allColumns: columns, pk, pkPartial: false, uniqueKeys: [], pkType: columns[0].columnType,
    autoIncrement: null, rowsEstimate: 0, dataBytes: 0, indexBytes: 0, engine: 'InnoDB',
  };
}

const BASE = [col('id', 'bigint(20) unsigned'), col('name', 'varchar(255)'), col('note', 'text', true)];
const one = (t: TableInfo) => new Map([[t.name, t]]);

describe('schema guard (pure)', () => {
  const base = table('products', BASE);
  const recorded = recordOf(one(base), one(base));

  it('neither side changed: nothing to say', () => {
    expect(assessDrift(recorded, one(base), one(base))).to.deep.equal({ blockers: [], changed: [] });
  });

  it('a column added on the source only is refused, naming the side, the column and that the target was not changed', () => {
    const src = table('products', [...BASE, col('color', 'varchar(20)', true)]);
    const d = assessDrift(recorded, one(src), one(base));
    expect(d.changed).to.deep.equal([]);
    expect(d.blockers).to.deep.equal([{ table: 'products', text: 'products changed on the source since the split recorded it (column color added (varchar(20) NULL)); the target was not changed' }]);
    expect(driftMessage('product', d)).to.match(/^the moved tables' definitions no longer agree: products changed on the source .* apply the same ALTER TABLE on the side that did not change .* then run split-db verify product/);
  });

  it('a nullable column dropped on the source only is refused too, though the start\'s target check would let the target keep it', () => {
    const src = table('products', BASE.filter((c) => c.name !== 'note'));
    expect(assessDrift(recorded, one(src), one(base)).blockers).to.deep.equal([{ table: 'products', text: 'products changed on the source since the split recorded it (column note dropped); the target was not changed' }]);
  });

  it('a change on the target only (after the cutover: the service\'s migration) is refused the same way', () => {
    const dst = table('products', [...BASE, col('tags', 'json', true)]);
    expect(assessDrift(recorded, one(base), one(dst)).blockers[0]).to.deep.equal({ table: 'products', text: 'products changed on the target since the split recorded it (column tags added (json NULL)); the source was not changed' });
  });

  it('changed alike on both sides: recorded anew, no blocker; changed differently: refused with both changes and the differences', () => {
    const wider = table('products', [BASE[0], col('name', 'varchar(400)'), BASE[2]]);
    expect(assessDrift(recorded, one(wider), one(wider))).to.deep.equal({ blockers: [], changed: ['products'] });
    const other = table('products', [BASE[0], col('name', 'varchar(300)'), BASE[2]]);
    const d = assessDrift(recorded, one(wider), one(other));
    expect(d.changed).to.deep.equal([]);
    expect(d.blockers[0].table).to.equal('products');
    expect(d.blockers[0].text).to.equal('products changed on the source since the split recorded it (column name varchar(255) NOT NULL → varchar(400) NOT NULL); ' +
      'changed on the target since the split recorded it (column name varchar(255) NOT NULL → varchar(300) NOT NULL); ' +
      'the sides differ: products.name: varchar(400) on the source, varchar(300) on the target');
  });

  it('a table gone from one side is refused', () => {
    expect(assessDrift(recorded, one(base), one({ ...base, exists: false })).blockers).to.deep.equal([{ table: 'products', text: 'products: no longer exists on the target' }]);
  });

  it('describes key changes, reorders and nullability in words', () => {
    const f = (cols: ColumnInfo[], pk = ['id']) => fingerprint(table('t', cols, pk));
    expect(describeChange(f(BASE), f(BASE, ['id', 'name']))).to.equal('primary key (id) → (id, name)');
    expect(describeChange(f(BASE), f([BASE[1], BASE[0], BASE[2]]))).to.equal('columns reordered (name, id, note)');
    expect(describeChange(f(BASE), f([BASE[0], col('name', 'varchar(255)', true), BASE[2]]))).to.equal('column name varchar(255) NOT NULL → varchar(255) NULL');
  });
});
