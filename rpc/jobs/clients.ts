/**
 * The service clients the periodic jobs use: pooled Thrift clients with the jobs' own call deadline (batch calls
 * of a job can take longer than a request's), as the batch APIs the adapters (thrift-adapters.ts) call, and the
 * calls they made (client metrics). Used by the events process (services/jobs) and legacy's jobs behind their seam.
 */
import type { Registry } from 'prom-client';
import { closeServiceClients, createServiceClients, newRegistry } from '../index.ts';
import type { ProductBatchApi, ShopBatchApi, UserBatchApi } from './thrift-adapters.ts';

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
