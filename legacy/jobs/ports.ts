/**
 * The ports legacy's jobs use once the tables are split (the via-services version, rpc/jobs): likes, products
 * and shops through the services' batch Thrift calls; the event log (`logs`) and the output (`shop_daily_stats`)
 * are legacy's own tables, read and written here with legacy's SQL. The events process has its own adapters
 * for the same tables (services/jobs/adapters.ts): a copy on purpose, each side owns its queries.
 */
import type { Knex } from 'knex';
import type { EventBucket, EventType } from '../../lib/contract/jobs/scoring.ts';
import type { JobClients } from '../../rpc/jobs/clients.ts';
import type { EventLog, JobPorts, ShopStatsSink } from '../../rpc/jobs/ports.ts';
import { ThriftLikeLog, ThriftProductCatalog, ThriftShopDirectory, type BatchSizes } from '../../rpc/jobs/thrift-adapters.ts';
import { upsertShopStats } from './shop-stats.ts';

/** `logs`: view/click counts for the jobs, without joins (the products and shops are the services'). */
export class LegacyEventLog implements EventLog {
  readonly #db: Knex;
  constructor(db: Knex) {
    this.#db = db;
  }
  async productBuckets(day: string, from: string, to: string): Promise<EventBucket[]> {
    const [rows] = (await this.#db.raw(
      `SELECT product_id AS productId, type, DATEDIFF(?, created_at) AS ageDays, COUNT(*) AS count FROM logs
        WHERE type IN ('view', 'click') AND product_id IS NOT NULL AND created_at >= ? AND created_at < ?
        GROUP BY product_id, type, ageDays`, [day, from, to])) as [Record<string, unknown>[]];
    return rows.map((r) => ({ productId: Number(r.productId), type: String(r.type) as EventType, ageDays: Number(r.ageDays), count: Number(r.count) }));
  }
  async shopCounts(from: string, to: string): Promise<Map<number, { views: number; clicks: number }>> {
    const [rows] = (await this.#db.raw(
      `SELECT shop_id, SUM(type = 'view') AS views, SUM(type = 'click') AS clicks FROM logs
        WHERE type IN ('view', 'click') AND shop_id IS NOT NULL AND created_at >= ? AND created_at < ? GROUP BY shop_id`, [from, to])) as [Record<string, unknown>[]];
    return new Map(rows.map((r) => [Number(r.shop_id), { views: Number(r.views), clicks: Number(r.clicks) }]));
  }
}

/** `shop_daily_stats`, with the SQL job's own upsert. */
export class LegacyShopStatsSink implements ShopStatsSink {
  readonly #db: Knex;
  constructor(db: Knex) {
    this.#db = db;
  }
  upsert(rows: Parameters<ShopStatsSink['upsert']>[0], computedAt: string): Promise<void> {
    return upsertShopStats(this.#db, rows, computedAt);
  }
}

export function legacyJobPorts(legacyKnex: Knex, clients: Pick<JobClients, 'product' | 'shop' | 'user'>, sizes: BatchSizes = {}): JobPorts {
  return {
    events: new LegacyEventLog(legacyKnex),
    likes: new ThriftLikeLog(clients.user, sizes),
    products: new ThriftProductCatalog(clients.product, sizes),
    shops: new ThriftShopDirectory(clients.shop),
    stats: new LegacyShopStatsSink(legacyKnex),
  };
}
