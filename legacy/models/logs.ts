import type { LogRow } from '../../lib/contract/rows.ts';
import { countOf, offset, type Counted, type Db, type Paging } from './db.ts';

/** The event log the story wrote straight into MySQL: views, clicks, searches (likes are logged by likes.ts). */
export interface LogEvent {
  type: LogRow['type'];
  userId?: number | null;
  productId?: number | null;
  shopId?: number | null;
  query?: string | null;
  meta?: Record<string, unknown> | null;
}

export async function writeLog(db: Db, e: LogEvent): Promise<void> {
  await db('logs').insert({
    type: e.type,
    user_id: e.userId ?? null,
    product_id: e.productId ?? null,
    shop_id: e.shopId ?? null,
    query: e.query == null ? null : e.query.slice(0, 255),
    meta: e.meta == null ? null : JSON.stringify(e.meta),
  });
}

export interface LogFilter {
  type?: LogRow['type'];
  /** DATETIME(6) literals, inclusive from, exclusive to. */
  from?: string;
  to?: string;
  productId?: number;
  shopId?: number;
  userId?: number;
}

/** Newest first. */
export async function queryLogs(db: Db, f: LogFilter, paging: Paging): Promise<Counted<LogRow>> {
  const base = db('logs');
  if (f.type) base.where('type', f.type);
  if (f.from) base.where('created_at', '>=', f.from);
  if (f.to) base.where('created_at', '<', f.to);
  if (f.productId !== undefined) base.where('product_id', f.productId);
  if (f.shopId !== undefined) base.where('shop_id', f.shopId);
  if (f.userId !== undefined) base.where('user_id', f.userId);
  const [rows, total] = await Promise.all([
    base.clone().select('id', 'type', 'user_id', 'product_id', 'shop_id', 'query', 'meta', 'created_at')
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(paging.size).offset(offset(paging)),
    countOf(base),
  ]);
  return { rows, total };
}
