/**
 * Port implementations. Each knex adapter reads or writes ONE owner's tables
 * only (so it works unchanged when that owner's tables move to its own
 * database: hand it that database's knex); the Thrift adapters use the
 * services' batch calls where the IDL has them.
 */
import type { Knex } from 'knex';
import type { EventBucket, EventType } from '../../legacy/jobs/scoring.ts';
import type { EventLog, LikeLog, ProductCatalog, ProductFacts, ShopDirectoryPort, ShopFacts, ShopStatsSink } from './ports.ts';

const BATCH = 500;
const chunks = <T>(xs: T[], n = BATCH): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

function buckets(rows: Record<string, unknown>[]): EventBucket[] {
  return rows.map((r) => ({ productId: Number(r.productId), type: String(r.type) as EventType, ageDays: Number(r.ageDays), count: Number(r.count) }));
}

/** `logs` (legacy-owned). */
export class KnexEventLog implements EventLog {
  readonly #k: Knex;
  constructor(knex: Knex) {
    this.#k = knex;
  }
  async productBuckets(day: string, from: string, to: string): Promise<EventBucket[]> {
    const [rows] = (await this.#k.raw(
      `SELECT product_id AS productId, type, DATEDIFF(?, created_at) AS ageDays, COUNT(*) AS count FROM logs
        WHERE type IN ('view', 'click') AND product_id IS NOT NULL AND created_at >= ? AND created_at < ?
        GROUP BY product_id, type, ageDays`, [day, from, to])) as [Record<string, unknown>[]];
    return buckets(rows);
  }
  async shopCounts(from: string, to: string): Promise<Map<number, { views: number; clicks: number }>> {
    const [rows] = (await this.#k.raw(
      `SELECT shop_id, SUM(type = 'view') AS views, SUM(type = 'click') AS clicks FROM logs
        WHERE type IN ('view', 'click') AND shop_id IS NOT NULL AND created_at >= ? AND created_at < ? GROUP BY shop_id`, [from, to])) as [Record<string, unknown>[]];
    return new Map(rows.map((r) => [Number(r.shop_id), { views: Number(r.views), clicks: Number(r.clicks) }]));
  }
}

/** `likes` (user service's table). */
export class KnexLikeLog implements LikeLog {
  readonly #k: Knex;
  constructor(knex: Knex) {
    this.#k = knex;
  }
  async productBuckets(day: string, from: string, to: string): Promise<EventBucket[]> {
    const [rows] = (await this.#k.raw(
      `SELECT product_id AS productId, 'like' AS type, DATEDIFF(?, created_at) AS ageDays, COUNT(*) AS count FROM likes
        WHERE created_at >= ? AND created_at < ? GROUP BY product_id, ageDays`, [day, from, to])) as [Record<string, unknown>[]];
    return buckets(rows);
  }
}

/** `products` (product service's table). */
export class KnexProductCatalog implements ProductCatalog {
  readonly #k: Knex;
  constructor(knex: Knex) {
    this.#k = knex;
  }
  async facts(ids: number[]): Promise<Map<number, ProductFacts>> {
    const out = new Map<number, ProductFacts>();
    for (const c of chunks(ids)) {
      for (const r of await this.#k('products').whereIn('id', c).select('id', 'shop_id', 'status')) out.set(Number(r.id), { id: Number(r.id), shopId: Number(r.shop_id), status: r.status });
    }
    return out;
  }
  async scoredProducts(): Promise<Map<number, number>> {
    const rows = await this.#k('products').where('popularity_score', '>', 0).select('id', 'popularity_score');
    return new Map(rows.map((r) => [Number(r.id), Number(r.popularity_score)]));
  }
  async writeScores(set: [number, number][], zero: number[]): Promise<void> {
    for (const c of chunks(zero)) await this.#k.raw(`UPDATE products SET popularity_score = 0, updated_at = updated_at WHERE id IN (${c.map(() => '?').join(',')})`, c);
    for (const c of chunks(set)) {
      await this.#k.raw(`UPDATE products SET popularity_score = CASE id ${c.map(() => 'WHEN ? THEN ?').join(' ')} END, updated_at = updated_at WHERE id IN (${c.map(() => '?').join(',')})`,
        [...c.flat(), ...c.map(([id]) => id)]);
    }
  }
  async activeCounts(shopIds: number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const c of chunks(shopIds)) {
      const rows = (await this.#k('products').where('status', 'active').whereIn('shop_id', c).groupBy('shop_id').select('shop_id').count({ n: '*' })) as unknown as { shop_id: number; n: number }[];
      for (const r of rows) out.set(Number(r.shop_id), Number(r.n));
    }
    return out;
  }
}

