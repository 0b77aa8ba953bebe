import { int, intOrNull, jsonOrNull, timestamp, day } from './format.ts';
import { productListItem, type ProductListItemJson } from './product.ts';
import { shop, type ShopJson } from './shop.ts';
import type { BookmarkRow, DailyTotalRow, LikeRow, LogRow, ProductStatRow, ShopDailyStatRow } from './rows.ts';

export interface LikeJson { productId: number; likedAt: string; product: ProductListItemJson }
export interface BookmarkJson { shopId: number; bookmarkedAt: string; shop: ShopJson }

export function like(row: LikeRow): LikeJson {
  return { productId: int(row.id), likedAt: timestamp(row.liked_at), product: productListItem(row) };
}

export function bookmark(row: BookmarkRow): BookmarkJson {
  return { shopId: int(row.id), bookmarkedAt: timestamp(row.bookmarked_at), shop: shop(row) };
}

export interface LogJson {
  id: number;
  type: LogRow['type'];
  userId: number | null;
  productId: number | null;
  shopId: number | null;
  query: string | null;
  meta: unknown;
  createdAt: string;
}

export function logEntry(row: LogRow): LogJson {
  return {
    id: int(row.id),
    type: row.type,
    userId: intOrNull(row.user_id),
    productId: intOrNull(row.product_id),
    shopId: intOrNull(row.shop_id),
    query: row.query ?? null,
    meta: jsonOrNull(row.meta),
    createdAt: timestamp(row.created_at),
  };
}

export interface DailyTotalJson { day: string; views: number; clicks: number; searches: number; likes: number }

export function dailyTotal(row: DailyTotalRow): DailyTotalJson {
  return { day: day(row.day), views: int(row.views), clicks: int(row.clicks), searches: int(row.searches), likes: int(row.likes) };
}

/** Every day of [from, to] in order, zeros where the log had nothing (pure; dates as 'YYYY-MM-DD'). */
export function fillDays(from: string, to: string, rows: DailyTotalRow[]): DailyTotalJson[] {
  const byDay = new Map(rows.map((r) => [day(r.day), dailyTotal(r)]));
  const out: DailyTotalJson[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    const d = new Date(t).toISOString().slice(0, 10);
    out.push(byDay.get(d) ?? { day: d, views: 0, clicks: 0, searches: 0, likes: 0 });
  }
  return out;
}

export interface ShopDailyStatJson { day: string; shopId: number; views: number; clicks: number; likes: number; activeProducts: number; computedAt: string }

export function shopDailyStat(row: ShopDailyStatRow): ShopDailyStatJson {
  return {
    day: day(row.day),
    shopId: int(row.shop_id),
    views: int(row.views),
    clicks: int(row.clicks),
    likes: int(row.likes),
    activeProducts: int(row.active_products),
    computedAt: timestamp(row.computed_at),
  };
}

export interface ProductStatJson { productId: number; name: string; status: string; views: number; clicks: number; likes: number; likeCount: number }

export function productStat(row: ProductStatRow): ProductStatJson {
  return {
    productId: int(row.product_id),
    name: row.name,
    status: row.status,
    views: int(row.views),
    clicks: int(row.clicks),
    likes: int(row.likes),
    likeCount: int(row.like_count),
  };
}
