import { exactText } from './exact.ts';
import type { ColumnInfo } from './sql.ts';

/**
 * The verify's per-row hash and its per-chunk aggregate. Pure SQL builders.
 *
 * Row text: every column's exact bytes (exact.ts — FLOAT widened, ENUM/SET as
 * index/mask, strings as stored bytes, never a lossy print), each encoded as
 * `<byte length>:<bytes>` and NULL as `-`. The encoding is injective: no two
 * different rows (NULL vs '', a value shifted into the next column, a byte
 * moved across a separator) give the same text.
 *
 * Row hash: MD5 of that text, split into two 64-bit halves. Chunk aggregate:
 * COUNT(*) and the SUM of each half (exact DECIMAL in SQL, no overflow).
 * Unlike BIT_XOR(CRC32(…)) — CRC32 is linear, so the same bit flipped in two
 * rows of equal length cancels out — a change in any row moves both sums by
 * an unpredictable amount; two changes cancel with probability about 2^-128.
 */
export function rowText(columns: ColumnInfo[], qualifier = ''): string {
  if (!columns.length) throw new Error('row hash needs at least one column');
  const parts = columns.map((c) => {
    const v = `CAST(${exactText(c, qualifier)} AS BINARY)`;
    return `IFNULL(CONCAT(LENGTH(${v}), ':', ${v}), '-')`;
  });
  return `CONCAT(${parts.join(', ')})`;
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
