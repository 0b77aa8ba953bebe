/**
 * Advice on a valid route table: settings that work but will not do what they seem to say. Logged at warn when the
 * table is applied; never a reason to refuse it.
 */
import type { RouteTable } from './schema.ts';

/**
 * Upstreams whose shadow connections (`shadowPool`) are fewer than the copies the routes shadowing to them may have
 * in flight (the sum of their `maxConcurrency`): copies over the pool wait for a connection, the wait fills the
 * routes' caps, and further copies are skipped — sample 1.0 would then copy only part of the traffic.
 */
export function shadowPoolShortfalls(table: RouteTable): Array<{ upstream: string; shadowPool: number; inFlight: number; routes: string[] }> {
  const by = new Map<string, { inFlight: number; routes: string[] }>();
  for (const r of table.routes) {
    if (r.mode !== 'shadow' || !r.service) continue;
    const e = by.get(r.service) ?? { inFlight: 0, routes: [] };
    e.inFlight += r.shadow.maxConcurrency;
    e.routes.push(r.id);
    by.set(r.service, e);
  }
  const out: Array<{ upstream: string; shadowPool: number; inFlight: number; routes: string[] }> = [];
  for (const [upstream, e] of by) {
    const pool = table.upstreams[upstream]?.shadowPool;
    if (pool !== undefined && e.inFlight > pool) out.push({ upstream, shadowPool: pool, inFlight: e.inFlight, routes: e.routes });
  }
  return out;
}
