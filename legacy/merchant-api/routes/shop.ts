import type { Response, Router } from 'express';
import { AppError } from '../../../lib/errors.ts';
import { shopAdmin } from '../../../lib/contract/shop.ts';
import { systemClock } from '../../models/db.ts';
import { getShop, updateShop } from '../../seam/shops.ts';
import { merchantStats } from '../../seam/stats.ts';
import type { AppDeps } from '../../http/deps.ts';
import { parseInput } from '../../../lib/contract/validate.ts';
import { merchantShopPatch, statsQuery, statsWindow } from '../../../lib/contract/schemas/merchant-api.ts';

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

  /** Views, clicks and new likes per product of the merchant's shop within [from, to] (UTC days); see legacy/seam/stats.ts. */
  r.get('/merchant/stats', async (req, res) => {
    const q = parseInput(statsQuery, req.query, 'query');
    res.json(await merchantStats(knex, merchantShopId(res), statsWindow(q, clock()), q));
  });
}
