/**
 * Scalar formats of the public JSON contract. Pure functions of the values
 * mysql2 returns with the project's connection settings (dateStrings, DECIMAL
 * as strings, BIGINT as numbers when safe). Extracted services import these
 * (or reproduce them exactly): see legacy/API.md "Formats".
 */

const DATETIME_RE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z?$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DECIMAL_RE = /^(-?)(\d+)(?:\.(\d*))?$/;

export class FormatError extends Error {
  constructor(what: string, value: unknown) {
    super(`cannot format ${what}: ${JSON.stringify(value)}`);
    this.name = 'FormatError';
  }
}

/**
 * DATETIME(6) → ISO-8601 UTC with exactly six fraction digits:
 * '2024-01-02 03:04:05.123456' → '2024-01-02T03:04:05.123456Z'. The stored
 * string is reformatted, never parsed into a Date (a Date keeps only
 * milliseconds and would drop the last three digits).
 */
export function timestamp(value: string | Date): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new FormatError('timestamp', value);
    return value.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  }
  const m = DATETIME_RE.exec(String(value));
  if (!m) throw new FormatError('timestamp', value);
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0')}Z`;
}

export function timestampOrNull(value: string | Date | null | undefined): string | null {
  return value === null || value === undefined ? null : timestamp(value);
}

/** DATE → 'YYYY-MM-DD'. */
export function day(value: string | Date): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  const s = String(value);
  if (DATE_RE.test(s)) return s;
  const m = DATETIME_RE.exec(s);
  if (m) return m[1];
  throw new FormatError('date', value);
}

/**
 * DECIMAL → string with exactly two decimals ('39000.00'). Money is carried as
 * the database's exact decimal string end to end: a JS number cannot hold
 * every DECIMAL(12,2) exactly once arithmetic is involved, and Thrift has no
 * decimal type, so a string survives every hop unchanged.
 */
export function decimal2(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new FormatError('decimal', value);
    return value.toFixed(2);
  }
  const m = DECIMAL_RE.exec(String(value).trim());
  if (!m) throw new FormatError('decimal', value);
  const frac = m[3] ?? '';
  if (frac.length > 2 && /[^0]/.test(frac.slice(2))) throw new FormatError('decimal (more than 2 decimals)', value);
  const intPart = m[2].replace(/^0+(?=\d)/, '');
  return `${m[1]}${intPart}.${frac.slice(0, 2).padEnd(2, '0')}`;
}

export function decimal2OrNull(value: string | number | null | undefined): string | null {
  return value === null || value === undefined ? null : decimal2(value);
}

/** Ids and counters are JSON numbers; a value past 2^53 - 1 would lose digits, so it is refused. */
export function int(value: number | string | bigint): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new FormatError('integer', String(value));
  return n;
}

export function intOrNull(value: number | string | null | undefined): number | null {
  return value === null || value === undefined ? null : int(value);
}

/** JSON columns (MariaDB returns the text, MySQL 8 the parsed value) → a plain object; NULL → {}. */
export function jsonObject(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined || value === '') return {};
  const v = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FormatError('JSON object', value);
  return v as Record<string, unknown>;
}

export function jsonOrNull(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** Number columns that are floating point (popularity_score). */
export function float(value: number | string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new FormatError('number', value);
  return n;
}
