/**
 * The jobs' ports over the services' batch Thrift calls: likes from the user
 * service (likesByDay), product facts, active counts and popularity scores
 * from the product service (getMany, statsByShop, listScores, setScores),
 * shops from the shop service (listShops, getMany). With these the jobs read
 * and write no service's tables; only the legacy-owned `logs` and
 * `shop_daily_stats` stay on the legacy database (adapters.ts).
 *
 * The API types are the few methods used, so a generated client from
 * rpc/ fits, and so does an in-process handler.
 */
import type { EventBucket } from '../../lib/contract/jobs/scoring.ts';
import type { LikeLog, ProductCatalog, ProductFacts, ShopDirectoryPort, ShopFacts } from './ports.ts';
import { allKeysetPages, chunks } from '../keyset.ts';

type Ctx = Record<string, unknown> | undefined;
type Page<T> = { items: T[]; nextAfterId?: string | null };

export interface ProductBatchApi {
  getMany(ctx: Ctx, ids: string[], view: { includeHidden?: boolean }): Promise<Array<{ id: string; shopId: string; status: string }>>;
  statsByShop(ctx: Ctx, shopIds: string[]): Promise<Array<{ shopId: string; activeProducts: number }>>;
  listScores(ctx: Ctx, afterId: string, limit: number): Promise<Page<{ productId: string; score: number }>>;
  setScores(ctx: Ctx, scores: Array<{ productId: string; score: number }>): Promise<void>;
}
export interface ShopBatchApi {
  getMany(ctx: Ctx, ids: string[]): Promise<Array<{ id: string; status: string; contractStatus: string }>>;
  listShops(ctx: Ctx, query: { page?: { limit?: number; offset?: number } }): Promise<{ items: Array<{ id: string }> }>;
}
export interface UserBatchApi {
  likesByDay(ctx: Ctx, fromTime: string, toTime: string, productIds: string[] | undefined, afterId: string, limit: number): Promise<Page<{ targetId: string; day: string; count: number }>>;
}

/** Ids per getMany call. */
export const ID_BATCH = 500;
/**
 * Shops per statsByShop call. Its work grows with the shops' products, not the
 * ids: at seed scale 500 (447 shops, 1 M products, 128 MB buffer pool) one
 * call for every shop read all products by index + primary-key lookups for
 * 64–74 s and missed the jobs' 30 s call deadline, so shop stats failed every
 * run (`npm run bench -- jobs`). 25 shops (~55 k products there) take a few
 * seconds per call; the total is the same.
 */
export const SHOP_STATS_BATCH = 25;
/** Keyset page size for listScores and likesByDay (the IDL allows up to 5000). */
export const PAGE = 5000;
/** Scores per setScores call (the IDL allows up to 5000). */
export const SCORE_BATCH = 2000;
const DAY_MS = 86_400_000;

/** DATETIME(6) literal 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) → common.Timestamp 'YYYY-MM-DDTHH:MM:SS.ffffffZ'. */
export function toTimestamp(datetime6: string): string {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/.test(datetime6)) throw new Error(`not a DATETIME(6) literal: ${datetime6}`);
  return `${datetime6.replace(' ', 'T')}Z`;
}

/**
 * Whole days from `likeDay` to `day`, as MariaDB's DATEDIFF(day, created_at)
 * counts them: the difference of the two calendar dates, the time of day
 * ignored (a like at 23:59 the day before is 1 day old, like one at 00:00).
 */
export function ageDays(day: string, likeDay: string): number {
  const a = Date.parse(`${day}T00:00:00Z`);
  const b = Date.parse(`${likeDay}T00:00:00Z`);
  if (Number.isNaN(a) || Number.isNaN(b)) throw new Error(`bad day ${Number.isNaN(a) ? day : likeDay}`);
  return Math.round((a - b) / DAY_MS);
}

/** Sizes of pages and batches (defaults above; tests make them small to cross page boundaries). */
export interface BatchSizes {
  page?: number;
  ids?: number;
  scores?: number;
}

/** Likes per (product, age) through user.likesByDay: every product, paged by product id. */
export class ThriftLikeLog implements LikeLog {
  readonly #api: UserBatchApi;
  readonly #page: number;
  constructor(api: UserBatchApi, sizes: BatchSizes = {}) {
    this.#api = api;
    this.#page = sizes.page ?? PAGE;
  }
  async productBuckets(day: string, from: string, to: string): Promise<EventBucket[]> {
    const fromTime = toTimestamp(from);
    const toTime = toTimestamp(to);
    const rows = await allKeysetPages((after) => this.#api.likesByDay(undefined, fromTime, toTime, undefined, after, this.#page));
    return rows.map((r) => ({ productId: Number(r.targetId), type: 'like' as const, ageDays: ageDays(day, r.day), count: Number(r.count) }));
  }
}

/** Product facts, active counts and popularity scores over the product service's batch calls. */
export class ThriftProductCatalog implements ProductCatalog {
  readonly #api: ProductBatchApi;
  readonly #sizes: Required<BatchSizes>;
  constructor(api: ProductBatchApi, sizes: BatchSizes = {}) {
    this.#api = api;
    this.#sizes = { page: PAGE, ids: ID_BATCH, scores: SCORE_BATCH, ...sizes };
  }
  async facts(ids: number[]): Promise<Map<number, ProductFacts>> {
    const out = new Map<number, ProductFacts>();
    for (const c of chunks(ids, this.#sizes.ids)) {
      for (const p of await this.#api.getMany(undefined, c.map(String), { includeHidden: true })) {
        out.set(Number(p.id), { id: Number(p.id), shopId: Number(p.shopId), status: p.status as ProductFacts['status'] });
      }
    }
    return out;
  }
  async scoredProducts(): Promise<Map<number, number>> {
    const rows = await allKeysetPages((after) => this.#api.listScores(undefined, after, this.#sizes.page));
    return new Map(rows.map((r) => [Number(r.productId), Number(r.score)]));
  }
  async writeScores(set: [number, number][], zero: number[]): Promise<void> {
    const all = [...zero.map((id) => ({ productId: String(id), score: 0 })), ...set.map(([id, score]) => ({ productId: String(id), score }))];
    for (const c of chunks(all, this.#sizes.scores)) await this.#api.setScores(undefined, c);
  }
  async activeCounts(shopIds: number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const c of chunks(shopIds, Math.min(this.#sizes.ids, SHOP_STATS_BATCH))) for (const s of await this.#api.statsByShop(undefined, c.map(String))) out.set(Number(s.shopId), Number(s.activeProducts));
    return out;
  }
}

export class ThriftShopDirectory implements ShopDirectoryPort {
  readonly #api: ShopBatchApi;
  constructor(api: ShopBatchApi) {
    this.#api = api;
  }
  async allIds(): Promise<number[]> {
    const ids: number[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await this.#api.listShops(undefined, { page: { limit: 100, offset } });
      ids.push(...page.items.map((s) => Number(s.id)));
      if (page.items.length < 100) return ids.sort((a, b) => a - b);
    }
  }
  async facts(ids: number[]): Promise<Map<number, ShopFacts>> {
    const out = new Map<number, ShopFacts>();
    for (const c of chunks(ids, ID_BATCH)) {
      for (const s of await this.#api.getMany(undefined, c.map(String))) out.set(Number(s.id), { id: Number(s.id), status: s.status as ShopFacts['status'], contractStatus: s.contractStatus });
    }
    return out;
  }
}
