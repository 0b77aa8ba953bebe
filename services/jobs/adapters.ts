/**
 * Knex port implementations. Each adapter reads or writes ONE owner's tables
 * only, so none joins across owners: `logs` and `shop_daily_stats` are
 * legacy-owned (always the legacy database); `likes`, `products` and `shops`
 * adapters serve JOBS_PEERS=db, each on its owner's live database (a LiveDb
 * following the ownership registry, services/common/live-db.ts), so they too
 * follow a split without a restart. The Thrift adapters (thrift-adapters.ts)
 * are the default.
 */
import type { Knex } from 'knex';
import type { EventBucket, EventType } from '../../lib/contract/jobs/scoring.ts';
import type { EventLog, LikeLog, ProductCatalog, ProductFacts, ShopDirectoryPort, ShopFacts, ShopStatsSink } from '../../rpc/jobs/ports.ts';
import { chunks } from '../../rpc/keyset.ts';

/** A fixed knex, or a live one (LiveDb: the owner's database as the registry says now). */
export type DbRef = Knex | { current(): Knex };
const live = (db: DbRef): (() => Knex) => ('current' in db && typeof db.current === 'function' ? () => db.current() : () => db as Knex);

const BATCH = 500;
const batches = <T>(xs: T[], n = BATCH): T[][] => chunks(xs, n);

function buckets(rows: Record<string, unknown>[]): EventBucket[] {
  return rows.map((r) => ({ productId: Number(r.productId), type: String(r.type) as EventType, ageDays: Number(r.ageDays), count: Number(r.count) }));
}

/** `logs` (legacy-owned). */
export class KnexEventLog implements EventLog {
  readonly #db: () => Knex;
  constructor(db: DbRef) {
    this.#db = live(db);
  }
  async productBuckets(day: string, from: string, to: string): Promise<EventBucket[]> {
    const [rows] = (await this.#db().raw(
      `SELECT product_id AS productId, type, DATEDIFF(?, created_at) AS ageDays, COUNT(*) AS count FROM logs
        WHERE type IN ('view', 'click') AND product_id IS NOT NULL AND created_at >= ? AND created_at < ?
        GROUP BY product_id, type, ageDays`, [day, from, to])) as [Record<string, unknown>[]];
    return buckets(rows);
  }
  async shopCounts(from: string, to: string): Promise<Map<number, { views: number; clicks: number }>> {
    const [rows] = (await this.#db().raw(
      `SELECT shop_id, SUM(type = 'view') AS views, SUM(type = 'click') AS clicks FROM logs
        WHERE type IN ('view', 'click') AND shop_id IS NOT NULL AND created_at >= ? AND created_at < ? GROUP BY shop_id`, [from, to])) as [Record<string, unknown>[]];
    return new Map(rows.map((r) => [Number(r.shop_id), { views: Number(r.views), clicks: Number(r.clicks) }]));
  }
}

/** `likes` (user service's table). */
export class KnexLikeLog implements LikeLog {
  readonly #db: () => Knex;
  constructor(db: DbRef) {
    this.#db = live(db);
  }
  async productBuckets(day: string, from: string, to: string): Promise<EventBucket[]> {
    const [rows] = (await this.#db().raw(
      `SELECT product_id AS productId, 'like' AS type, DATEDIFF(?, created_at) AS ageDays, COUNT(*) AS count FROM likes
        WHERE created_at >= ? AND created_at < ? GROUP BY product_id, ageDays`, [day, from, to])) as [Record<string, unknown>[]];
    return buckets(rows);
  }
}

/** `products` (product service's table). */
export class KnexProductCatalog implements ProductCatalog {
  readonly #db: () => Knex;
  constructor(db: DbRef) {
    this.#db = live(db);
  }
  async facts(ids: number[]): Promise<Map<number, ProductFacts>> {
    const out = new Map<number, ProductFacts>();
    for (const c of batches(ids)) {
      for (const r of await this.#db()('products').whereIn('id', c).select('id', 'shop_id', 'status')) out.set(Number(r.id), { id: Number(r.id), shopId: Number(r.shop_id), status: r.status });
    }
    return out;
  }
  async scoredProducts(): Promise<Map<number, number>> {
    const rows = await this.#db()('products').where('popularity_score', '>', 0).select('id', 'popularity_score');
    return new Map(rows.map((r) => [Number(r.id), Number(r.popularity_score)]));
  }
  async writeScores(set: [number, number][], zero: number[]): Promise<void> {
    for (const c of batches(zero)) await this.#db().raw(`UPDATE products SET popularity_score = 0, updated_at = updated_at WHERE id IN (${c.map(() => '?').join(',')})`, c);
    for (const c of batches(set)) {
      await this.#db().raw(`UPDATE products SET popularity_score = CASE id ${c.map(() => 'WHEN ? THEN ?').join(' ')} END, updated_at = updated_at WHERE id IN (${c.map(() => '?').join(',')})`,
        [...c.flat(), ...c.map(([id]) => id)]);
    }
  }
  async activeCounts(shopIds: number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const c of batches(shopIds)) {
      const rows = (await this.#db()('products').where('status', 'active').whereIn('shop_id', c).groupBy('shop_id').select('shop_id').count({ n: '*' })) as unknown as { shop_id: number; n: number }[];
      for (const r of rows) out.set(Number(r.shop_id), Number(r.n));
    }
    return out;
  }
}

/** `shops` (shop service's table). */
export class KnexShopDirectory implements ShopDirectoryPort {
  readonly #db: () => Knex;
  constructor(db: DbRef) {
    this.#db = live(db);
  }
  async allIds(): Promise<number[]> {
    return (await this.#db()('shops').select('id').orderBy('id')).map((r) => Number(r.id));
  }
  async facts(ids: number[]): Promise<Map<number, ShopFacts>> {
    const out = new Map<number, ShopFacts>();
    for (const c of batches(ids)) {
      for (const r of await this.#db()('shops').whereIn('id', c).select('id', 'status', 'contract_status')) out.set(Number(r.id), { id: Number(r.id), status: r.status, contractStatus: r.contract_status });
    }
    return out;
  }
}

/** Rows per upsert statement (legacy's job writes the table the same way: legacy/jobs/shop-stats.ts). */
const UPSERT_BATCH = 1000;

/** `shop_daily_stats` (the job's output table): the service's own upsert, a copy of legacy's on purpose. */
export class KnexShopStatsSink implements ShopStatsSink {
  readonly #db: () => Knex;
  constructor(db: DbRef) {
    this.#db = live(db);
  }
  async upsert(rows: Parameters<ShopStatsSink['upsert']>[0], computedAt: string): Promise<void> {
    const db = this.#db();
    for (const batch of chunks(rows, UPSERT_BATCH)) {
      await db.raw(
        `INSERT INTO shop_daily_stats (shop_id, day, views, clicks, likes, active_products, computed_at) VALUES ${batch.map(() => '(?,?,?,?,?,?,?)').join(',')}
         ON DUPLICATE KEY UPDATE views = VALUES(views), clicks = VALUES(clicks), likes = VALUES(likes),
           active_products = VALUES(active_products), computed_at = VALUES(computed_at)`,
        batch.flatMap((r) => [r.shopId, r.day, r.views, r.clicks, r.likes, r.activeProducts, computedAt]));
    }
  }
}
