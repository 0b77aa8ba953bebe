import { AppError } from '../../lib/errors.ts';
import * as models from '../models/product-writes.ts';
import type { Knex } from '../models/db.ts';
import { getProduct } from './products.ts';
import { viaService } from './context.ts';

/**
 * legacy/models/product-writes.ts behind the seam: admin and merchant edits
 * go to the product service when it owns products. Two legacy inputs have
 * no field in thrift/product.thrift yet (changing a product's externalId,
 * clearing its category); through the seam they are refused with a 400
 * that says so, rather than silently dropped.
 */
export * from '../models/product-writes.ts';

type Fields = models.ProductFields;

function toWire(f: Fields) {
  if (f.categoryId === null) throw new AppError('VALIDATION_FAILED', undefined, { details: [{ field: 'body.categoryId', message: 'clearing the category is not supported while the product service owns products' }] });
  return {
    categoryId: f.categoryId ?? undefined, name: f.name, description: f.description ?? undefined, clearDescription: f.description === null ? true : undefined,
    price: f.price, salePrice: f.salePrice ?? undefined, clearSalePrice: f.salePrice === null ? true : undefined, currency: f.currency, status: f.status,
    attributesJson: f.attributes === undefined ? undefined : JSON.stringify(f.attributes), imageUrls: f.images,
  };
}

type WriteApi = { product: {
  createProduct(ctx: undefined, input: Record<string, unknown>): Promise<{ id: string }>;
  updateProduct(ctx: undefined, id: string, patch: Record<string, unknown>): Promise<unknown>;
  hideProduct(ctx: undefined, id: string): Promise<unknown>;
  deleteProduct(ctx: undefined, id: string): Promise<void>;
} };

function writeApi(knex: Knex): WriteApi | undefined {
  return viaService(knex, 'product') as unknown as WriteApi | undefined;
}

const notFound = (err: unknown) => (err as { code?: string })?.code === 'NOT_FOUND';

export async function createProduct(knex: Knex, shopId: number, f: Fields & { externalId: string; name: string; price: string }): Promise<number> {
  const api = writeApi(knex);
  if (!api) return models.createProduct(knex, shopId, f);
  const p = await api.product.createProduct(undefined, { ...toWire(f), shopId: String(shopId), externalId: f.externalId });
  return Number(p.id);
}

export async function updateProduct(knex: Knex, id: number, f: Fields, opts: { shopId?: number } = {}): Promise<boolean> {
  const api = writeApi(knex);
  if (!api) return models.updateProduct(knex, id, f, opts);
  if (f.externalId !== undefined) throw new AppError('VALIDATION_FAILED', undefined, { details: [{ field: 'body.externalId', message: 'changing the externalId is not supported while the product service owns products' }] });
  if (opts.shopId !== undefined && !(await getProduct(knex, id, { shopId: opts.shopId }))) return false;
  try {
    await api.product.updateProduct(undefined, String(id), toWire(f));
    return true;
  } catch (err) {
    if (notFound(err)) return false;
    throw err;
  }
}

export async function hideProduct(knex: Knex, id: number): Promise<boolean> {
  const api = writeApi(knex);
  if (!api) return models.hideProduct(knex, id);
  try {
    await api.product.hideProduct(undefined, String(id));
    return true;
  } catch (err) {
    if (notFound(err)) return false;
    throw err;
  }
}

export async function deleteProduct(knex: Knex, id: number): Promise<boolean> {
  const api = writeApi(knex);
  if (!api) return models.deleteProduct(knex, id);
  try {
    await api.product.deleteProduct(undefined, String(id));
    return true;
  } catch (err) {
    if (notFound(err)) return false;
    throw err;
  }
}
