/**
 * Shop daily stats over the services' batch APIs: same rows as
 * legacy/jobs/shop-stats.ts, with likes attributed to shops through the
 * product service (product → shop) instead of a likes ⋈ products join.
 */
import { addDays, datetime6, dayStart } from '../../lib/contract/jobs/days.ts';
import { assembleShopStats, type ShopDayStats, type ShopStatsResult } from '../../lib/contract/jobs/results.ts';
import type { JobPorts } from './ports.ts';

/** One row per shop for `day`, gathered through the ports; nothing written. */
export async function computeShopStatsViaServices(ports: JobPorts, day: string): Promise<ShopDayStats[]> {
  const from = dayStart(day);
  const to = dayStart(addDays(day, 1));
  const shopIds = await ports.shops.allIds();
  const events = await ports.events.shopCounts(from, to);
  const likeBuckets = await ports.likes.productBuckets(day, from, to);
  const products = await ports.products.facts([...new Set(likeBuckets.map((b) => b.productId))]);
  const likes = new Map<number, number>();
  for (const b of likeBuckets) {
    const shopId = products.get(b.productId)?.shopId;
    if (shopId !== undefined) likes.set(shopId, (likes.get(shopId) ?? 0) + b.count);
  }
  const active = await ports.products.activeCounts(shopIds);
  return assembleShopStats(day, shopIds, new Map([...events].map(([k, v]) => [k, { ...v }])), likes, active);
}

export async function runShopStatsViaServices(ports: JobPorts, opts: { day: string; now?: () => Date }): Promise<ShopStatsResult> {
  const t0 = performance.now();
  const stats = await computeShopStatsViaServices(ports, opts.day);
  await ports.stats.upsert(stats, datetime6((opts.now ?? (() => new Date()))().getTime()));
  return { day: opts.day, shops: stats.length, ms: Math.round(performance.now() - t0) };
}
