import { AppError } from '../../lib/errors.ts';
import type { ShopRow } from '../../lib/contract/rows.ts';
import { MAX_PAGE_SIZE } from '../../lib/contract/paging.ts';
import type { ShopDirectory } from '../../rpc/ports.ts';
import { afterIdOf, keysetLimitOf, keysetPage, MAX_KEYSET_LIMIT } from '../../rpc/keyset.ts';
import { idArg, idsArg, MAX_WIRE_BATCH, productToWire, type WireProduct, type WireStatusChange } from '../../rpc/wire.ts';
import { PRODUCT_SORTS, type ProductSort, type ProductStatus, type StatusChange } from './logic.ts';
import type { ProductRepository } from './repository.ts';
import type { ProductWriter } from './writes.ts';
import type { BulkUploader } from './bulk.ts';
import { bulkUpsertForShop, bulkUpsertItems, type WireBulkItem } from './bulk-calls.ts';
import type { ProductFields } from './logic.ts';

/**
 * ProductService (thrift/product.thrift) implementation. Every method is
 * async and throws AppErrors; rpc/ maps them to the IDL's
 * typed exceptions. Methods not listed here answer NOT_IMPLEMENTED (the
 * writes stay in legacy until their routes move; see docs/services.md).
 */
export interface ProductHandlerDeps {
  repo: ProductRepository;
  shops: ShopDirectory;
  /** Content writes (createProduct/updateProduct/hideProduct/deleteProduct); absent → NOT_IMPLEMENTED. */
  writer?: ProductWriter;
  /** Crawler uploads (bulkUpsert/bulkUpsertItems); absent → NOT_IMPLEMENTED. */
  bulk?: BulkUploader;
}

const MONEY_RE = /^\d{1,10}(\.\d{1,2})?$/;

interface WireInput { shopId?: string; categoryId?: number | null; externalId?: string; name?: string; description?: string | null; price?: string; salePrice?: string | null;
  currency?: string | null; status?: string | null; attributesJson?: string | null; imageUrls?: string[] | null; clearSalePrice?: boolean | null; clearDescription?: boolean | null }

/** Wire input → the writer's fields, refusing what the edge schemas would refuse (callers are other services). */
function fieldsOf(w: WireInput): ProductFields {
  const bad = (field: string, message: string): never => { throw new AppError('VALIDATION_FAILED', undefined, { details: [{ field, message }] }); };
  const f: ProductFields = {};
  if (w.externalId != null) f.externalId = w.externalId.length >= 1 && w.externalId.length <= 64 ? w.externalId : bad('externalId', 'must be 1..64 characters');
  if (w.name != null) f.name = w.name.trim().length >= 1 && w.name.length <= 255 ? w.name : bad('name', 'must be 1..255 characters');
  if (w.description != null) f.description = w.description;
  if (w.clearDescription) f.description = null;
  if (w.price != null) f.price = MONEY_RE.test(w.price) ? w.price : bad('price', 'must be a non-negative amount with at most 2 decimals');
  if (w.salePrice != null) f.salePrice = MONEY_RE.test(w.salePrice) ? w.salePrice : bad('salePrice', 'must be a non-negative amount with at most 2 decimals');
  if (w.clearSalePrice) f.salePrice = null;
  if (w.currency != null) f.currency = /^[A-Z]{3}$/.test(w.currency) ? w.currency : bad('currency', 'must be a 3-letter ISO currency code');
  if (w.categoryId != null) f.categoryId = Number.isInteger(w.categoryId) && w.categoryId > 0 ? w.categoryId : bad('categoryId', 'must be a positive id');
  if (w.status != null) f.status = STATUSES.includes(w.status as ProductStatus) ? w.status as ProductStatus : bad('status', `must be one of ${STATUSES.join(', ')}`);
  if (w.attributesJson != null) {
    let v: unknown;
    try { v = JSON.parse(w.attributesJson); } catch { bad('attributesJson', 'must be JSON'); }
    f.attributes = v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : bad('attributesJson', 'must be a JSON object');
  }
  if (w.imageUrls != null) f.images = w.imageUrls.length <= 20 ? w.imageUrls : bad('imageUrls', 'at most 20');
  return f;
}

interface View { withImages?: boolean | null; withShop?: boolean | null; includeHidden?: boolean | null }
interface Ctx { requestId?: string }

const STATUSES: ProductStatus[] = ['active', 'hidden', 'sold_out'];
const MAX_BATCH = MAX_WIRE_BATCH;

