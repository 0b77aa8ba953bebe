/** Seeds legacy-shaped product tables for indexer/reindex tests, writing outbox rows like the real write paths. */
import type { Knex } from 'knex';
import { recordProductChanged } from '../../../lib/events/outbox.ts';

export async function seedShops(knex: Knex, n = 2): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 1; i <= n; i++) {
    const [id] = await knex('shops').insert({ name: `상점${i}`, slug: `shop-${i}-${Date.now()}`, status: 'open', contract_status: 'active' });
    ids.push(Number(id));
  }
  return ids;
}

/** Inserts a product and its outbox row in one transaction (as legacy models / the product service must). */
export async function createProduct(knex: Knex, shopId: number, name: string, opts: { price?: string; outbox?: boolean } = {}): Promise<number> {
  return knex.transaction(async (trx) => {
    const [id] = await trx('products').insert({ shop_id: shopId, external_id: `ext-${name}-${Math.random().toString(36).slice(2)}`, name, price: opts.price ?? '10000.00' });
    if (opts.outbox !== false) await recordProductChanged(trx, { productId: Number(id), version: 1, kind: 'created' });
    return Number(id);
  });
}

export async function renameProduct(knex: Knex, id: number, name: string): Promise<number> {
  return knex.transaction(async (trx) => {
    await trx('products').where({ id }).update({ name, version: trx.raw('version + 1') });
    const { version } = await trx('products').first('version').where({ id });
    await recordProductChanged(trx, { productId: id, version: Number(version), kind: 'updated' });
    return Number(version);
  });
}

export async function bulkInsertProducts(knex: Knex, shopIds: number[], names: string[], startAt = 0): Promise<void> {
  const rows = names.map((name, i) => ({ shop_id: shopIds[(startAt + i) % shopIds.length], external_id: `bulk-${startAt + i}`, name, price: `${10000 + ((startAt + i) % 90) * 1000}.00` }));
  for (let i = 0; i < rows.length; i += 1000) await knex('products').insert(rows.slice(i, i + 1000));
}
