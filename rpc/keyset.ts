import { AppError } from '../lib/errors.ts';

/**
 * Keyset paging of the batch calls jobs use (product listScores/listIdsAfter,
 * user likesByDay): `afterId` is "0" (from the start) or an id, `limit` is
 * 1..5000, and `nextAfterId` is set only when another page may follow.
 */
export const MAX_KEYSET_LIMIT = 5000;

/** "0" or a positive decimal id (the cursor of a keyset call). */
export function afterIdOf(v: unknown, what = 'afterId'): number {
  if (typeof v === 'string' && /^\d{1,16}$/.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new AppError('VALIDATION_FAILED', `${what} must be "0" or a positive decimal id`);
}

export function keysetLimitOf(v: unknown, what = 'limit'): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_KEYSET_LIMIT) throw new AppError('VALIDATION_FAILED', `${what} must be 1..${MAX_KEYSET_LIMIT}`);
  return v;
}

/**
 * Cuts rows fetched with `limit + 1` to one page: the extra row only says that
 * more follow, so `nextAfterId` (the last id on the page) is exact, never a
 * guess that costs the caller an empty round trip.
 */
export function keysetPage<T>(rows: T[], limit: number, idOf: (row: T) => number): { items: T[]; nextAfterId?: string } {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, nextAfterId: String(idOf(items[items.length - 1])) };
}

/** The caller's side: walks a keyset-paged call from "0" to its last page. */
export async function allKeysetPages<T>(page: (afterId: string) => Promise<{ items: T[]; nextAfterId?: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let after = '0';
  for (;;) {
    const p = await page(after);
    out.push(...p.items);
    if (!p.nextAfterId) return out;
    if (p.nextAfterId === after) throw new Error(`paging did not advance past ${after}`);
    after = p.nextAfterId;
  }
}

/** `xs` cut into batches of at most `n` (for calls with a per-call limit). */
export function chunks<T>(xs: T[], n: number): T[][] {
  return Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));
}
