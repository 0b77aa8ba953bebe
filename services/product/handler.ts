import { AppError } from '../../lib/errors.ts';
import type { ShopRow } from '../../legacy/contract/rows.ts';
import { MAX_PAGE_SIZE } from '../../legacy/contract/paging.ts';
import type { ShopDirectory } from '../kit/ports.ts';
import { parseWireId, productToWire, type WireProduct, type WireStatusChange } from '../kit/wire.ts';
import { PRODUCT_SORTS, type ProductSort, type ProductStatus, type StatusChange } from './logic.ts';
import type { ProductRepository } from './repository.ts';

/**
 * ProductService (thrift/product.thrift) implementation. Every method is
 * async and throws AppErrors; services/common/thrift maps them to the IDL's
 * typed exceptions. Methods not listed here answer NOT_IMPLEMENTED (the
 * writes stay in legacy until their routes move; see docs/services.md).
 */
export interface ProductHandlerDeps {
  repo: ProductRepository;
  shops: ShopDirectory;
}

interface View { withImages?: boolean | null; withShop?: boolean | null; includeHidden?: boolean | null }
interface Ctx { requestId?: string }

const STATUSES: ProductStatus[] = ['active', 'hidden', 'sold_out'];
const MAX_BATCH = 500;

function id(v: unknown, what = 'id'): number {
  const n = parseWireId(v);
  if (n === undefined) throw new AppError('VALIDATION_FAILED', `${what} must be a positive decimal id`);
  return n;
}

function ids(v: unknown, what = 'ids'): number[] {
  if (!Array.isArray(v)) throw new AppError('VALIDATION_FAILED', `${what} must be a list`);
  if (v.length > MAX_BATCH) throw new AppError('VALIDATION_FAILED', `${what}: at most ${MAX_BATCH} per call`);
  return v.map((x) => id(x, what));
}

function change(c: StatusChange): WireStatusChange {
  return { id: String(c.id), fromStatus: c.fromStatus, toStatus: c.toStatus };
}

