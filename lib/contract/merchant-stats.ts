import { productStat, type ProductStatJson } from './activity.ts';
import { page, type Page, type PageRequest } from './paging.ts';

/**
 * `GET /merchant/stats` assembled from parts instead of legacy's SQL join
 * (legacy/models/stats.ts productStats + shopTotals), with the same answer
 * byte for byte. Pure: the caller fetches the parts — the shop's products
 * (product service or `products`), the shop's view/click log rows in the
 * window (legacy-owned `logs`) and new likes per product in the window (user
 * service or `likes`) — and this module does what the join did:
 * - one item per product of the shop (any status), zero counts when none;
 * - per-product views/clicks count the shop's log rows of that product;
 * - totals.views/clicks count ALL the shop's log rows in the window (also
 *   those of products deleted since, or without a product), as shopTotals did;
 * - likes (per product and total) count only likes of the shop's products;
 * - order: views desc, likes desc, id asc; offset paging; total = products.
 */

/** An inclusive range of UTC days, 'YYYY-MM-DD'. */
export interface StatsWindow { from: string; to: string }

export interface StatsProduct { id: number; name: string; status: string; likeCount: number }

/** Log rows of the shop in the window, per product (`productId` null: rows without a product). */
export interface EventCount { productId: number | null; views: number; clicks: number }

export interface MerchantStatsParts {
  shopId: number;
  window: StatsWindow;
  paging: PageRequest;
  products: StatsProduct[];
  events: EventCount[];
  /** New likes in the window by product id; ids that are not the shop's products are ignored. */
  newLikes: ReadonlyMap<number, number>;
}

export interface MerchantStatsJson extends Page<ProductStatJson> {
  shopId: number;
  from: string;
  to: string;
  totals: { views: number; clicks: number; likes: number };
}

/** The JSON legacy answers, from a page of rows and the totals (shared by the SQL path and the assembler). */
export function merchantStatsJson(shopId: number, window: StatsWindow, totals: MerchantStatsJson['totals'], items: ProductStatJson[], paging: PageRequest, total: number): MerchantStatsJson {
  return { shopId, from: window.from, to: window.to, totals, ...page(items, paging, total) };
}

export function assembleMerchantStats(parts: MerchantStatsParts): MerchantStatsJson {
  const products = new Map<number, StatsProduct>();
  for (const p of parts.products) if (!products.has(p.id)) products.set(p.id, p); // a product seen twice while paging counts once

  const perProduct = new Map<number, { views: number; clicks: number }>();
  let views = 0;
  let clicks = 0;
  for (const e of parts.events) {
    views += e.views;
    clicks += e.clicks;
    if (e.productId === null) continue;
    const acc = perProduct.get(e.productId) ?? { views: 0, clicks: 0 };
    perProduct.set(e.productId, { views: acc.views + e.views, clicks: acc.clicks + e.clicks });
  }

  let likes = 0;
  const rows = [...products.values()].map((p) => {
    const ev = perProduct.get(p.id) ?? { views: 0, clicks: 0 };
    const n = parts.newLikes.get(p.id) ?? 0;
    likes += n;
    return { product_id: p.id, name: p.name, status: p.status, views: ev.views, clicks: ev.clicks, likes: n, like_count: p.likeCount };
  });
  rows.sort((a, b) => b.views - a.views || b.likes - a.likes || a.product_id - b.product_id);

  const start = (parts.paging.page - 1) * parts.paging.size;
  const items = rows.slice(start, start + parts.paging.size).map(productStat);
  return merchantStatsJson(parts.shopId, parts.window, { views, clicks, likes }, items, parts.paging, rows.length);
}
