import type { Knex } from '../../lib/db.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

/**
 * The database split, done the simple way for tests: each service's tables
 * copied (same ids, same values) from the legacy database into the
 * service's own database created from migrations/<service>. After it, a
 * service that read another service's tables would fail: the tables are not
 * there.
 */
export const OWNED_TABLES = {
  product: ['categories', 'products', 'product_images'],
  shop: ['shops', 'merchants'],
  user: ['users', 'sessions', 'likes', 'shop_bookmarks'],
} as const;

export type Owner = keyof typeof OWNED_TABLES;

/** Columns that can be written (generated columns are left out). */
async function writableColumns(k: Knex, table: string): Promise<string[]> {
  const rows = await k('information_schema.columns').where({ table_schema: k.raw('DATABASE()'), table_name: table })
    .whereNotIn('extra', ['VIRTUAL GENERATED', 'STORED GENERATED']).orderBy('ordinal_position').select('column_name as c');
  return rows.map((r: { c: string }) => r.c);
}

export async function copyTables(from: Knex, to: Knex, tables: readonly string[]): Promise<void> {
  for (const t of tables) {
    const cols = await writableColumns(to, t);
    const rows = await from(t).select(cols).orderBy('id');
    for (let i = 0; i < rows.length; i += 500) await to(t).insert(rows.slice(i, i + 500));
  }
}

export async function splitDatabases(legacy: TestDatabase): Promise<Record<Owner, TestDatabase>> {
  const [product, shop, user] = await Promise.all([
    createTestDatabase('split_product', ['product']), createTestDatabase('split_shop', ['shop']), createTestDatabase('split_user', ['user'])]);
  const out = { product, shop, user };
  for (const owner of Object.keys(OWNED_TABLES) as Owner[]) await copyTables(legacy.knex, out[owner].knex, OWNED_TABLES[owner]);
  return out;
}
