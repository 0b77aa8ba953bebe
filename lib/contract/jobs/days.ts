/** UTC day arithmetic for the jobs (pure). Days are 'YYYY-MM-DD'. */
const DAY_MS = 86_400_000;

export function isDay(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const ms = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === s;
}

export function parseDay(s: string): string {
  if (!isDay(s)) throw new Error(`day must be a calendar date YYYY-MM-DD, got "${s}"`);
  return s;
}

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return dayOf(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS);
}

/** DATETIME(6) literal for the start of a day. */
export function dayStart(day: string): string {
  return `${day} 00:00:00.000000`;
}

/** 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) for a Date/epoch ms. */
export function datetime6(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '000');
}
