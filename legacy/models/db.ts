import type { Knex } from 'knex';

/** A knex handle or an open transaction: model functions accept either. */
export type Db = Knex | Knex.Transaction;
export type { Knex };

/** Injected time source (tests pin it); defaults to the wall clock. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

/** Date → DATETIME(6) literal in UTC ('2024-01-02 03:04:05.123000'), for a connection with timezone 'Z'. */
export function toDbDatetime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '000');
}

export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: string; errno?: number };
  return e?.code === 'ER_DUP_ENTRY' || e?.errno === 1062;
}

export function isMissingReference(err: unknown): boolean {
  const e = err as { code?: string; errno?: number };
  return e?.code === 'ER_NO_REFERENCED_ROW_2' || e?.errno === 1452;
}

/** Escapes LIKE wildcards so user text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export interface Paging { page: number; size: number }
export interface Counted<T> { rows: T[]; total: number }

export function offset(p: Paging): number {
  return (p.page - 1) * p.size;
}

export async function countOf(q: Knex.QueryBuilder): Promise<number> {
  const row = (await q.clone().clearSelect().clearOrder().count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}