export function createProductHandler(deps: ProductHandlerDeps) {
  const { repo, shops } = deps;

  async function shopsFor(shopIds: number[], want: boolean): Promise<Map<number, ShopRow>> {
    if (!want || shopIds.length === 0) return new Map();
    return new Map((await shops.getMany([...new Set(shopIds)])).map((s) => [Number(s.id), s]));
  }

  return {
    async getProduct(_ctx: Ctx, rawId: string, view?: View | null): Promise<WireProduct> {
      const pid = id(rawId);
      const found = await repo.get(pid);
      if (!found || (found.row.status === 'hidden' && !view?.includeHidden)) throw new AppError('NOT_FOUND', `Product ${pid} not found`);
      const shopMap = await shopsFor([Number(found.row.shop_id)], view?.withShop ?? false);
      return productToWire(found.row, view?.withImages ? found.images : undefined, shopMap.get(Number(found.row.shop_id)));
    },

    /** Found products in the order of `ids`; unknown (and, unless asked, hidden) ones left out. One shop call per batch. */
    async getMany(_ctx: Ctx, rawIds: string[], view?: View | null): Promise<WireProduct[]> {
      const wanted = ids(rawIds);
      const rows = await repo.getMany(wanted, view?.withImages ?? false);
      const visible = rows.filter((p) => view?.includeHidden || p.row.status !== 'hidden');
      const shopMap = await shopsFor(visible.map((p) => Number(p.row.shop_id)), view?.withShop ?? false);
      const byId = new Map(visible.map((p) => [Number(p.row.id), p]));
      return wanted.flatMap((w) => {
        const p = byId.get(w);
        return p ? [productToWire(p.row, view?.withImages ? p.images : undefined, shopMap.get(Number(p.row.shop_id)))] : [];
      });
    },

    /**
     * Listed products (statuses absent or [active], optional shop/category/price filters, any sort), or one
     * shop's catalogue in any statuses with an optional name filter `q` (newest first), as legacy lists them.
     */
    async listProducts(_ctx: Ctx, query?: { filter?: { shopId?: string | null; categoryId?: number | null; statuses?: string[] | null; minPrice?: string | null; maxPrice?: string | null; q?: string | null } | null; sort?: string | null; page?: { limit?: number | null; offset?: number | null } | null; view?: View | null } | null) {
      const f = query?.filter ?? {};
      const sort = (query?.sort ?? 'newest') as ProductSort;
      if (!PRODUCT_SORTS.includes(sort)) throw new AppError('VALIDATION_FAILED', `sort must be one of ${PRODUCT_SORTS.join(', ')}`);
      const limit = query?.page?.limit ?? 20;
      const offset = query?.page?.offset ?? 0;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw new AppError('VALIDATION_FAILED', `page.limit must be 1..${MAX_PAGE_SIZE}`);
      if (!Number.isInteger(offset) || offset < 0 || offset % limit !== 0) throw new AppError('VALIDATION_FAILED', 'page.offset must be a multiple of page.limit');
      const statuses = f.statuses?.length ? [...new Set(f.statuses)] : ['active'];
      if (statuses.some((x) => !STATUSES.includes(x as ProductStatus))) throw new AppError('VALIDATION_FAILED', `statuses must be among ${STATUSES.join(', ')}`);
      const paging = { page: offset / limit + 1, size: limit };
      const shopId = f.shopId === undefined || f.shopId === null ? undefined : id(f.shopId, 'filter.shopId');
      const publicListing = statuses.length === 1 && statuses[0] === 'active' && !f.q;
      let counted;
      if (publicListing) {
        counted = await repo.listPublic({ shopId, categoryId: f.categoryId ?? undefined, minPrice: f.minPrice ?? undefined, maxPrice: f.maxPrice ?? undefined }, sort, paging);
      } else {
        if (shopId === undefined) throw new AppError('VALIDATION_FAILED', 'a name filter or non-active statuses need filter.shopId');
        if (statuses.length === 2) throw new AppError('VALIDATION_FAILED', 'statuses: one status, or all three');
        counted = await repo.listByShop(shopId, { status: statuses.length === 1 ? statuses[0] as ProductStatus : undefined, q: f.q ?? undefined }, paging);
      }
      const full = await repo.getMany(counted.rows.map((r) => Number(r.id)), query?.view?.withImages ?? false);
      const byId = new Map(full.map((p) => [Number(p.row.id), p]));
      const shopMap = await shopsFor(counted.rows.map((r) => Number(r.shop_id)), query?.view?.withShop ?? false);
      const items = counted.rows.flatMap((r) => {
        const p = byId.get(Number(r.id));
        return p ? [productToWire(p.row, query?.view?.withImages ? p.images : undefined, shopMap.get(Number(r.shop_id)))] : [];
      });
      return { items, page: { limit, offset, total: counted.total } };
    },

    async hideByShop(_ctx: Ctx, shopId: string): Promise<WireStatusChange[]> {
      return (await repo.hideByShop(id(shopId, 'shopId'))).map(change);
    },

    async restoreStatuses(_ctx: Ctx, changes: WireStatusChange[]): Promise<WireStatusChange[]> {
      if (!Array.isArray(changes) || changes.length > MAX_BATCH) throw new AppError('VALIDATION_FAILED', `changes: a list of at most ${MAX_BATCH}`);
      const parsed = changes.map((c) => {
        if (!STATUSES.includes(c.fromStatus as ProductStatus) || !STATUSES.includes(c.toStatus as ProductStatus)) {
          throw new AppError('VALIDATION_FAILED', `statuses must be among ${STATUSES.join(', ')}`);
        }
        return { id: id(c.id), fromStatus: c.fromStatus as ProductStatus, toStatus: c.toStatus as ProductStatus };
      });
      return (await repo.restoreStatuses(parsed)).map(change);
    },

    async applyCounters(_ctx: Ctx, deltas: { productId: string; likeDelta?: number | null; viewDelta?: number | null }[]): Promise<void> {
      if (!Array.isArray(deltas) || deltas.length > MAX_BATCH) throw new AppError('VALIDATION_FAILED', `deltas: a list of at most ${MAX_BATCH}`);
      const parsed = deltas.map((d) => {
        const like = d.likeDelta ?? 0;
        const view = d.viewDelta ?? 0;
        if (!Number.isSafeInteger(like) || !Number.isSafeInteger(view)) throw new AppError('VALIDATION_FAILED', 'deltas must be integers');
        return { productId: id(d.productId, 'productId'), likeDelta: like, viewDelta: view };
      });
      await repo.applyCounters(parsed);
    },

    async statsByShop(_ctx: Ctx, shopIds: string[]) {
      const rows = await repo.statsByShop(ids(shopIds, 'shopIds'));
      return rows.map((r) => ({ shopId: String(r.shop_id), activeProducts: Number(r.active ?? 0), totalProducts: Number(r.total),
        likeCount: Number(r.likes ?? 0), viewCount: Number(r.views ?? 0) }));
    },
  };
}

export type ProductHandler = ReturnType<typeof createProductHandler>;
