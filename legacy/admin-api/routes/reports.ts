import type { Router } from 'express';
import { fillDays, logEntry, shopDailyStat } from '../../../lib/contract/activity.ts';
import { page } from '../../../lib/contract/paging.ts';
import { user } from '../../../lib/contract/user.ts';
import { queryLogs } from '../../models/logs.ts';
import { dailyTotalsFromLogs, shopDailyStats } from '../../models/stats.ts';
import { listUsers } from '../../seam/users.ts';
import type { AppDeps } from '../../http/deps.ts';
import { parseInput } from '../../../lib/contract/validate.ts';
import { dailyStatsQuery, logQuery, userListQuery } from '../../../lib/contract/schemas/admin-api.ts';

export function reportRoutes(r: Router, deps: AppDeps): void {
  const { knex } = deps;

  r.get('/admin/users', async (req, res) => {
    const q = parseInput(userListQuery, req.query, 'query');
    const { rows, total } = await listUsers(knex, q.q, q);
    res.json(page(rows.map(user), q, total));
  });

  r.get('/admin/logs', async (req, res) => {
    const q = parseInput(logQuery, req.query, 'query');
    const { rows, total } = await queryLogs(knex, q, q);
    res.json(page(rows.map(logEntry), q, total));
  });

  /** Totals per day live from the log, plus what the daily job stored per shop. */
  r.get('/admin/stats/daily', async (req, res) => {
    const q = parseInput(dailyStatsQuery, req.query, 'query');
    const [totals, shops] = await Promise.all([
      dailyTotalsFromLogs(knex, q.from, q.to, q.shopId),
      shopDailyStats(knex, q.from, q.to, q.shopId),
    ]);
    res.json({ from: q.from, to: q.to, shopId: q.shopId ?? null, totals: fillDays(q.from, q.to, totals), shops: shops.map(shopDailyStat) });
  });
}
