/**
 * Popularity ranking over the services' batch APIs: the same scores as
 * legacy/jobs/popularity.ts (same pure scoring), but the eligibility join
 * (product active, shop open with an active contract) is done in memory from
 * batch calls instead of a SQL join across owners' tables.
 */
import { addDays, dayStart } from '../../lib/contract/jobs/days.ts';
import { DEFAULT_POPULARITY, popularityScores, scoreChanges, type EventBucket, type PopularityParams } from '../../lib/contract/jobs/scoring.ts';
import type { PopularityResult } from '../../lib/contract/jobs/results.ts';
import type { JobPorts, ProductFacts, ShopFacts } from './ports.ts';

export function eligible(p: ProductFacts | undefined, s: ShopFacts | undefined): boolean {
  return !!p && !!s && p.status === 'active' && s.status === 'open' && s.contractStatus === 'active';
}

/** Pure: keeps the buckets of eligible products. */
export function eligibleBuckets(buckets: EventBucket[], products: Map<number, ProductFacts>, shops: Map<number, ShopFacts>): EventBucket[] {
  return buckets.filter((b) => {
    const p = products.get(b.productId);
    return eligible(p, p ? shops.get(p.shopId) : undefined);
  });
}

/** The scores as of `day`, gathered through the ports; nothing written. */
export async function computePopularityViaServices(ports: JobPorts, opts: { day: string; params?: PopularityParams }): Promise<{ buckets: EventBucket[]; scores: Map<number, number> }> {
  const params = opts.params ?? DEFAULT_POPULARITY;
  const from = dayStart(addDays(opts.day, 1 - params.windowDays));
  const to = dayStart(addDays(opts.day, 1));
  const raw = [...(await ports.events.productBuckets(opts.day, from, to)), ...(await ports.likes.productBuckets(opts.day, from, to))];
  const products = await ports.products.facts([...new Set(raw.map((b) => b.productId))]);
  const shops = await ports.shops.facts([...new Set([...products.values()].map((p) => p.shopId))]);
  const buckets = eligibleBuckets(raw, products, shops);
  return { buckets, scores: popularityScores(buckets, params) };
}

export async function runPopularityViaServices(ports: JobPorts, opts: { day: string; params?: PopularityParams }): Promise<PopularityResult> {
  const t0 = performance.now();
  const { buckets, scores: next } = await computePopularityViaServices(ports, opts);
  const { set, zero } = scoreChanges(next, await ports.products.scoredProducts());
  await ports.products.writeScores(set, zero);
  return {
    day: opts.day, events: buckets.reduce((n, b) => n + b.count, 0), scored: next.size, updated: set.length, zeroed: zero.length,
    ms: Math.round(performance.now() - t0),
  };
}
