import { z } from 'zod';

/**
 * Instants in query strings: a UTC day 'YYYY-MM-DD' (its midnight) or an
 * ISO-8601 UTC timestamp with up to 6 fraction digits and a 'Z'. Converted
 * string-wise to a DATETIME(6) literal, so microseconds survive.
 */
const INSTANT_RE = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z)?$/;

export function instantToDb(text: string): string | null {
  const m = INSTANT_RE.exec(text);
  if (!m) return null;
  const t = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}Z`);
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 19) !== `${m[1]}T${m[2] ?? '00:00:00'}`) return null;
  return `${m[1]} ${m[2] ?? '00:00:00'}.${(m[3] ?? '').padEnd(6, '0')}`;
}

export const instant = z.string().trim().transform((v, ctx) => {
  const db = instantToDb(v);
  if (db === null) {
    ctx.addIssue({ code: 'custom', message: "must be 'YYYY-MM-DD' or an ISO-8601 UTC timestamp like '2024-01-02T03:04:05.123456Z'" });
    return z.NEVER;
  }
  return db;
});

/** Days between two 'YYYY-MM-DD' dates (to - from). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function addDays(dayText: string, n: number): string {
  return new Date(Date.parse(`${dayText}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

export const MAX_REPORT_DAYS = 366;
