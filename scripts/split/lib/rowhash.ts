import { exactText, familyOf } from './exact.ts';
import { q, type ColumnInfo } from './sql.ts';

/**
 * The verify's per-row hash and its per-chunk aggregate. Pure SQL builders.
 *
 * Row text: `CONCAT_WS(CHAR(0), <exact values…>, <NULL map>, <lengths>)`.
 * Values are every column's exact text (exact.ts — FLOAT widened, ENUM/SET as
 * index/mask, strings as stored bytes, never a lossy print). CHAR(0) is a
 * binary string, so the whole text is binary: no charset conversion touches a
 * value. The NULL map (one 0/1 per nullable column) tells which values
 * CONCAT_WS skipped, so NULL ≠ '' and nothing shifts; the byte lengths of the
 * columns that can hold a NUL byte (strings, binary, BIT, JSON) fix where
 * those values end. Together the text is injective: two different rows never
 * give the same text. (A `<length>:<value>` prefix per column is as exact but
 * casts every value twice: 4–5× slower, measured.)
 *
 * Row hash: MD5 of that text, split into two 64-bit halves. Chunk aggregate:
 * COUNT(*) and the SUM of each half (exact DECIMAL in SQL, no overflow).
 * Unlike BIT_XOR(CRC32(…)) — CRC32 is linear, so the same bit flipped in two
 * rows of equal length cancels out — a change in any row moves both sums by
 * an unpredictable amount; two changes cancel with probability about 2^-128.
 */
const MAY_HOLD_NUL = new Set(['text', 'binary', 'bit', 'json', 'spatial', 'unknown']);

export function rowText(columns: ColumnInfo[], qualifier = ''): string {
  if (!columns.length) throw new Error('row hash needs at least one column');
  const col = (c: ColumnInfo) => `${qualifier}${q(c.name)}`;
  const parts = columns.map((c) => exactText(c, qualifier));
  const nullable = columns.filter((c) => c.nullable);
  if (nullable.length) parts.push(`CONCAT(${nullable.map((c) => `ISNULL(${col(c)})`).join(', ')})`);
  const sized = columns.filter((c) => MAY_HOLD_NUL.has(familyOf(c)));
  if (sized.length) parts.push(`CONCAT_WS(',', ${sized.map((c) => `LENGTH(${col(c)})`).join(', ')})`);
  return `CONCAT_WS(CHAR(0), ${parts.join(', ')})`;
}

export function rowHashExpr(columns: ColumnInfo[], qualifier = ''): string {
  return `MD5(${rowText(columns, qualifier)})`;
}

/** Largest LIMIT: keeps the derived table from being merged, so MD5 runs once per row. */
const NO_MERGE_LIMIT = '18446744073709551615';

/**
 * `SELECT n, x` over the rows `from` + `where` select: n = COUNT(*), x =
 * "<sum of high halves>:<sum of low halves>" (compare as text).
 */
export function chunkHashSql(columns: ColumnInfo[], from: string, where: string): string {
  const half = (fn: 'LEFT' | 'RIGHT') => `COALESCE(SUM(CAST(CONV(${fn}(h, 16), 16, 10) AS UNSIGNED)), 0)`;
  return `SELECT COUNT(*) AS n, CONCAT(${half('LEFT')}, ':', ${half('RIGHT')}) AS x ` +
    `FROM (SELECT ${rowHashExpr(columns)} AS h FROM ${from} WHERE ${where} LIMIT ${NO_MERGE_LIMIT}) AS rh`;
}

/** Result of two chunk hashes compared. */
export function sameChunkHash(a: { n: unknown; x: unknown }, b: { n: unknown; x: unknown }): boolean {
  return String(a.n) === String(b.n) && String(a.x) === String(b.x);
}
