import type { DailyTotalRow, ProductStatRow, ShopDailyStatRow } from '../../lib/contract/rows.ts';
import type { EventCount } from '../../lib/contract/merchant-stats.ts';
import { countOf, offset, type Counted, type Db, type Paging } from './db.ts';

/** Day bounds as DATETIME(6) literals: [from 00:00, to+1 00:00). */
export function dayRange(from: string, to: string): [string, string] {
  const end = new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return [`${from} 00:00:00.000000`, `${end} 00:00:00.000000`];
}

/** Live totals per UTC day from the event log (optionally one shop). Days without events are absent. */
export async function dailyTotalsFromLogs(db: Db, from: string, to: string, shopId?: number): Promise<DailyTotalRow[]> {
  const [start, end] = dayRange(from, to);
  const q = db('logs').where('created_at', '>=', start).andWhere('created_at', '<', end)
    .select(db.raw('DATE_FORMAT(created_at, ?) AS day', ['%Y-%m-%d']))
    .select(db.raw("SUM(type = 'view') AS views, SUM(type = 'click') AS clicks, SUM(type = 'search') AS searches, SUM(type = 'like') AS likes"))
    .groupBy('day').orderBy('day');
  if (shopId !== undefined) q.andWhere('shop_id', shopId);
  return q;
}

/** Rows the daily job wrote into shop_daily_stats. */
export async function shopDailyStats(db: Db, from: string, to: string, shopId?: number): Promise<ShopDailyStatRow[]> {
  const q = db('shop_daily_stats').whereBetween('day', [from, to])
    .select('shop_id', db.raw("DATE_FORMAT(day, '%Y-%m-%d') AS day"), 'views', 'clicks', 'likes', 'active_products', 'computed_at')
    .orderBy([{ column: 'day' }, { column: 'shop_id' }]);
  if (shopId !== undefined) q.where('shop_id', shopId);
  return q;
}

/**
 * Merchant report: per product of one shop, views and clicks from the log and
 * new likes from the likes table within [from, to], plus the running like
 * count — the cross-table join that later blocks a clean database split.
 * Most viewed first.
 */
export async function productStats(db: Db, shopId: number, from: string, to: string, paging: Paging): Promise<Counted<ProductStatRow>> {
  const [start, end] = dayRange(from, to);
  const events = db('logs').where('shop_id', shopId).whereIn('type', ['view', 'click'])
    .andWhere('created_at', '>=', start).andWhere('created_at', '<', end)
    .select('product_id', db.raw("SUM(type = 'view') AS views, SUM(type = 'click') AS clicks")).groupBy('product_id').as('e');
  const newLikes = db('likes as k').join('products as kp', 'kp.id', 'k.product_id').where('kp.shop_id', shopId)
    .andWhere('k.created_at', '>=', start).andWhere('k.created_at', '<', end)
    .select('k.product_id', db.raw('COUNT(*) AS likes')).groupBy('k.product_id').as('n');
  const base = db('products as p').where('p.shop_id', shopId);
  const [rows, total] = await Promise.all([
    base.clone().leftJoin(events, 'e.product_id', 'p.id').leftJoin(newLikes, 'n.product_id', 'p.id')
      .select('p.id as product_id', 'p.name', 'p.status', 'p.like_count',
        db.raw('COALESCE(e.views, 0) AS views, COALESCE(e.clicks, 0) AS clicks, COALESCE(n.likes, 0) AS likes'))
      .orderBy([{ column: 'views', order: 'desc' }, { column: 'likes', order: 'desc' }, { column: 'p.id', order: 'asc' }])
      .limit(paging.size).offset(offset(paging)),
    countOf(base),
  ]);
  return { rows, total };
}

/** Totals of the same report over the whole shop. */
export async function shopTotals(db: Db, shopId: number, from: string, to: string): Promise<{ views: number; clicks: number; likes: number }> {
  const [start, end] = dayRange(from, to);
  const ev = await db('logs').where('shop_id', shopId).whereIn('type', ['view', 'click'])
    .andWhere('created_at', '>=', start).andWhere('created_at', '<', end)
    .first(db.raw("COALESCE(SUM(type = 'view'), 0) AS views, COALESCE(SUM(type = 'click'), 0) AS clicks"));
  const lk = await db('likes as k').join('products as p', 'p.id', 'k.product_id').where('p.shop_id', shopId)
    .andWhere('k.created_at', '>=', start).andWhere('k.created_at', '<', end).first(db.raw('COUNT(*) AS likes'));
  return { views: Number(ev?.views ?? 0), clicks: Number(ev?.clicks ?? 0), likes: Number(lk?.likes ?? 0) };
}

/** The shop's products (any status) as the stats assembler needs them; used while products are legacy's but likes moved. */
export async function shopStatsProducts(db: Db, shopId: number): Promise<{ id: number; name: string; status: string; likeCount: number }[]> {
  const rows = await db('products').where('shop_id', shopId).orderBy('id').select('id', 'name', 'status', 'like_count');
  return rows.map((r: { id: number; name: string; status: string; like_count: number }) => ({ id: Number(r.id), name: r.name, status: r.status, likeCount: Number(r.like_count) }));
}

/** New likes in [from, to] (UTC days) per product of `productIds`, from legacy's likes table (while likes are legacy's but products moved). */
export async function newLikesByProduct(db: Db, productIds: number[], from: string, to: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const [start, end] = dayRange(from, to);
  for (let i = 0; i < productIds.length; i += 1000) {
    const rows = await db('likes').whereIn('product_id', productIds.slice(i, i + 1000))
      .andWhere('created_at', '>=', start).andWhere('created_at', '<', end)
      .groupBy('product_id').select('product_id', db.raw('COUNT(*) AS likes'));
    for (const r of rows as { product_id: number; likes: number }[]) out.set(Number(r.product_id), Number(r.likes));
  }
  return out;
}

/**
 * A shop's views and clicks per product in [from 00:00, to+1 00:00) UTC: one grouped read over
 * ix_logs_shop_created_type (the report's `logs` part once products or users have moved; the shop service reads
 * the same table with its own copy, services/common/legacy-owned.ts).
 */
export async function shopEventsByProduct(db: Db, shopId: number, from: string, to: string): Promise<EventCount[]> {
  const [start, end] = dayRange(from, to);
  const rows = await db('logs').where('shop_id', shopId).whereIn('type', ['view', 'click'])
    .andWhere('created_at', '>=', start).andWhere('created_at', '<', end)
    .groupBy('product_id').select('product_id', db.raw("SUM(type = 'view') AS views"), db.raw("SUM(type = 'click') AS clicks"));
  return (rows as { product_id: number | null; views: number; clicks: number }[])
    .map((r) => ({ productId: r.product_id === null ? null : Number(r.product_id), views: Number(r.views), clicks: Number(r.clicks) }));
}

