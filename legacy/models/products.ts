import type { Knex } from 'knex';
import type { ProductImageRow, ProductListRow, ProductRow } from '../../lib/contract/rows.ts';
import { countOf, escapeLike, offset, type Counted, type Db, type Paging } from './db.ts';

/** Reads of the catalogue. Writes live in product-writes.ts and product-bulk.ts. */

export const PRODUCT_COLUMNS = ['id', 'shop_id', 'category_id', 'external_id', 'name', 'description', 'price', 'sale_price', 'currency',
  'status', 'attributes', 'like_count', 'view_count', 'popularity_score', 'version', 'discount_rate', 'created_at', 'updated_at'];

export type ProductSort = 'newest' | 'price_asc' | 'price_desc' | 'popularity';

export interface PublicProductFilter { shopId?: number; categoryId?: number; minPrice?: string; maxPrice?: string }

/** Shoppers list only `active` products; a `sold_out` one still opens by id; `hidden` is invisible. */
export const LISTED_STATUS = 'active';
export const HIDDEN_STATUS = 'hidden';

/** Columns of a list item: the product, its shop's name and its first image. */
export function listColumns(db: Db): (string | Knex.Raw)[] {
  return ['p.id', 'p.shop_id', 's.name as shop_name', 'p.category_id', 'p.name', 'p.price', 'p.sale_price', 'p.discount_rate',
    'p.currency', 'p.status', 'p.like_count', 'p.created_at',
    db.raw('(SELECT i.url FROM product_images i WHERE i.product_id = p.id ORDER BY i.position, i.id LIMIT 1) AS image_url')];
}

const SORTS: Record<ProductSort, [string, 'asc' | 'desc'][]> = {
  newest: [['p.created_at', 'desc'], ['p.id', 'desc']],
  price_asc: [['p.price', 'asc'], ['p.id', 'asc']],
  price_desc: [['p.price', 'desc'], ['p.id', 'desc']],
  popularity: [['p.popularity_score', 'desc'], ['p.like_count', 'desc'], ['p.id', 'desc']],
};

function applySort(q: Knex.QueryBuilder, sort: ProductSort): Knex.QueryBuilder {
  for (const [col, dir] of SORTS[sort]) q.orderBy(col, dir);
  return q;
}

async function pageOfList(db: Db, base: Knex.QueryBuilder, sort: ProductSort, paging: Paging): Promise<Counted<ProductListRow>> {
  const [rows, total] = await Promise.all([
    applySort(base.clone().join('shops as s', 's.id', 'p.shop_id').select(listColumns(db)), sort).limit(paging.size).offset(offset(paging)),
    countOf(base),
  ]);
  return { rows, total };
}

export async function listPublicProducts(db: Db, filter: PublicProductFilter, sort: ProductSort, paging: Paging): Promise<Counted<ProductListRow>> {
  const base = db('products as p').where('p.status', LISTED_STATUS);
  if (filter.shopId !== undefined) base.where('p.shop_id', filter.shopId);
  if (filter.categoryId !== undefined) base.where('p.category_id', filter.categoryId);
  if (filter.minPrice !== undefined) base.where('p.price', '>=', filter.minPrice);
  if (filter.maxPrice !== undefined) base.where('p.price', '<=', filter.maxPrice);
  return pageOfList(db, base, sort, paging);
}

/** The old search: LIKE '%q%' over names of listed products, newest first (a full scan, as it always was). */
export async function searchProductsByName(db: Db, q: string, paging: Paging): Promise<Counted<ProductListRow>> {
  const base = db('products as p').where('p.status', LISTED_STATUS).andWhere('p.name', 'like', `%${escapeLike(q)}%`);
  return pageOfList(db, base, 'newest', paging);
}

/** A shop's own catalogue, any status (merchant API), newest first. */
export async function listShopProducts(db: Db, shopId: number, filter: { status?: ProductRow['status']; q?: string }, paging: Paging): Promise<Counted<ProductListRow>> {
  const base = db('products as p').where('p.shop_id', shopId);
  if (filter.status) base.where('p.status', filter.status);
  if (filter.q) base.where('p.name', 'like', `%${escapeLike(filter.q)}%`);
  return pageOfList(db, base, 'newest', paging);
}

export interface ProductWithShop { row: ProductRow; shopName: string; images: ProductImageRow[] }

/** One product with its shop name and images; `shopId` restricts it to one shop (merchant API). */
export async function getProduct(db: Db, id: number, opts: { shopId?: number } = {}): Promise<ProductWithShop | undefined> {
  const q = db('products as p').join('shops as s', 's.id', 'p.shop_id').where('p.id', id)
    .first([...PRODUCT_COLUMNS.map((c) => `p.${c}`), 's.name as shop_name']);
  if (opts.shopId !== undefined) q.andWhere('p.shop_id', opts.shopId);
  const found = (await q) as (ProductRow & { shop_name: string }) | undefined;
  if (!found) return undefined;
  const { shop_name: shopName, ...row } = found;
  const images = await db('product_images').where({ product_id: id }).orderBy([{ column: 'position' }, { column: 'id' }]).select('id', 'url', 'position');
  return { row: row as ProductRow, shopName, images };
}

/** A product shoppers may open: anything but hidden. */
export async function getVisibleProduct(db: Db, id: number): Promise<ProductWithShop | undefined> {
  const p = await getProduct(db, id);
  return p && p.row.status !== HIDDEN_STATUS ? p : undefined;
}

/** Minimal lookup used by likes and logs. */
export async function productRef(db: Db, id: number): Promise<{ id: number; shop_id: number; status: ProductRow['status'] } | undefined> {
  return db('products').where({ id }).first('id', 'shop_id', 'status');
}