/** `shops` (shop service's table). */
export class KnexShopDirectory implements ShopDirectoryPort {
  readonly #k: Knex;
  constructor(knex: Knex) {
    this.#k = knex;
  }
  async allIds(): Promise<number[]> {
    return (await this.#k('shops').select('id').orderBy('id')).map((r) => Number(r.id));
  }
  async facts(ids: number[]): Promise<Map<number, ShopFacts>> {
    const out = new Map<number, ShopFacts>();
    for (const c of chunks(ids)) {
      for (const r of await this.#k('shops').whereIn('id', c).select('id', 'status', 'contract_status')) out.set(Number(r.id), { id: Number(r.id), status: r.status, contractStatus: r.contract_status });
    }
    return out;
  }
}

/** `shop_daily_stats` (the job's output table). */
export class KnexShopStatsSink implements ShopStatsSink {
  readonly #k: Knex;
  constructor(knex: Knex) {
    this.#k = knex;
  }
  async upsert(rows: Parameters<ShopStatsSink['upsert']>[0], computedAt: string): Promise<void> {
    for (const c of chunks(rows, 1000)) {
      await this.#k.raw(
        `INSERT INTO shop_daily_stats (shop_id, day, views, clicks, likes, active_products, computed_at) VALUES ${c.map(() => '(?,?,?,?,?,?,?)').join(',')}
         ON DUPLICATE KEY UPDATE views = VALUES(views), clicks = VALUES(clicks), likes = VALUES(likes), active_products = VALUES(active_products), computed_at = VALUES(computed_at)`,
        c.flatMap((s) => [s.shopId, s.day, s.views, s.clicks, s.likes, s.activeProducts, computedAt]));
    }
  }
}

/** The product and shop services' batch calls (thrift/product.thrift getMany + statsByShop, thrift/shop.thrift getMany + listShops). */
export interface ProductBatchApi {
  getMany(ctx: object, ids: string[], view: object): Promise<Array<{ id: string; shopId: string; status: string }>>;
  statsByShop(ctx: object, shopIds: string[]): Promise<Array<{ shopId: string; activeProducts: number }>>;
}
export interface ShopBatchApi {
  getMany(ctx: object, ids: string[]): Promise<Array<{ id: string; status: string; contractStatus: string }>>;
  listShops(ctx: object, query: object): Promise<{ items: Array<{ id: string }> }>;
}

/**
 * Product facts and active counts over Thrift; scores still go through
 * `scores` (the IDL has no call to read or set popularity scores yet).
 */
export class ThriftProductCatalog implements ProductCatalog {
  readonly #api: ProductBatchApi;
  readonly #scores: Pick<ProductCatalog, 'scoredProducts' | 'writeScores'>;
  constructor(api: ProductBatchApi, scores: Pick<ProductCatalog, 'scoredProducts' | 'writeScores'>) {
    this.#api = api;
    this.#scores = scores;
  }
  async facts(ids: number[]): Promise<Map<number, ProductFacts>> {
    const out = new Map<number, ProductFacts>();
    for (const c of chunks(ids)) {
      for (const p of await this.#api.getMany({}, c.map(String), { includeHidden: true })) {
        out.set(Number(p.id), { id: Number(p.id), shopId: Number(p.shopId), status: p.status as ProductFacts['status'] });
      }
    }
    return out;
  }
  scoredProducts(): Promise<Map<number, number>> {
    return this.#scores.scoredProducts();
  }
  writeScores(set: [number, number][], zero: number[]): Promise<void> {
    return this.#scores.writeScores(set, zero);
  }
  async activeCounts(shopIds: number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const c of chunks(shopIds)) for (const s of await this.#api.statsByShop({}, c.map(String))) out.set(Number(s.shopId), Number(s.activeProducts));
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
      const page = await this.#api.listShops({}, { page: { limit: 100, offset } });
      ids.push(...page.items.map((s) => Number(s.id)));
      if (page.items.length < 100) return ids.sort((a, b) => a - b);
    }
  }
  async facts(ids: number[]): Promise<Map<number, ShopFacts>> {
    const out = new Map<number, ShopFacts>();
    for (const c of chunks(ids)) {
      for (const s of await this.#api.getMany({}, c.map(String))) out.set(Number(s.id), { id: Number(s.id), status: s.status as ShopFacts['status'], contractStatus: s.contractStatus });
    }
    return out;
  }
}
