import { createHash } from 'node:crypto';
import type { Knex } from '../../lib/db.ts';
import type { EventCount, StatsWindow } from '../../lib/contract/merchant-stats.ts';
import { addDays } from '../../lib/contract/time.ts';
import type { ActivityLog, ViewCounts } from '../../rpc/ports.ts';
import { toDbDatetime } from './sql.ts';

/**
 * The few tables that stay legacy-owned after the split and that services
 * still touch, each through one narrow adapter over the LEGACY database
 * (MYSQL_URL) — never through a service's own tables:
 * - `logs` (event log): the product edge appends view/click rows and the user
 *   edge like rows, exactly as legacy did, so legacy's jobs and reports keep
 *   working; merchant stats read the shop's view/click counts from it
 *   (LegacyViewCounts.inShopWindow). The planned successor
 *   is an events feed (lib/events); swapping the adapter is the only change.
 * - `staff_sessions` of admins: admin sign-in stays in legacy, so the service
 *   edges' admin routes verify admin tokens here.
 */
export class LegacyActivityLog implements ActivityLog {
  readonly knex: Knex;
  constructor(knex: Knex) {
    this.knex = knex;
  }
  async write(e: Parameters<ActivityLog['write']>[0]): Promise<void> {
    await this.knex('logs').insert({
      type: e.type, user_id: e.userId ?? null, product_id: e.productId ?? null, shop_id: e.shopId ?? null, query: null,
      meta: e.meta == null ? null : JSON.stringify(e.meta),
    });
  }
}

export class LegacyViewCounts implements ViewCounts {
  readonly knex: Knex;
  constructor(knex: Knex) {
    this.knex = knex;
  }
  async byProduct(productIds: number[]): Promise<Map<number, { views: number; clicks: number }>> {
    const out = new Map(productIds.map((id) => [id, { views: 0, clicks: 0 }]));
    if (productIds.length === 0) return out;
    const rows = await this.knex('logs').whereIn('product_id', productIds).whereIn('type', ['view', 'click'])
      .groupBy('product_id').select('product_id', this.knex.raw("SUM(type = 'view') AS views"), this.knex.raw("SUM(type = 'click') AS clicks"));
    for (const r of rows as { product_id: number; views: number; clicks: number }[]) out.set(Number(r.product_id), { views: Number(r.views), clicks: Number(r.clicks) });
    return out;
  }

  /** One grouped read over ix_logs_shop_created_type: [from 00:00, to+1 00:00) UTC, as legacy's report. */
  async inShopWindow(shopId: number, window: StatsWindow): Promise<EventCount[]> {
    const rows = await this.knex('logs').where('shop_id', shopId).whereIn('type', ['view', 'click'])
      .andWhere('created_at', '>=', `${window.from} 00:00:00.000000`).andWhere('created_at', '<', `${addDays(window.to, 1)} 00:00:00.000000`)
      .groupBy('product_id').select('product_id', this.knex.raw("SUM(type = 'view') AS views"), this.knex.raw("SUM(type = 'click') AS clicks"));
    return (rows as { product_id: number | null; views: number; clicks: number }[])
      .map((r) => ({ productId: r.product_id === null ? null : Number(r.product_id), views: Number(r.views), clicks: Number(r.clicks) }));
  }
}

const TOKEN_RE = /^(\d{1,20})\.([A-Za-z0-9_-]{43})$/;

/** Admin/merchant bearer tokens (legacy staff_sessions). */
export class LegacyStaffSessions {
  readonly knex: Knex;
  constructor(knex: Knex) {
    this.knex = knex;
  }
  async verify(token: string, now: Date = new Date()): Promise<{ kind: 'admin' | 'merchant'; subjectId: number } | null> {
    const m = TOKEN_RE.exec(token);
    if (!m) return null;
    const subject = Number(m[1]);
    if (!Number.isSafeInteger(subject) || subject <= 0) return null;
    const row = await this.knex('staff_sessions').where({ token_hash: createHash('sha256').update(token).digest('hex') })
      .andWhere('expires_at', '>', toDbDatetime(now)).first('kind', 'subject_id');
    if (!row || Number(row.subject_id) !== subject) return null;
    return { kind: row.kind, subjectId: subject };
  }

  /** The admin's role (admins table, legacy-owned): only superusers may delete products. */
  async adminRole(adminId: number): Promise<'operator' | 'superuser' | undefined> {
    const row = await this.knex('admins').where({ id: adminId }).first('role');
    return row?.role;
  }
}
