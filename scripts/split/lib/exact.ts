import { q, type ColumnInfo } from './sql.ts';

/**
 * Byte-exact carriage of every column type through the tool (stream mode and
 * the verify's hash). Two rules:
 *
 *  - A value never passes through a JS number. Every column is read as
 *    `CAST(<exact text> AS BINARY)`: mysql2 hands a binary string over as a
 *    Buffer and parses nothing. The exact text is the server's own text where
 *    that is exact (integers, DECIMAL, DOUBLE — MariaDB and MySQL 8 print the
 *    shortest text that reads back to the same double —, temporal types under
 *    time_zone +00:00), `col * 1e0` for FLOAT (the server prints a FLOAT with 6
 *    digits, 16777216 → 16777200; widened to DOUBLE it prints exactly), the
 *    index for ENUM (`''`, the error value, is index 0) and the bit mask for
 *    SET, and the stored bytes for strings (no charset conversion can touch
 *    them), binary strings, BIT, JSON and spatial values.
 *  - The write form puts the value back the same way: numbers and temporal
 *    text as quoted strings (parsed by the server: exact), ENUM/SET as
 *    `CAST(? AS UNSIGNED)` (a number is an index / a mask, never a member
 *    name), bytes as `X'…'` (a Buffer binding), so the target stores the same
 *    bytes.
 *
 * Generated columns are never written (the target computes them); they are
 * read and hashed like any other column so verify sees a target that computes
 * something else. Pure.
 */
export type ExactFamily =
  | 'integer' | 'decimal' | 'float' | 'double' | 'bit' | 'enum' | 'set'
  | 'text' | 'binary' | 'json' | 'temporal' | 'year' | 'spatial' | 'unknown';

const INTEGER = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const TEXT = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
const BINARY = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const TEMPORAL = new Set(['date', 'datetime', 'timestamp', 'time']);
const SPATIAL = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection']);

export function familyOf(c: ColumnInfo): ExactFamily {
  const t = c.dataType.toLowerCase();
  if (c.isJson) return 'json';
  if (INTEGER.has(t)) return 'integer';
  if (t === 'decimal' || t === 'numeric') return 'decimal';
  if (t === 'float') return 'float';
  if (t === 'double' || t === 'real' || t === 'double precision') return 'double';
  if (t === 'bit') return 'bit';
  if (t === 'enum') return 'enum';
  if (t === 'set') return 'set';
  if (TEXT.has(t)) return 'text';
  if (BINARY.has(t)) return 'binary';
  if (TEMPORAL.has(t)) return 'temporal';
  if (t === 'year') return 'year';
  if (SPATIAL.has(t)) return 'spatial';
  return 'unknown';
}

/** SQL text of a column whose bytes are the exact value (see the family rules above). */
export function exactText(c: ColumnInfo, qualifier = ''): string {
  const col = `${qualifier}${q(c.name)}`;
  switch (familyOf(c)) {
    case 'float': return `(${col} * 1e0)`;
    case 'enum':
    case 'set': return `(${col} + 0)`;
    // MySQL's native JSON (MariaDB's JSON is LONGTEXT: its stored bytes): its text, never its binary storage
    case 'json': return c.dataType.toLowerCase() === 'json' ? `CONVERT(${col} USING utf8mb4)` : col;
    default: return col;
  }
}

/** Read expression (a binary string: mysql2 returns a Buffer, parses nothing), aliased to the column name. */
export function exactRead(c: ColumnInfo, qualifier = ''): string {
  return `CAST(${exactText(c, qualifier)} AS BINARY) AS ${q(c.name)}`;
}

/** Placeholder form of one value in a multi-row VALUES list; pairs with `exactBinding`. */
export function exactPlaceholder(c: ColumnInfo): string {
  switch (familyOf(c)) {
    case 'enum':
    case 'set': return 'CAST(? AS UNSIGNED)';
    case 'json': return c.dataType.toLowerCase() === 'json' ? 'CONVERT(? USING utf8mb4)' : '?';
    default: return '?';
  }
}

