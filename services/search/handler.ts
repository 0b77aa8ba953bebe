/**
 * SearchService (thrift/search.thrift). Every method is async and throws
 * AppErrors; rpc/ maps them to the IDL's typed exceptions
 * (an unreachable backend → Unavailable).
 */
import { AppError } from '../../lib/errors.ts';
import { BackendUnavailableError, SORTS, type SearchBackend, type SearchDocument, type SearchSort } from './backends/types.ts';
import { MAX_WINDOW } from './logic.ts';
import type { ProductSource } from './source.ts';
import { DEFAULT_REINDEX_BATCH } from './reindex.ts';

interface Ctx { requestId?: string }
interface WireQuery {
  q?: string | null; shopId?: string | null; categoryId?: number | null; minPrice?: string | null; maxPrice?: string | null;
  sort?: string | null; page?: { limit?: number | null; offset?: number | null } | null; hydrate?: boolean | null;
}
interface WireDocument {
  productId: string; shopId: string; categoryId?: number | null; name: string; description?: string | null; price: string;
  salePrice?: string | null; status: string; popularityScore: number; createdAt: string; shopName?: string | null;
}

const ID_RE = /^[1-9]\d{0,15}$/;
const PRICE_RE = /^\d{1,10}(\.\d{1,2})?$/;
const MAX_BATCH = 500;

function wireId(v: unknown, what: string): number {
  if (typeof v !== 'string' || !ID_RE.test(v) || !Number.isSafeInteger(Number(v))) throw new AppError('VALIDATION_FAILED', `${what} must be a positive decimal id`);
  return Number(v);
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BackendUnavailableError) throw new AppError('SERVICE_UNAVAILABLE', 'Search backend is unavailable');
    throw err;
  }
}

export function documentFromWire(d: WireDocument): SearchDocument {
  const status = d.status as SearchDocument['status'];
  if (!['active', 'hidden', 'sold_out'].includes(status)) throw new AppError('VALIDATION_FAILED', 'status must be active, hidden or sold_out');
  for (const [k, v] of [['price', d.price], ['salePrice', d.salePrice]] as const) {
    if (v != null && !PRICE_RE.test(v)) throw new AppError('VALIDATION_FAILED', `${k} must be a decimal amount`);
  }
  const created = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(d.createdAt ?? '');
  if (!created) throw new AppError('VALIDATION_FAILED', 'createdAt must be ISO-8601 UTC');
  return {
    id: wireId(d.productId, 'productId'), version: 0, shopId: wireId(d.shopId, 'shopId'), shopName: d.shopName ?? '',
    categoryId: d.categoryId ?? null, categoryName: null, name: d.name, description: d.description ?? null, price: d.price,
    salePrice: d.salePrice ?? null, discountRate: '0.00', currency: 'KRW', status, imageUrl: null, likeCount: 0,
    popularityScore: Number(d.popularityScore) || 0, keywords: null, createdAt: `${created[1]} ${created[2]}.${(created[3] ?? '').padEnd(6, '0')}`,
  };
}

export function createSearchHandler(deps: { backend: SearchBackend; source: ProductSource }) {
  const { backend, source } = deps;
  return {
    async search(_ctx: Ctx, query?: WireQuery | null) {
      const q = (query?.q ?? '').trim();
      if (!q) throw new AppError('VALIDATION_FAILED', 'q must not be empty');
      const sort = (query?.sort === 'popular' ? 'popularity' : query?.sort ?? 'relevance') as SearchSort;
      if (!SORTS.includes(sort)) throw new AppError('VALIDATION_FAILED', `sort must be one of ${SORTS.join(', ')}`);
      const limit = query?.page?.limit ?? 20;
      const offset = query?.page?.offset ?? 0;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new AppError('VALIDATION_FAILED', 'page.limit must be 1..100');
      if (!Number.isInteger(offset) || offset < 0 || offset + limit > MAX_WINDOW) throw new AppError('VALIDATION_FAILED', `page.offset + page.limit must be within ${MAX_WINDOW}`);
      const filters: Record<string, unknown> = {};
      if (query?.shopId) filters.shopId = wireId(query.shopId, 'shopId');
      if (query?.categoryId != null) filters.categoryId = query.categoryId;
      for (const k of ['minPrice', 'maxPrice'] as const) {
        const v = query?.[k];
        if (v == null) continue;
        if (!PRICE_RE.test(v)) throw new AppError('VALIDATION_FAILED', `${k} must be a decimal amount`);
        filters[k] = v;
      }
      const r = await guard(() => backend.search({ q, sort, offset, limit, filters }));
      return {
        hits: r.hits.map((h) => ({ productId: String(h.id), score: h.score })),
        page: { limit, offset, total: r.total },
      };
    },

    async indexDocuments(_ctx: Ctx, docs: WireDocument[]): Promise<number> {
      if (!Array.isArray(docs) || docs.length > MAX_BATCH) throw new AppError('VALIDATION_FAILED', `docs: a list of at most ${MAX_BATCH}`);
      // IDL documents carry no version: prefer the product service's current state when it has the product.
      const fresh = new Map((await source.getMany(docs.map((d) => wireId(d.productId, 'productId')))).map((d) => [d.id, d]));
      // ...but the status the caller sends wins (saga compensation restores the status products had before).
      const merged = docs.map((d) => {
        const f = fresh.get(Number(d.productId));
        return f ? { ...f, status: documentFromWire(d).status } : documentFromWire(d);
      });
      const out = await guard(() => backend.upsert(merged, { force: true }));
      return out.applied;
    },

    async removeDocuments(_ctx: Ctx, ids: string[]): Promise<number> {
      if (!Array.isArray(ids) || ids.length > MAX_BATCH) throw new AppError('VALIDATION_FAILED', `productIds: a list of at most ${MAX_BATCH}`);
      let n = 0;
      for (const id of ids.map((x) => wireId(x, 'productIds'))) {
        if ((await guard(() => backend.get(id))) === null) continue;
        await guard(() => backend.remove(id, 0, { force: true }));
        n++;
      }
      return n;
    },

    async removeByShop(_ctx: Ctx, shopId: string): Promise<string[]> {
      return (await guard(() => backend.removeByShop(wireId(shopId, 'shopId')))).map(String);
    },

    async reindex(_ctx: Ctx, request?: { afterId?: string | null; batchSize?: number | null } | null) {
      const after = request?.afterId ? wireId(request.afterId, 'afterId') : 0;
      const size = request?.batchSize ?? DEFAULT_REINDEX_BATCH;
      if (!Number.isInteger(size) || size < 1 || size > 2000) throw new AppError('VALIDATION_FAILED', 'batchSize must be 1..2000');
      const docs = await source.listAfter(after, size);
      if (docs.length) await guard(() => backend.upsert(docs));
      return { indexed: docs.length, lastId: docs.length ? String(docs[docs.length - 1].id) : request?.afterId ?? undefined, done: docs.length < size };
    },

    async documentCount(_ctx: Ctx): Promise<number> {
      return guard(() => backend.count());
    },
  };
}
