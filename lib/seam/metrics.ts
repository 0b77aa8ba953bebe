import { Counter, type Registry } from 'prom-client';

export type SeamOp = 'read' | 'write';

export type SeamEvent =
  | { type: 'fence'; domain: string; op: SeamOp; attempt: number; database: 'legacy' | 'own'; requestId?: string }
  | { type: 'retry'; domain: string; op: SeamOp; attempt: number; waitMs: number; requestId?: string }
  | { type: 'unavailable'; domain: string; op: SeamOp; attempts: number; waitedMs: number; requestId?: string }
  | { type: 'switch'; domain: string; from: 'legacy' | 'own' | undefined; to: 'legacy' | 'own'; version: number };

/** Names of the counters a seam registers on a prom-client Registry. */
export const SEAM_METRICS = {
  fenceHits: 'seam_fence_hits_total',
  retries: 'seam_retries_total',
  unavailable: 'seam_unavailable_total',
  switches: 'seam_owner_switches_total',
} as const;

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>; // two seams on one registry share the counters
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** Turns seam events into prom-client counters. */
export function promSink(registry: Registry): (ev: SeamEvent) => void {
  const c = {
    fence: counter(registry, SEAM_METRICS.fenceHits, 'Statements that met the fenced copy of a moving domain, by domain, op and database', ['domain', 'op', 'database']),
    retry: counter(registry, SEAM_METRICS.retries, 'Seam retries after a fence hit, by domain and op', ['domain', 'op']),
    unavailable: counter(registry, SEAM_METRICS.unavailable, 'Seam calls that gave up (503 SERVICE_MOVING), by domain and op', ['domain', 'op']),
    switch: counter(registry, SEAM_METRICS.switches, 'Ownership changes the seam switched to, by domain and database', ['domain', 'database']),
  };
  return (ev) => {
    if (ev.type === 'fence') c.fence.inc({ domain: ev.domain, op: ev.op, database: ev.database });
    else if (ev.type === 'retry') c.retry.inc({ domain: ev.domain, op: ev.op });
    else if (ev.type === 'unavailable') c.unavailable.inc({ domain: ev.domain, op: ev.op });
    else c.switch.inc({ domain: ev.domain, database: ev.to });
  };
}