/**
 * Binding of a value read with `exactRead`: a Buffer (bytes, sent as X'…')
 * or a string (number / temporal text, sent quoted). A value read otherwise
 * (a string from an older reader) is passed through unchanged.
 */
export function exactBinding(c: ColumnInfo, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (familyOf(c)) {
    case 'integer': case 'decimal': case 'float': case 'double': case 'enum': case 'set': case 'temporal': case 'year':
      return Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
    default:
      return Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
  }
}

/** True when a stream-mode write of this value needs a warning tolerated: ENUM index 0 (the '' error value). */
export function isEnumErrorValue(c: ColumnInfo, v: unknown): boolean {
  if (familyOf(c) !== 'enum' || v === null || v === undefined) return false;
  return (Buffer.isBuffer(v) ? v.toString('latin1') : String(v)) === '0';
}

/**
 * Columns the tool cannot carry exactly, as blocker texts for plan
 * (`<table>.<column>: <type> …`). Unknown types (a newer server's such as
 * INET6/UUID, a plugin's) are refused rather than guessed; spatial types are
 * read and written as their stored bytes but are not covered by the type
 * matrix test, so they are refused too.
 */
export function exactnessBlockers(columns: ColumnInfo[], table = ''): string[] {
  const out: string[] = [];
  for (const c of columns) {
    const f = familyOf(c);
    if (f === 'unknown' || f === 'spatial') {
      out.push(`${table ? `${table}.` : ''}${c.name}: column type ${c.columnType} cannot be copied byte-exactly by split-db (carried exactly: integers, DECIMAL, FLOAT, DOUBLE, BIT, ENUM, SET, CHAR/VARCHAR/TEXT, BINARY/VARBINARY/BLOB, JSON, DATE, DATETIME, TIMESTAMP, TIME, YEAR); change the column type or move the table by hand`);
    }
  }
  return out;
}

/**
 * Session settings of every connection of the tool (both servers, reads and
 * writes), the shape mysqldump uses for restores:
 *  - time_zone +00:00: TIMESTAMP text is UTC, a bijection (a local zone maps
 *    two instants to one text in the autumn hour);
 *  - sql_mode: NO_AUTO_VALUE_ON_ZERO (a row with key 0 stays 0 instead of
 *    getting a new AUTO_INCREMENT value), ALLOW_INVALID_DATES and no
 *    NO_ZERO_DATE / NO_ZERO_IN_DATE (zero dates and dates the source already
 *    holds are written as they are), STRICT (a value that does not fit is an
 *    error; triggers the tool creates keep this mode), and none of the modes
 *    that change what a value means on the wire (NO_BACKSLASH_ESCAPES breaks
 *    client-side escaping, EMPTY_STRING_IS_NULL turns '' into NULL,
 *    PAD_CHAR_TO_FULL_LENGTH pads CHAR on read, ANSI_QUOTES/ORACLE change
 *    parsing). Only the one statement that writes an ENUM's '' error value
 *    runs without STRICT (ENUM_ERROR_SQL_MODE): the server can only store it
 *    with a warning, and exactly that warning is accepted.
 */
export const EXACT_SQL_MODE = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,ALLOW_INVALID_DATES,NO_ENGINE_SUBSTITUTION';
export const ENUM_ERROR_SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO,ALLOW_INVALID_DATES,NO_ENGINE_SUBSTITUTION';
/**
 * Also in every session: room for verify's `sequence` chunk hash (rowhash.ts,
 * 40 bytes a row: 64 MiB holds 1.6 M rows; a longer range is detected and
 * compared by the sums instead). Memory is only taken as a range needs it.
 */
export const GROUP_CONCAT_MAX_LEN = 64 * 2 ** 20;
export const EXACT_SESSION_SQL = `SET time_zone = '+00:00', sql_mode = '${EXACT_SQL_MODE}', group_concat_max_len = ${GROUP_CONCAT_MAX_LEN}`;
