import type { ProductListRow, ProductRow } from '../../lib/contract/rows.ts';
import { AppError } from '../../lib/errors.ts';
import { compareDecimal } from '../../lib/contract/money.ts';
import type { ProductListRowOwn } from './repository.ts';

/** Pure rules of the product service: visibility, sorting, list rows. */
export type ProductSort = 'newest' | 'price_asc' | 'price_desc' | 'popularity';
export const PRODUCT_SORTS: ProductSort[] = ['newest', 'price_asc', 'price_desc', 'popularity'];

/** Sort keys with an id tie-breaker, exactly as the legacy catalogue sorts. */
export const SORTS: Record<ProductSort, [string, 'asc' | 'desc'][]> = {
  newest: [['created_at', 'desc'], ['id', 'desc']],
  price_asc: [['price', 'asc'], ['id', 'asc']],
  price_desc: [['price', 'desc'], ['id', 'desc']],
  popularity: [['popularity_score', 'desc'], ['like_count', 'desc'], ['id', 'desc']],
};

export interface PublicFilter { shopId?: number; categoryId?: number; minPrice?: string; maxPrice?: string; /** name contains (legacy's search) */ q?: string }

export type ProductStatus = ProductRow['status'];
export interface StatusChange { id: number; fromStatus: ProductStatus; toStatus: ProductStatus }

/** Shoppers list only active products; a sold-out one still opens by id; hidden is invisible. */
export function visibleToShoppers(status: ProductStatus): boolean {
  return status !== 'hidden';
}

/** Joins own list rows with shop names from the shop service (unknown shop → empty name is a bug upstream: refuse). */
export function withShopNames(rows: ProductListRowOwn[], names: Map<number, string>): ProductListRow[] {
  return rows.map((r) => {
    const name = names.get(Number(r.shop_id));
    if (name === undefined) throw new Error(`shop ${r.shop_id} of product ${r.id} is unknown to the shop service`);
    return { ...r, shop_name: name };
  });
}

export function distinctShopIds(rows: { shop_id: number | string }[]): number[] {
  return [...new Set(rows.map((r) => Number(r.shop_id)))].sort((a, b) => a - b);
}

/**
 * Product fields as admins and merchants write them, their columns and the sale-price rule. Legacy has the same
 * (legacy/models/product-writes.ts): a copy on purpose — the service owns its writes; legacy's copy goes with legacy.
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

/** A sale price above the price is refused with the legacy field error. */
export function checkSalePrice(price: string, salePrice: string | null | undefined): void {
  if (salePrice !== null && salePrice !== undefined && compareDecimal(salePrice, price) > 0) {
    throw new AppError('VALIDATION_FAILED', undefined, { details: [{ field: 'body.salePrice', message: 'must not exceed price' }] });
  }
}
