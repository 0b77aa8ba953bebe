import { createHash, randomBytes } from 'node:crypto';

/** Sessions (shopper and staff) last 30 days. */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

const TOKEN_RE = /^(\d{1,20})\.([A-Za-z0-9_-]{43})$/;

/** `<subjectId>.<32 random bytes, base64url>`: the facade reads the leading id as a sticky canary key. */
export function newToken(subjectId: number): string {
  return `${subjectId}.${randomBytes(32).toString('base64url')}`;
}

/** The database keeps only sha256(hex) of the whole token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The subject id a well-formed token names, or null for anything malformed. */
export function tokenSubject(token: string): number | null {
  const m = TOKEN_RE.exec(token);
  if (!m) return null;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}
