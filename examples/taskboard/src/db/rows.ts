/** Conversions between MySQL values (dateStrings) and the JSON the API answers with. */

/** '2026-01-02 03:04:05.678' (UTC) → '2026-01-02T03:04:05.678Z'. */
export function isoFromSql(value: string | null): string | null {
  if (value === null || value === undefined) return null;
  return `${value.replace(' ', 'T')}Z`;
}

/** A Date → the DATETIME(3) literal in UTC. */
export function sqlNow(d: Date = new Date()): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** Label ids are BINARY(16) in the database, 32 lower-case hex digits in the API. */
export function labelIdToHex(buf: Buffer): string {
  return buf.toString('hex');
}

export function labelIdFromHex(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: string })?.code === 'ER_DUP_ENTRY';
}

/** Escapes LIKE wildcards so user input is matched literally. */
export function likeContains(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
