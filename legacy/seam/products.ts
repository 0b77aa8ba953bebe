import { isAppError } from '../../lib/errors.ts';
import type { ProductListRow, ProductRow } from '../../lib/contract/rows.ts';
import * as models from '../models/products.ts';
import type { Counted, Db, Paging } from '../models/db.ts';
import { listRowOf } from '../../lib/contract/product.ts';
import { productFromWire, type WireProduct } from '../../rpc/wire.ts';
import { viaService } from './context.ts';

/** legacy/models/products.ts behind the seam: the same functions, served by the product service when it owns products. */
export * from '../models/products.ts';

const VIEW = { withImages: true, withShop: true };

function listRow(p: WireProduct): ProductListRow {
  const { row, images, shopName } = productFromWire(p);
  return listRowOf(row, images, shopName ?? '');
}

async function page(api: NonNullable<ReturnType<typeof viaService>>, filter: Record<string, unknown>, sort: string, paging: Paging): Promise<Counted<ProductListRow>> {
  const res = await api.product.listProducts(undefined, { filter, sort, page: { limit: paging.size, offset: (paging.page - 1) * paging.size }, view: VIEW } as never);
  return { rows: res.items.map(listRow), total: Number(res.page.total ?? 0) };
}

export async function listPublicProducts(db: Db, filter: models.PublicProductFilter, sort: models.ProductSort, paging: Paging): Promise<Counted<ProductListRow>> {
  const api = viaService(db, 'product');
  if (!api) return models.listPublicProducts(db, filter, sort, paging);
  return page(api, { shopId: filter.shopId === undefined ? undefined : String(filter.shopId), categoryId: filter.categoryId, minPrice: filter.minPrice, maxPrice: filter.maxPrice }, sort, paging);
}

/** Legacy's name search (GET /api/search): listed products whose name contains q, newest first. */
export async function searchProductsByName(db: Db, q: string, paging: Paging): Promise<Counted<ProductListRow>> {
  const api = viaService(db, 'product');
  if (!api) return models.searchProductsByName(db, q, paging);
  return page(api, { q, statuses: ['active'] }, 'newest', paging);
}

export async function listShopProducts(db: Db, shopId: number, filter: { status?: ProductRow['status']; q?: string }, paging: Paging): Promise<Counted<ProductListRow>> {
  const api = viaService(db, 'product');
  if (!api) return models.listShopProducts(db, shopId, filter, paging);
  return page(api, { shopId: String(shopId), statuses: filter.status ? [filter.status] : ['active', 'hidden', 'sold_out'], q: filter.q }, 'newest', paging);
}

export async function getProduct(db: Db, id: number, opts: { shopId?: number } = {}): Promise<models.ProductWithShop | undefined> {
  const api = viaService(db, 'product');
  if (!api) return models.getProduct(db, id, opts);
  try {
    const { row, images, shopName } = productFromWire(await api.product.getProduct(undefined, String(id), { ...VIEW, includeHidden: true }));
    if (opts.shopId !== undefined && Number(row.shop_id) !== opts.shopId) return undefined;
    return { row, shopName: shopName ?? '', images };
  } catch (err) {
    if (isAppError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

export async function getVisibleProduct(db: Db, id: number): Promise<models.ProductWithShop | undefined> {
  if (!viaService(db, 'product')) return models.getVisibleProduct(db, id);
  const p = await getProduct(db, id);
  return p && p.row.status !== models.HIDDEN_STATUS ? p : undefined;
}

export async function productRef(db: Db, id: number): Promise<{ id: number; shop_id: number; status: ProductRow['status'] } | undefined> {
  if (!viaService(db, 'product')) return models.productRef(db, id);
  const p = await getProduct(db, id);
  return p ? { id: Number(p.row.id), shop_id: Number(p.row.shop_id), status: p.row.status } : undefined;
}
