import { assembleMerchantStats, type EventCount, type MerchantStatsJson, type StatsProduct, type StatsWindow } from '../lib/contract/merchant-stats.ts';
import type { PageRequest } from '../lib/contract/paging.ts';
import { addDays } from '../lib/contract/time.ts';
import type { ProductApi } from './thrift-ports.ts';
import { allKeysetPages, chunks } from './keyset.ts';

/**
 * `GET /merchant/stats` from its owners instead of a join: the shop's
 * products from the product service, the shop's view/click counts from the
 * legacy-owned `logs` (LegacyViewCounts), new likes from the user service
 * (`likesByDay`); lib/contract/merchant-stats.ts (pure) turns them into
 * legacy's JSON. Used by the shop service edge and by legacy's seam
 * (legacy/seam/stats.ts) once products or users have moved.
 *
 * Scale assumption: a shop has at most a few thousand products. The report
 * walks all of them (every status) in pages of 100 — 1,000 products are 10
 * listProducts calls, then one likesByDay call per 5,000 products — because
 * its order (views, likes, id) needs every product's counts before paging.
 * A shop with far more would want a lean product call (ids, names, status,
 * like counts) with keyset paging.
 */
export interface MerchantStatsSources {
  shopProducts(shopId: number): Promise<StatsProduct[]>;
  shopEvents(shopId: number, window: StatsWindow): Promise<EventCount[]>;
  newLikes(productIds: number[], window: StatsWindow): Promise<Map<number, number>>;
}

export async function gatherMerchantStats(sources: MerchantStatsSources, shopId: number, window: StatsWindow, paging: PageRequest): Promise<MerchantStatsJson> {
  const [products, events] = await Promise.all([sources.shopProducts(shopId), sources.shopEvents(shopId, window)]);
  const newLikes = products.length ? await sources.newLikes(products.map((p) => p.id), window) : new Map<number, number>();
  return assembleMerchantStats({ shopId, window, paging, products, events, newLikes });
}

const PRODUCT_PAGE = 100;
const ALL_STATUSES = ['active', 'hidden', 'sold_out'];

/** Every product of the shop (all statuses) through product.listProducts, page by page. */
export function shopProductsOver(api: Pick<ProductApi, 'listProducts'>): MerchantStatsSources['shopProducts'] {
  return async (shopId) => {
    const out: StatsProduct[] = [];
    for (let offset = 0; ; offset += PRODUCT_PAGE) {
      const res = await api.listProducts(undefined, { filter: { shopId: String(shopId), statuses: ALL_STATUSES }, page: { limit: PRODUCT_PAGE, offset } });
      out.push(...res.items.map((p) => ({ id: Number(p.id), name: p.name, status: p.status, likeCount: Number(p.likeCount) })));
      if (offset + PRODUCT_PAGE >= Number(res.page.total ?? 0)) return out;
    }
  };
}

type Ctx = Record<string, unknown> | undefined;
export interface LikesByDayApi {
  likesByDay(ctx: Ctx, fromTime: string, toTime: string, productIds: string[], afterId: string, limit: number): Promise<{ items: { targetId: string; day: string; count: number }[]; nextAfterId?: string | null }>;
}

/** user.likesByDay's limits: at most this many product ids per call and products per page. */
const LIKES_BATCH = 5000;

/** The window as user.likesByDay's half-open instants: [from 00:00, to+1 00:00) UTC. */
export function windowInstants(window: StatsWindow): { fromTime: string; toTime: string } {
  return { fromTime: `${window.from}T00:00:00.000000Z`, toTime: `${addDays(window.to, 1)}T00:00:00.000000Z` };
}

/** New likes per product within the window through user.likesByDay (daily counts summed). */
export function newLikesOver(api: LikesByDayApi): MerchantStatsSources['newLikes'] {
  return async (productIds, window) => {
    const { fromTime, toTime } = windowInstants(window);
    const out = new Map<number, number>();
    for (const batch of chunks(productIds.map(String), LIKES_BATCH)) {
      for (const d of await allKeysetPages((after) => api.likesByDay(undefined, fromTime, toTime, batch, after, LIKES_BATCH))) {
        out.set(Number(d.targetId), (out.get(Number(d.targetId)) ?? 0) + Number(d.count));
      }
    }
    return out;
  };
}
