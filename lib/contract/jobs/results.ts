/**
 * What a run of a periodic job produces, however it ran (legacy's SQL join or through the services): the result
 * types and the pure assembly of a day's shop stats. Both implementations write the same rows from these.
 */
export interface PopularityResult {
  day: string;
  events: number;
  scored: number;
  updated: number;
  zeroed: number;
  ms: number;
}

export interface ShopDayStats {
  shopId: number;
  day: string;
  views: number;
  clicks: number;
  likes: number;
  activeProducts: number;
}

export interface ShopStatsResult {
  day: string;
  shops: number;
  ms: number;
}

type Counts = Map<number, Record<string, number>>;

/** Pure: one row per shop, zeros where a shop had nothing. */
export function assembleShopStats(day: string, shopIds: number[], events: Counts, likes: Map<number, number>, active: Map<number, number>): ShopDayStats[] {
  return [...shopIds].sort((a, b) => a - b).map((shopId) => ({
    shopId, day, views: events.get(shopId)?.views ?? 0, clicks: events.get(shopId)?.clicks ?? 0, likes: likes.get(shopId) ?? 0,
    activeProducts: active.get(shopId) ?? 0,
  }));
}