const id = idArg;
const ids = idsArg;

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
     * Listed products (statuses absent or [active], optional shop/category/price filters, any sort; a name filter
     * `q` without a shop is legacy's search), or one shop's catalogue in any statuses with an optional name filter
     * `q` (newest first), as legacy lists them.
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
      const publicListing = statuses.length === 1 && statuses[0] === 'active' && (!f.q || shopId === undefined);
      let counted;
      if (publicListing) {
        counted = await repo.listPublic({ shopId, categoryId: f.categoryId ?? undefined, minPrice: f.minPrice ?? undefined, maxPrice: f.maxPrice ?? undefined, q: f.q ?? undefined }, sort, paging);
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

    async createProduct(_ctx: Ctx, input: WireInput): Promise<WireProduct> {
      if (!deps.writer) throw new AppError('NOT_IMPLEMENTED', 'product writes are not enabled', { status: 501 });
      const shopId = id(input?.shopId, 'shopId');
      const f = fieldsOf(input ?? {});
      if (!f.externalId || !f.name || !f.price) throw new AppError('VALIDATION_FAILED', 'externalId, name and price are required');
      if (!(await shops.get(shopId))) throw new AppError('NOT_FOUND', `Shop ${shopId} not found`);
      const pid = await deps.writer.create(shopId, f as ProductFields & { externalId: string; name: string; price: string });
      const found = (await repo.get(pid))!;
      return productToWire(found.row, found.images);
    },

    async updateProduct(_ctx: Ctx, rawId: string, patch: WireInput & { expectedVersion?: number | null }): Promise<WireProduct> {
      if (!deps.writer) throw new AppError('NOT_IMPLEMENTED', 'product writes are not enabled', { status: 501 });
      const pid = id(rawId);
      if (patch?.expectedVersion != null) {
        const cur = await repo.get(pid);
        if (cur && Number(cur.row.version) !== patch.expectedVersion) throw new AppError('CONFLICT', `Product ${pid} changed meanwhile (version ${cur.row.version})`);
      }
      if (!(await deps.writer.update(pid, fieldsOf(patch ?? {})))) throw new AppError('NOT_FOUND', `Product ${pid} not found`);
      const found = (await repo.get(pid))!;
      return productToWire(found.row, found.images);
    },

    async hideProduct(_ctx: Ctx, rawId: string): Promise<WireStatusChange> {
      if (!deps.writer) throw new AppError('NOT_IMPLEMENTED', 'product writes are not enabled', { status: 501 });
      const pid = id(rawId);
      const before = await repo.get(pid);
      if (!before || !(await deps.writer.hide(pid))) throw new AppError('NOT_FOUND', `Product ${pid} not found`);
      return { id: String(pid), fromStatus: before.row.status, toStatus: 'hidden' };
    },

    async deleteProduct(_ctx: Ctx, rawId: string): Promise<void> {
      if (!deps.writer) throw new AppError('NOT_IMPLEMENTED', 'product writes are not enabled', { status: 501 });
      const pid = id(rawId);
      if (!(await deps.writer.delete(pid))) throw new AppError('NOT_FOUND', `Product ${pid} not found`);
    },

    async bulkUpsert(_ctx: Ctx, shopId: string, items: WireBulkItem[]) {
      if (!deps.bulk) throw new AppError('NOT_IMPLEMENTED', 'product writes are not enabled', { status: 501 });
      return bulkUpsertForShop(deps.bulk, String(id(shopId, 'shopId')), items);
    },

    async bulkUpsertItems(_ctx: Ctx, items: WireBulkItem[]) {
      if (!deps.bulk) throw new AppError('NOT_IMPLEMENTED', 'product writes are not enabled', { status: 501 });
      return bulkUpsertItems(deps.bulk, items);
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

    async listCategories(_ctx: Ctx) {
      return (await repo.categories()).map((c) => ({ id: Number(c.id), parentId: c.parent_id === null ? undefined : Number(c.parent_id), name: c.name, slug: c.slug }));
    },

    /** Products with a popularity score above 0, ascending by id after `afterId` (the ranking job's previous scores). */
    async listScores(_ctx: Ctx, rawAfter: string, rawLimit: number) {
      const limit = keysetLimitOf(rawLimit);
      const page = keysetPage(await repo.scoresAfter(afterIdOf(rawAfter), limit), limit, (r) => r.id);
      return { items: page.items.map((r) => ({ productId: String(r.id), score: r.score })), nextAfterId: page.nextAfterId };
    },

    /** Scores ≥ 0 per product (the last one wins for a repeated id); version and updated_at untouched; unknown ids ignored. */
    async setScores(_ctx: Ctx, scores: { productId: string; score: number }[]): Promise<void> {
      if (!Array.isArray(scores) || scores.length > MAX_KEYSET_LIMIT) throw new AppError('VALIDATION_FAILED', `scores: a list of at most ${MAX_KEYSET_LIMIT}`);
      const wanted = new Map<number, number>();
      for (const s of scores) {
        const score = s?.score;
        if (typeof score !== 'number' || !Number.isFinite(score) || score < 0) throw new AppError('VALIDATION_FAILED', 'score must be a finite number ≥ 0');
        wanted.set(id(s.productId, 'productId'), score === 0 ? 0 : score); // -0 → 0
      }
      await repo.setScores(wanted);
    },

    /** Every product id (any status) after `afterId`, ascending (reindex, audits). */
    async listIdsAfter(_ctx: Ctx, rawAfter: string, rawLimit: number) {
      const limit = keysetLimitOf(rawLimit);
      const page = keysetPage(await repo.idsAfter(afterIdOf(rawAfter), limit), limit, (x) => x);
      return { ids: page.items.map(String), nextAfterId: page.nextAfterId };
    },

    async statsByShop(_ctx: Ctx, shopIds: string[]) {
      const rows = await repo.statsByShop(ids(shopIds, 'shopIds'));
      return rows.map((r) => ({ shopId: String(r.shop_id), activeProducts: Number(r.active ?? 0), totalProducts: Number(r.total),
        likeCount: Number(r.likes ?? 0), viewCount: Number(r.views ?? 0) }));
    },
  };
}

export type ProductHandler = ReturnType<typeof createProductHandler>;
