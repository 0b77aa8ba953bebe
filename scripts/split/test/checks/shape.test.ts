import { expect } from 'chai';
import { assessColumnTypes } from '../../lib/checks/column-types.ts';
import { assessCrossing, crossingForeignKeys } from '../../lib/checks/crossing-fks.ts';
import { assessKey } from '../../lib/checks/key.ts';
import { assessServer } from '../../lib/checks/server.ts';
import { assessTables } from '../../lib/checks/tables.ts';
import { assessTargetSchema } from '../../lib/checks/target-schema.ts';
import { assessTriggerNames } from '../../lib/checks/trigger-names.ts';
import type { TableInfo } from '../../lib/introspect.ts';
import type { ColumnInfo } from '../../lib/sql.ts';

const col = (name: string, o: Partial<ColumnInfo> = {}): ColumnInfo => ({ name, columnType: 'bigint(20) unsigned', dataType: 'bigint', nullable: false, generated: false, isJson: false, ...o });
const info = (name: string, cols: ColumnInfo[], pk = [cols[0]?.name].filter(Boolean), o: Partial<TableInfo> = {}): TableInfo => ({
  name, exists: true, columns: cols, allColumns: cols, pk, pkPartial: false, uniqueKeys: [], pkType: pk.length === 1 ? cols.find((c) => c.name === pk[0])!.columnType : null,
  autoIncrement: null, rowsEstimate: 0, dataBytes: 0, indexBytes: 0, engine: 'InnoDB', ...o,
});

describe('split-db checks: server, tables, key, column types, names, target schema, crossing FKs (pure)', () => {
  it('server: MariaDB ≥ 10.6 passes; older MariaDB and MySQL are blockers', () => {
    expect(assessServer('source', '10.11.6-MariaDB-0+deb12u1')).to.deep.equal([]);
    expect(assessServer('source', '11.4.2-MariaDB')).to.deep.equal([]);
    expect(assessServer('target', '10.5.9-MariaDB')[0].message).to.match(/^target: MariaDB 10\.5\.9 is older than 10\.6/);
    expect(assessServer('source', '8.0.36')[0].message).to.match(/is MySQL/);
    expect(assessServer('source', 'weird')[0].severity).to.equal('blocker');
  });

  it('tables: missing and non-InnoDB tables are blockers', () => {
    const f = assessTables([info('a', [col('id')]), { ...info('b', []), exists: false }, info('c', [col('id')], ['id'], { engine: 'MyISAM' })]);
    expect(f.map((x) => x.message)).to.deep.equal(['b: table does not exist on the source', 'c: engine MyISAM (transactions needed; only InnoDB is supported)']);
  });

  it('key, column types and trigger names', () => {
    expect(assessKey(info('a', [col('id')]))).to.deep.equal([]);
    expect(assessKey(info('a', [col('x')], []))[0].message).to.match(/^a: no primary key and no NOT NULL unique key; add a PRIMARY KEY/);
    expect(assessKey(info('u', [col('id', { columnType: 'char(36)', dataType: 'char', charset: 'utf8mb4', collation: 'utf8mb4_general_ci' })]))).to.deep.equal([]);
    expect(assessColumnTypes(info('g', [col('id'), col('shape', { dataType: 'point', columnType: 'point' })]))[0].message).to.match(/^g\.shape: column type point cannot be copied byte-exactly/);
    expect(assessTriggerNames('product', ['products'])).to.deep.equal([]);
    expect(assessTriggerNames('a_rather_long_service_name', ['a_table_with_a_long_name_too_x'])[0].severity).to.equal('blocker');
  });

  it('target schema: only a target table that exists is compared', () => {
    const s = info('t', [col('id'), col('price', { columnType: 'decimal(12,2)' })]);
    expect(assessTargetSchema(s, undefined)).to.deep.equal([]);
    expect(assessTargetSchema(s, { ...s, exists: false })).to.deep.equal([]);
    expect(assessTargetSchema(s, info('t', [col('id'), col('price', { columnType: 'decimal(12,1)' })])).map((f) => f.message)).to.deep.equal(['target schema: t.price: decimal(12,2) on the source, decimal(12,1) on the target']);
  });

  it('crossing FKs need a decision; ON UPDATE CASCADE into a moved table is a blocker', () => {
    const crossing = crossingForeignKeys([
      { name: 'fk_likes_product', table: 'likes', columns: ['product_id'], refTable: 'products', refColumns: ['id'], onDelete: 'CASCADE', onUpdate: 'CASCADE' },
      { name: 'fk_products_shop', table: 'products', columns: ['shop_id'], refTable: 'shops', refColumns: ['id'], onDelete: 'RESTRICT', onUpdate: 'RESTRICT' },
    ], new Set(['products']), new Map([['likes', 'user']]), 'product', { 'products.fk_products_shop': { action: 'drop' } });
    expect(crossing.map((c) => [c.direction, c.decision])).to.deep.equal([['incoming', null], ['outgoing', 'drop']]);
    expect(assessCrossing(crossing).map((f) => f.message)).to.deep.equal([
      'FK likes.fk_likes_product → products crosses the boundary (likes (user)) with no decision in the manifest (crossingForeignKeys."likes.fk_likes_product")',
      'FK likes.fk_likes_product: ON UPDATE CASCADE into a moved table is not supported',
    ]);
  });
});
