import type { Response, Router } from 'express';
import { AppError } from '../../../lib/errors.ts';
import { productStat } from '../../contract/activity.ts';
import { page } from '../../contract/paging.ts';
import { shopAdmin } from '../../contract/shop.ts';
import { systemClock } from '../../models/db.ts';
import { getShop, updateShop } from '../../seam/shops.ts';
import { productStats, shopTotals } from '../../models/stats.ts';
import type { AppDeps } from '../../http/deps.ts';
import { addDays } from '../../http/time.ts';
import { parseInput } from '../../http/validate.ts';
import { DEFAULT_STATS_DAYS, merchantShopPatch, statsQuery } from '../schemas.ts';

export function merchantShopId(res: Response): number {
  return res.locals.shopId as number;
}

export function shopRoutes(r: Router, deps: AppDeps): void {
  const { knex } = deps;
  const clock = deps.clock ?? systemClock;

  r.get('/merchant/shop', async (_req, res) => {
    const row = await getShop(knex, merchantShopId(res));
    if (!row) throw new AppError('NOT_FOUND', 'Your shop was not found');
    res.json(shopAdmin(row));
  });

  r.patch('/merchant/shop', async (req, res) => {
    const body = parseInput(merchantShopPatch, req.body, 'body');
    const row = await updateShop(knex, merchantShopId(res), body);
    if (!row) throw new AppError('NOT_FOUND', 'Your shop was not found');
    res.json(shopAdmin(row));
  });

  /** Views, clicks and new likes per product of the merchant's shop within [from, to] (UTC days). */
  r.get('/merchant/stats', async (req, res) => {
    const q = parseInput(statsQuery, req.query, 'query');
    const to = q.to ?? (q.from ? addDays(q.from, DEFAULT_STATS_DAYS - 1) : clock().toISOString().slice(0, 10));
    const from = q.from ?? addDays(to, -(DEFAULT_STATS_DAYS - 1));
    const shopId = merchantShopId(res);
    const [{ rows, total }, totals] = await Promise.all([
      productStats(knex, shopId, from, to, q),
      shopTotals(knex, shopId, from, to),
    ]);
    res.json({ shopId, from, to, totals, ...page(rows.map(productStat), q, total) });
  });
}
