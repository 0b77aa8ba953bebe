import { AppError } from '../../lib/errors.ts';
import type { ProductRow } from '../../lib/contract/rows.ts';
import { isDuplicateKey, isMissingReference, type Db, type Knex } from './db.ts';
import { compareDecimal } from '../../lib/contract/money.ts';
import { recordProductsChangedByIds } from '../../lib/events/outbox.ts';
import { transact } from '../../lib/db.ts';

/**
 * Every content write to a product goes through this file or product-bulk.ts,
 * inside a transaction, and bumps `version` and `updated_at`. `productsChanged`
 * is the single place a later issue hooks its outbox into (same transaction).
 * Counter columns (like_count by likes, view_count/popularity_score by the
 * jobs) are derived data: they do not bump version.
 */
export interface ProductFields {
  externalId?: string;
  name?: string;
  description?: string | null;
  price?: string;
  salePrice?: string | null;
  currency?: string;
  categoryId?: number | null;
  status?: ProductRow['status'];
  attributes?: Record<string, unknown>;
  images?: string[];
}

export type ProductChange = 'created' | 'updated' | 'hidden' | 'deleted';

/**
 * Every product write records its change in the transactional outbox, in the
 * writing transaction (lib/events/outbox.ts): the relay publishes it to
 * BullMQ after commit, so the search index hears of it even if the process
 * dies between commit and publish.
 */
export async function productsChanged(trx: Knex.Transaction, ids: number[], change: ProductChange): Promise<void> {
  if (ids.length) await recordProductsChangedByIds(trx, ids, change);
}

export function productColumns(f: ProductFields): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  if (f.externalId !== undefined) c.external_id = f.externalId;
  if (f.name !== undefined) c.name = f.name;
  if (f.description !== undefined) c.description = f.description;
  if (f.price !== undefined) c.price = f.price;
  if (f.salePrice !== undefined) c.sale_price = f.salePrice;
  if (f.currency !== undefined) c.currency = f.currency;
  if (f.categoryId !== undefined) c.category_id = f.categoryId;
  if (f.status !== undefined) c.status = f.status;
  if (f.attributes !== undefined) c.attributes = JSON.stringify(f.attributes);
  return c;
}

function mapWriteError(err: unknown): never {
  if (isDuplicateKey(err)) throw new AppError('CONFLICT', 'This shop already has a product with that externalId');
  if (isMissingReference(err)) throw new AppError('VALIDATION_FAILED', undefined, { details: [{ field: 'body.categoryId', message: 'unknown category' }] });
  throw err;
}

/** A sale price above the price is refused with the legacy field error. */
export function checkSalePrice(price: string, salePrice: string | null | undefined): void {
  if (salePrice !== null && salePrice !== undefined && compareDecimal(salePrice, price) > 0) {
    throw new AppError('VALIDATION_FAILED', undefined, { details: [{ field: 'body.salePrice', message: 'must not exceed price' }] });
  }
}

async function replaceImages(trx: Knex.Transaction, productId: number, urls: string[]): Promise<void> {
  await trx('product_images').where({ product_id: productId }).delete();
  if (urls.length > 0) await trx('product_images').insert(urls.map((url, position) => ({ product_id: productId, url, position })));
}

export async function createProduct(knex: Knex, shopId: number, f: ProductFields & { externalId: string; name: string; price: string }): Promise<number> {
  checkSalePrice(f.price, f.salePrice);
  return transact(knex, async (trx) => {
    let id: number;
    try {
      [id] = await trx('products').insert({ shop_id: shopId, ...productColumns(f) });
    } catch (err) {
      mapWriteError(err);
    }
    if (f.images) await replaceImages(trx, id, f.images);
    await productsChanged(trx, [id], 'created');
    return Number(id);
  });
}

/** Partial update; undefined when there is no such product (in that shop, when `shopId` is given). */
export async function updateProduct(knex: Knex, id: number, f: ProductFields, opts: { shopId?: number } = {}): Promise<boolean> {
  return transact(knex, async (trx) => {
    const q = trx('products').where({ id }).forUpdate().first('id', 'price', 'sale_price');
    if (opts.shopId !== undefined) q.andWhere('shop_id', opts.shopId);
    const current = await q;
    if (!current) return false;
    checkSalePrice(f.price ?? current.price, f.salePrice === undefined ? current.sale_price : f.salePrice);
    try {
      await trx('products').where({ id }).update({ ...productColumns(f), ...bump(trx) });
    } catch (err) {
      mapWriteError(err);
    }
    if (f.images) await replaceImages(trx, id, f.images);
    await productsChanged(trx, [id], 'updated');
    return true;
  });
}

export function bump(db: Db): Record<string, Knex.Raw> {
  return { version: db.raw('version + 1'), updated_at: db.raw('CURRENT_TIMESTAMP(6)') };
}

export async function hideProduct(knex: Knex, id: number): Promise<boolean> {
  return transact(knex, async (trx) => {
    const n = await trx('products').where({ id }).update({ status: 'hidden', ...bump(trx) });
    if (n === 0) return false;
    await productsChanged(trx, [id], 'hidden');
    return true;
  });
}

/** Deletes a product; its images and likes go with it (ON DELETE CASCADE), its log rows stay. */
export async function deleteProduct(knex: Knex, id: number): Promise<boolean> {
  return transact(knex, async (trx) => {
    const n = await trx('products').where({ id }).delete();
    if (n === 0) return false;
    await productsChanged(trx, [id], 'deleted');
    return true;
  });
}
