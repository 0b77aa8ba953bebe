/**
 * The jobs' port sets. `thrift` (default): likes, products and shops through
 * the services' batch Thrift calls, so the jobs touch no service's tables and
 * need no owner database URL; a split changes nothing for them. `db`: each
 * owner's tables through its own live database (no cross-owner joins either).
 * In both, the legacy-owned `logs` and `shop_daily_stats` are on the legacy
 * database. Used by the events process (index.ts) and by legacy's jobs
 * behind their seam (legacy/jobs/seam.ts).
 */
import type { Knex } from 'knex';
import type { Registry } from 'prom-client';
import { closeServiceClients, createServiceClients, newRegistry } from '../../rpc/index.ts';
import type { LiveDb } from '../common/live-db.ts';
import { KnexEventLog, KnexLikeLog, KnexProductCatalog, KnexShopDirectory, KnexShopStatsSink } from './adapters.ts';
import type { JobPorts } from './ports.ts';
import { ThriftLikeLog, ThriftProductCatalog, ThriftShopDirectory, type BatchSizes, type ProductBatchApi, type ShopBatchApi, type UserBatchApi } from './thrift-adapters.ts';

export type Endpoint = { host: string; port: number };

export interface JobClients {
  product: ProductBatchApi;
  shop: ShopBatchApi;
  user: UserBatchApi;
  /** Thrift calls made so far, as 'service.method' → count (client metrics). */
  callCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/**
 * Pooled clients (they connect on first use). Batch calls of a job can take
 * longer than a request's: `timeoutMs` is the jobs' own deadline per call.
 */
export function createJobClients(endpoints: Record<'product' | 'shop' | 'user', Endpoint>, opts: { timeoutMs: number; metrics?: Registry }): JobClients {
  const metrics = opts.metrics ?? newRegistry();
  const clients = createServiceClients(endpoints, { timeoutMs: opts.timeoutMs, registry: metrics });
  return {
    product: clients.product as unknown as ProductBatchApi,
    shop: clients.shop as unknown as ShopBatchApi,
    user: clients.user as unknown as UserBatchApi,
    callCounts: () => callCounts(metrics),
    close: () => closeServiceClients(clients),
  };
}

export async function callCounts(metrics: Registry): Promise<Record<string, number>> {
  const m = metrics.getSingleMetric('thrift_client_calls_total');
  if (!m) return {};
  const out: Record<string, number> = {};
  for (const v of (await m.get()).values) if (v.value > 0) out[`${v.labels.service}.${v.labels.method}`] = v.value;
  return out;
}

/** 'a.b' counts after minus before, non-zero only. */
export function countsSince(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

export function thriftJobPorts(legacyKnex: Knex, clients: Pick<JobClients, 'product' | 'shop' | 'user'>, sizes: BatchSizes = {}): JobPorts {
  return {
    events: new KnexEventLog(legacyKnex),
    likes: new ThriftLikeLog(clients.user, sizes),
    products: new ThriftProductCatalog(clients.product, sizes),
    shops: new ThriftShopDirectory(clients.shop),
    stats: new KnexShopStatsSink(legacyKnex),
  };
}

export function dbJobPorts(legacyKnex: Knex, owners: Record<'product' | 'shop' | 'user', LiveDb>): JobPorts {
  return {
    events: new KnexEventLog(legacyKnex),
    likes: new KnexLikeLog(owners.user),
    products: new KnexProductCatalog(owners.product),
    shops: new KnexShopDirectory(owners.shop),
    stats: new KnexShopStatsSink(legacyKnex),
  };
}
