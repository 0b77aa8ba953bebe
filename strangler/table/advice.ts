/**
 * Advice on a valid route table: settings that work but will not do what they seem to say. Logged at warn when the
 * table is applied; never a reason to refuse it.
 */
import { SAFE_METHODS, type RouteSpec, type RouteTable } from './schema.ts';

export interface ShadowPoolShortfall {
  upstream: string;
  shadowPool: number;
  /** Copies the upstream's shadow routes may have in flight (the sum of their `maxConcurrency`). */
  inFlight: number;
  /** Shadow connections those copies need: the ones sent alone one each, GET copies `pipelineDepth` to a connection. */
  connections: number;
  routes: string[];
}

/**
 * Whether a shadow route's copies may be sent alone (one per connection) rather than pipelined: it copies writes
 * (`shadow.writes: dark-copy` on a route that takes an unsafe method — copies with a body), or it lists its methods
 * and GET is not among them (HEAD and OPTIONS copies go alone too). A route taking every method without copying
 * writes is counted as pipelined: its copies are GETs but for the rare HEAD or OPTIONS.
 */
function copiesGoAlone(r: RouteSpec): boolean {
  const methods = r.methods === '*' ? null : r.methods.map((m) => m.toUpperCase());
  if (r.shadow.writes === 'dark-copy' && (methods === null || methods.some((m) => !SAFE_METHODS.has(m)))) return true;
  return methods !== null && !methods.includes('GET');
}

/**
 * Upstreams whose shadow connections (`shadowPool`) are fewer than the copies the routes shadowing to them may have
 * in flight need: copies over the pool wait for a connection, the wait fills the routes' caps, and further copies
 * are skipped — sample 1.0 would then copy only part of the traffic. `pipelineDepth(upstream)`: GET copies written
 * ahead on one of its connections (relay/pipeline-pool.ts; 1 when pipelining or the lean client is off for it).
 */
export function shadowPoolShortfalls(table: RouteTable, pipelineDepth: (upstream: string) => number = () => 1): ShadowPoolShortfall[] {
  const by = new Map<string, { inFlight: number; alone: number; routes: string[] }>();
  for (const r of table.routes) {
    if (r.mode !== 'shadow' || !r.service) continue;
    const e = by.get(r.service) ?? { inFlight: 0, alone: 0, routes: [] };
    e.inFlight += r.shadow.maxConcurrency;
    if (copiesGoAlone(r)) e.alone += r.shadow.maxConcurrency;
    e.routes.push(r.id);
    by.set(r.service, e);
  }
  const out: ShadowPoolShortfall[] = [];
  for (const [upstream, e] of by) {
    const pool = table.upstreams[upstream]?.shadowPool;
    const depth = Math.max(1, Math.floor(pipelineDepth(upstream)));
    const connections = e.alone + Math.ceil((e.inFlight - e.alone) / depth);
    if (pool !== undefined && connections > pool) out.push({ upstream, shadowPool: pool, inFlight: e.inFlight, connections, routes: e.routes });
  }
  return out;
}
