import { exactText, familyOf } from './exact.ts';
import type { ColumnInfo } from './sql.ts';

/**
 * The verify's per-row hash and its per-chunk aggregates. Pure SQL builders
 * and the pure rule that compares two chunk results.
 *
 * Row text: `CONCAT_WS(CHAR(0), <one field or two per column, in order>)`.
 * Values are every column's exact text (exact.ts — FLOAT widened, ENUM/SET as
 * index/mask, strings as stored bytes, never a lossy print). CHAR(0) is a
 * binary string, so the whole text is binary: no charset conversion touches a
 * value. Per column, in place:
 *  - a column that can hold a NUL byte (strings, binary, BIT, JSON): its byte
 *    length, then the value — `IFNULL(LENGTH(v), 'N'), v` when nullable (a
 *    NULL value is skipped by CONCAT_WS; the 'N' says so, while '' has
 *    length 0);
 *  - any other column (numbers, temporal, ENUM/SET index): the value, or
 *    `IFNULL(v, 'N')` when nullable — their text is never empty, never 'N'
 *    and never holds a NUL byte.
 * The text is injective: read left to right with the column list known, each
 * field ends at the next NUL except a value whose length came before it, so
 * two different rows never give the same text — and a sequence of rows
 * concatenated cannot be read two ways either. (Before: the values, then a
 * NULL map and a list of lengths at the end: two nested concatenations and a
 * number-to-text per flag, 5–10 % more server CPU on the bench's products
 * table, measured; a `<length>:<value>` prefix on every column casts every
 * value twice: 4–5× slower; QUOTE() per column is no cheaper than the lengths.)
 *
 * Row hash: SHA1 of that text (160 bits, not linear: unlike CRC32, the same
 * bit flipped in two rows does not change their hashes by the same amount).
 * SHA1 rather than MD5 because the server's MD5 costs about three times as
 * much per row (MariaDB 10.11, measured); both are computed by the same
 * server code on both sides, so what is compared stays exact bytes.
 *
 * Two chunk aggregates, both over the same row hashes:
 *  - `sequence` (the fast path): COUNT(*) and SHA1 of the row hashes
 *    concatenated in the order the server reads the range (the key's order
 *    on both sides for a primary key). One statement, no temporary table:
 *    about a third of the cost of the sums. Equal results mean equal rows in
 *    equal order. GROUP_CONCAT stops at the session's group_concat_max_len
 *    (the tool sets a large one, exact.ts), so the statement returns that
 *    limit too, and a result is only trusted when COUNT(*) × 40 fits in it.
 *  - `sums` (the authority when the fast path differs or is cut): COUNT(*)
 *    and the SUM of each 64-bit half of the first 128 bits of every row hash
 *    (exact DECIMAL, no overflow), independent of row order. A change in any
 *    row moves both sums by an unpredictable amount; two changes cancel with
 *    probability about 2^-128 (BIT_XOR(CRC32(…)) cancels for the same bit
 *    flipped in two rows of equal length).
 * `compareChunkHashes` turns two `sequence` results into equal / different /
 * undecided (then both sides run `sums`): a range is reported equal only when
 * one of the two says so with every row hashed, so the fast path adds no way
 * to be fooled; rows read in another order on one side (a partitioned table,
 * another plan for a unique-key table) only cost the second statement.
 */
const MAY_HOLD_NUL = new Set(['text', 'binary', 'bit', 'json', 'spatial', 'unknown']);

/** Characters a row hash adds to the `sequence` aggregate's concatenation (hex SHA1). */
export const ROW_HASH_CHARS = 40;

export function rowText(columns: ColumnInfo[], qualifier = ''): string {
  if (!columns.length) throw new Error('row hash needs at least one column');
  const parts: string[] = [];
  for (const c of columns) {
    const v = exactText(c, qualifier);
    if (MAY_HOLD_NUL.has(familyOf(c))) parts.push(c.nullable ? `IFNULL(LENGTH(${v}), 'N')` : `LENGTH(${v})`, v);
    else parts.push(c.nullable ? `IFNULL(${v}, 'N')` : v);
  }
  return `CONCAT_WS(CHAR(0), ${parts.join(', ')})`;
}

export function rowHashExpr(columns: ColumnInfo[], qualifier = ''): string {
  return `SHA1(${rowText(columns, qualifier)})`;
}

/** Largest LIMIT: keeps the derived table from being merged, so the row hash runs once per row. */
const NO_MERGE_LIMIT = '18446744073709551615';

export type ChunkHashKind = 'sequence' | 'sums';

/** One chunk aggregate's result row: n = COUNT(*), x = the aggregate as text, m = group_concat_max_len (`sequence` only). */
export interface ChunkHash {
  n: unknown;
  x: unknown;
  m?: unknown;
}

/**
 * `SELECT n, x[, m]` over the rows `from` + `where` select. `sequence`: x =
 * SHA1 of the concatenated row hashes, m = the session's
 * group_concat_max_len; `sums`: x = "<sum of high halves>:<sum of low
 * halves>" (compare as text).
 */
export function chunkHashSql(columns: ColumnInfo[], from: string, where: string, kind: ChunkHashKind = 'sequence'): string {
  if (kind === 'sequence') {
    return `SELECT COUNT(*) AS n, SHA1(GROUP_CONCAT(${rowHashExpr(columns)} SEPARATOR '')) AS x, @@SESSION.group_concat_max_len AS m FROM ${from} WHERE ${where}`;
  }
  const half = (at: number) => `COALESCE(SUM(CAST(CONV(SUBSTRING(h, ${at}, 16), 16, 10) AS UNSIGNED)), 0)`;
  // the derived column in ascii: 40 bytes a row in the in-memory temporary table instead of 160 (utf8mb4)
  return `SELECT COUNT(*) AS n, CONCAT(${half(1)}, ':', ${half(17)}) AS x ` +
    `FROM (SELECT CONVERT(${rowHashExpr(columns)} USING ascii) AS h FROM ${from} WHERE ${where} LIMIT ${NO_MERGE_LIMIT}) AS rh`;
}

/** Whether a `sequence` result hashed every row (GROUP_CONCAT was not cut at group_concat_max_len). */
export function sequenceComplete(r: ChunkHash): boolean {
  const n = Number(r.n);
  const m = Number(r.m);
  return Number.isFinite(n) && Number.isFinite(m) && n * ROW_HASH_CHARS <= m;
}

/**
 * Two `sequence` results compared: 'different' when the row counts differ,
 * 'equal' when both hashed every row and the hashes agree, otherwise
 * 'undecided' (ask `sums`: another row order, a cut concatenation, or a real
 * difference).
 */
export function compareChunkHashes(a: ChunkHash, b: ChunkHash): 'equal' | 'different' | 'undecided' {
  if (String(a.n) !== String(b.n)) return 'different';
  if (sequenceComplete(a) && sequenceComplete(b) && String(a.x) === String(b.x)) return 'equal';
  return 'undecided';
}

/** Two `sums` results compared. */
export function sameChunkHash(a: ChunkHash, b: ChunkHash): boolean {
  return String(a.n) === String(b.n) && String(a.x) === String(b.x);
}
