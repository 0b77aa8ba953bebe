import type { LikeRow, BookmarkRow, ShopRow } from '../../lib/contract/rows.ts';
import type { CatalogProduct } from '../../rpc/ports.ts';
import type { Mark } from './repository.ts';
import { listRowOf } from '../../lib/contract/product.ts';

/** Pure rules of the user service. */

/** Sessions (shopper) last 30 days, as in legacy. */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
export const TOKEN_RE = /^(\d{1,20})\.([A-Za-z0-9_-]{43})$/;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The user id a well-formed token names, or null. */
export function tokenSubject(token: string): number | null {
  const m = TOKEN_RE.exec(token);
  if (!m) return null;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** Marks whose target is still visible, in mark order (most recent first), and one page of them. */
export function pageOfMarks(marks: Mark[], visible: (id: number) => boolean, paging: { page: number; size: number }): { page: Mark[]; total: number } {
  const kept = marks.filter((m) => visible(m.targetId));
  const start = (paging.page - 1) * paging.size;
  return { page: kept.slice(start, start + paging.size), total: kept.length };
}

/**
 * A `common.Timestamp` from the wire (ISO-8601 UTC, 'T' and 'Z', up to 6 fraction digits) → the DATETIME(6) text the
 * database compares against ('2026-11-22 01:02:03.123456'), string-wise so microseconds survive; null when malformed
 * or not a real instant (2026-02-30, 24:00:00).
 */
export function wireTimestampToDb(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(v);
  if (!m) return null;
  const t = Date.parse(`${m[1]}T${m[2]}Z`);
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 19) !== `${m[1]}T${m[2]}`) return null;
  return `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(6, '0')}`;
}

export function likeRowOf(mark: Mark, p: CatalogProduct): LikeRow {
  return { ...listRowOf(p.row, p.images, p.shopName), liked_at: mark.createdAt };
}

export function bookmarkRowOf(mark: Mark, s: ShopRow): BookmarkRow {
  return { ...s, bookmarked_at: mark.createdAt };
}
