/**
 * Per shop per day: views and clicks from the event log, new likes from the
 * likes table (joined to products for the shop), and the shop's active
 * products — read across four tables and upserted into shop_daily_stats.
 * active_products is a snapshot taken when the job runs (the schema keeps no
 * product history).
 */
import type { Knex } from 'knex';
import { addDays, datetime6, dayStart } from '../../lib/contract/jobs/days.ts';
import { assembleShopStats, type ShopDayStats, type ShopStatsResult } from '../../lib/contract/jobs/results.ts';

export { assembleShopStats, type ShopDayStats, type ShopStatsResult } from '../../lib/contract/jobs/results.ts';

export const UPSERT_BATCH = 1000;

/** One row per shop for `day`, from the join; nothing written. */
export async function computeShopStats(knex: Knex, day: string): Promise<ShopDayStats[]> {
  const from = dayStart(day);
  const to = dayStart(addDays(day, 1));
  const [shopRows] = (await knex.raw('SELECT id FROM shops')) as [{ id: number }[]];
  const [eventRows] = (await knex.raw(
    `SELECT shop_id, SUM(type = 'view') AS views, SUM(type = 'click') AS clicks
       FROM logs WHERE type IN ('view', 'click') AND shop_id IS NOT NULL AND created_at >= ? AND created_at < ?
      GROUP BY shop_id`, [from, to])) as [{ shop_id: number; views: unknown; clicks: unknown }[]];
  const [likeRows] = (await knex.raw(
    `SELECT STRAIGHT_JOIN p.shop_id, COUNT(*) AS likes FROM likes k JOIN products p ON p.id = k.product_id
      WHERE k.created_at >= ? AND k.created_at < ? GROUP BY p.shop_id`, [from, to])) as [{ shop_id: number; likes: unknown }[]];
  const [activeRows] = (await knex.raw(
    "SELECT shop_id, COUNT(*) AS n FROM products WHERE status = 'active' GROUP BY shop_id")) as [{ shop_id: number; n: unknown }[]];
  return assembleShopStats(
    day, shopRows.map((r) => Number(r.id)),
    new Map(eventRows.map((r) => [Number(r.shop_id), { views: Number(r.views), clicks: Number(r.clicks) }])),
    new Map(likeRows.map((r) => [Number(r.shop_id), Number(r.likes)])),
    new Map(activeRows.map((r) => [Number(r.shop_id), Number(r.n)])),
  );
}

/** Upserts rows into shop_daily_stats (legacy-owned; both implementations write it this way). */
export async function upsertShopStats(knex: Knex, stats: ShopDayStats[], computedAt: string): Promise<void> {
  for (let i = 0; i < stats.length; i += UPSERT_BATCH) {
    const batch = stats.slice(i, i + UPSERT_BATCH);
    await knex.raw(
      `INSERT INTO shop_daily_stats (shop_id, day, views, clicks, likes, active_products, computed_at) VALUES ${batch.map(() => '(?,?,?,?,?,?,?)').join(',')}
       ON DUPLICATE KEY UPDATE views = VALUES(views), clicks = VALUES(clicks), likes = VALUES(likes),
         active_products = VALUES(active_products), computed_at = VALUES(computed_at)`,
      batch.flatMap((s) => [s.shopId, s.day, s.views, s.clicks, s.likes, s.activeProducts, computedAt]));
  }
}

export async function runShopStats(knex: Knex, opts: { day: string; now?: () => Date; beforeWrite?: () => Promise<void> }): Promise<ShopStatsResult> {
  const t0 = performance.now();
  const stats = await computeShopStats(knex, opts.day);
  await opts.beforeWrite?.();
  await upsertShopStats(knex, stats, datetime6((opts.now ?? (() => new Date()))().getTime()));
  return { day: opts.day, shops: stats.length, ms: Math.round(performance.now() - t0) };
}
