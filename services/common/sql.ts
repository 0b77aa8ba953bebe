import type { Knex } from '../../lib/db.ts';

/**
 * Small SQL helpers the services' repositories share. Legacy has the same ones (legacy/models/db.ts): a copy on
 * purpose — the services own their data access, so paging, counting, LIKE escaping and DATETIME(6) text are written
 * here the way legacy writes them (same answers on both sides of a cutover), and legacy's copy goes with legacy.
 */
export interface Paging { page: number; size: number }
export interface Counted<T> { rows: T[]; total: number }

/** Date → DATETIME(6) literal in UTC ('2024-01-02 03:04:05.123000'), for a connection with timezone 'Z'. */
export function toDbDatetime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '000');
}

export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: string; errno?: number };
  return e?.code === 'ER_DUP_ENTRY' || e?.errno === 1062;
}

export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === 'ER_NO_REFERENCED_ROW_2' || e?.code === 'ER_NO_REFERENCED_ROW';
}

/** Escapes LIKE wildcards so user text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function offsetOf(p: Paging): number {
  return (p.page - 1) * p.size;
}

export async function countOf(q: Knex.QueryBuilder): Promise<number> {
  const row = (await q.clone().clearSelect().clearOrder().count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}
