import type { ProductImageRow, ProductListRow, ProductRow } from '../../lib/contract/rows.ts';
import { sortImages } from '../../lib/contract/product.ts';
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

/** A list row from a full product row and its images (getMany hydration). */
export function listRowOf(row: ProductRow, images: ProductImageRow[], shopName: string): ProductListRow {
  const first = sortImages(images)[0];
  return {
    id: row.id, shop_id: row.shop_id, shop_name: shopName, category_id: row.category_id, name: row.name, price: row.price,
    sale_price: row.sale_price, discount_rate: row.discount_rate, currency: row.currency, status: row.status,
    like_count: row.like_count, image_url: first ? first.url : null, created_at: row.created_at,
  };
}

/** Product fields as admins and merchants write them, their columns and the sale-price rule: legacy's own. */
export { checkSalePrice, productColumns, type ProductFields } from '../../legacy/models/product-writes.ts';
