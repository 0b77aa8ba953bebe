import { z } from 'zod';
import { isoDate, name, pageQuery, productStatus, shopStatus } from './common.ts';
import { addDays, daysBetween, MAX_REPORT_DAYS } from '../time.ts';

/** Input schemas of the merchant API (pure; unit-tested). */

/** Merchants edit their shop's storefront fields; slug, contract and commission are the admins'. */
export const merchantShopPatch = z.object({
  name,
  url: z.string().trim().url().max(500).nullable(),
  description: z.string().max(65_535).nullable(),
  status: shopStatus,
}).partial().strict().refine((p) => Object.keys(p).length > 0, { message: 'send at least one field' });

export const merchantProductQuery = z.object({
  status: productStatus.optional(),
  q: z.string().trim().min(1).max(100).optional(),
  ...pageQuery,
});

/** Default report window: the 30 days ending today (UTC). */
export const DEFAULT_STATS_DAYS = 30;

export const statsQuery = z.object({ from: isoDate.optional(), to: isoDate.optional(), ...pageQuery })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'must not be after to', path: ['from'] })
  .refine((q) => !q.from || !q.to || daysBetween(q.from, q.to) < MAX_REPORT_DAYS, { message: `the range may span at most ${MAX_REPORT_DAYS} days`, path: ['to'] });

/**
 * The report window of a parsed statsQuery: `to` defaults to `from` + 29 days, or to today (UTC) without `from`;
 * `from` defaults to `to` - 29 days. Shared by legacy's route and the shop service edge.
 */
export function statsWindow(q: { from?: string; to?: string }, now: Date): { from: string; to: string } {
  const to = q.to ?? (q.from ? addDays(q.from, DEFAULT_STATS_DAYS - 1) : now.toISOString().slice(0, 10));
  return { from: q.from ?? addDays(to, -(DEFAULT_STATS_DAYS - 1)), to };
}
