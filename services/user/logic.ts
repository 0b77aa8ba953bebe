import type { LikeRow, BookmarkRow, ShopRow } from '../../legacy/contract/rows.ts';
import type { CatalogProduct } from '../kit/ports.ts';
import type { Mark } from './repository.ts';
import { listRowOf } from '../product/logic.ts';

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

export function likeRowOf(mark: Mark, p: CatalogProduct): LikeRow {
  return { ...listRowOf(p.row, p.images, p.shopName), liked_at: mark.createdAt };
}

export function bookmarkRowOf(mark: Mark, s: ShopRow): BookmarkRow {
  return { ...s, bookmarked_at: mark.createdAt };
}
