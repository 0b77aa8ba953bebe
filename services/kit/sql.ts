import type { Knex } from '../../lib/db.ts';

/** Small SQL helpers the services' repositories share. */
export interface Paging { page: number; size: number }
export interface Counted<T> { rows: T[]; total: number }

export function offsetOf(p: Paging): number {
  return (p.page - 1) * p.size;
}

/** Escapes %, _ and \ for a LIKE pattern (MySQL's default escape character is \). */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function countOf(q: Knex.QueryBuilder): Promise<number> {
  const row = (await q.clone().clearSelect().clearOrder().count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: string; errno?: number })?.code === 'ER_DUP_ENTRY' || (err as { errno?: number })?.errno === 1062;
}

export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === 'ER_NO_REFERENCED_ROW_2' || e?.code === 'ER_NO_REFERENCED_ROW';
}

/** 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, the DATETIME(6) text the connection uses. */
export function toDbDatetime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '').replace(/\.(\d{3})$/, '.$1000');
}
