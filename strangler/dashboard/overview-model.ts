/**
 * The overview's view model (pure; the page and the server share it): routes grouped per service with their mode
 * counts, live figures for legacy and service side by side, and a health verdict — anything unhealthy first.
 */
import type { WindowFigures } from './series.ts';

export const MODE_ORDER = ['service', 'canary', 'shadow', 'legacy'] as const;
/** A 5xx rate at or above this (with at least MIN_REQUESTS requests in the window) is unhealthy. */
export const BAD_ERROR_RATE = 0.05;
export const MIN_REQUESTS = 5;
/** Shadow mismatch rate above the noise rate by more than this (with MIN_COMPARISONS comparisons) needs a look. */
export const MISMATCH_MARGIN = 0.02;
export const MIN_COMPARISONS = 10;

export type Health = 'bad' | 'warn' | 'ok';

export interface RouteLive {
  id: string;
  methods: string[] | '*';
  path: string;
  mode: string;
  percent: number;
  legacy: string;
  service: string | null;
  breaker: string | null;
  legacySide: WindowFigures | null;
  serviceSide: WindowFigures | null;
  /** The service side is its answers to shadow copies (route in shadow): no client saw them. */
  serviceShadow?: boolean;
  shadow: { matched: number; mismatched: number };
  noise: { matched: number; mismatched: number };
}

export interface RouteRow extends RouteLive {
  health: Health;
  reasons: string[];
  matchRate: number | null;
  noiseRate: number | null;
}

export interface ServiceGroup {
  name: string;
  counts: Record<(typeof MODE_ORDER)[number], number>;
  health: Health;
  routes: RouteRow[];
}

const rank: Record<Health, number> = { bad: 0, warn: 1, ok: 2 };
const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

export function rates(r: Pick<RouteLive, 'shadow' | 'noise'>): { matchRate: number | null; noiseRate: number | null } {
  const sc = r.shadow.matched + r.shadow.mismatched;
  const nc = r.noise.matched + r.noise.mismatched;
  return { matchRate: sc ? r.shadow.matched / sc : null, noiseRate: nc ? r.noise.mismatched / nc : null };
}

export function judgeRoute(r: RouteLive): RouteRow {
  const reasons: string[] = [];
  let health: Health = 'ok';
  const worse = (h: Health, why: string) => {
    reasons.push(why);
    if (rank[h] < rank[health]) health = h;
  };
  if (r.breaker === 'open') worse('bad', 'breaker open');
  else if (r.breaker === 'half-open') worse('warn', 'breaker half-open');
  for (const [side, f] of [['legacy', r.legacySide], ['service', r.serviceSide]] as const) {
    if (f === null || f.errorRate === null || f.errorRate === 0) continue;
    if (f.errorRate >= BAD_ERROR_RATE && f.requests >= MIN_REQUESTS) worse('bad', `${side} 5xx ${pct(f.errorRate)}`);
    else worse('warn', `${side} 5xx ${pct(f.errorRate)}`);
  }
  const { matchRate, noiseRate } = rates(r);
  const compared = r.shadow.matched + r.shadow.mismatched;
  if (matchRate !== null && compared >= MIN_COMPARISONS && 1 - matchRate > (noiseRate ?? 0) + MISMATCH_MARGIN) {
    worse('warn', `shadow mismatches ${pct(1 - matchRate)} above noise ${pct(noiseRate ?? 0)}`);
  }
  return { ...r, health, reasons, matchRate, noiseRate };
}

/** Routes grouped by their service upstream (routes without one: "legacy only"); unhealthy groups and routes first. */
export function buildOverview(routes: RouteLive[]): ServiceGroup[] {
  const groups = new Map<string, ServiceGroup>();
  for (const r of routes) {
    const name = r.service ?? 'legacy only';
    let g = groups.get(name);
    if (g === undefined) groups.set(name, (g = { name, counts: { service: 0, canary: 0, shadow: 0, legacy: 0 }, health: 'ok', routes: [] }));
    const row = judgeRoute(r);
    if (row.mode in g.counts) g.counts[row.mode as keyof ServiceGroup['counts']]++;
    if (rank[row.health] < rank[g.health]) g.health = row.health;
    g.routes.push(row);
  }
  const out = [...groups.values()];
  for (const g of out) g.routes.sort((a, b) => rank[a.health] - rank[b.health] || a.id.localeCompare(b.id));
  return out.sort((a, b) => rank[a.health] - rank[b.health] || a.name.localeCompare(b.name));
}

/** Totals across every route: how much of the migration is done. */
export function totals(groups: ServiceGroup[]): Record<(typeof MODE_ORDER)[number], number> & { routes: number } {
  const t = { service: 0, canary: 0, shadow: 0, legacy: 0, routes: 0 };
  for (const g of groups) for (const m of MODE_ORDER) {
    t[m] += g.counts[m];
    t.routes += g.counts[m];
  }
  return t;
}
