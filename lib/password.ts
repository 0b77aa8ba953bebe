import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing shared by the legacy app (sign-up, login) and the seeder.
 * Stored format: `scrypt$N$r$p$salt$hash` (salt and hash base64url; standard
 * base64 is accepted when verifying) — parameters travel with the hash, so
 * they can be raised later without invalidating stored passwords.
 */
export const DEFAULT_SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Upper bounds accepted when verifying, so a crafted hash cannot exhaust memory/CPU. */
const MAX_N = 1 << 20;
const MAX_RP = 64;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

function scrypt(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const opts: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT, salt: Buffer = randomBytes(SALT_BYTES)): Promise<string> {
  if (typeof password !== 'string') throw new TypeError('password must be a string');
  const key = await scrypt(password.normalize('NFC'), salt, KEY_BYTES, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Parses a stored hash; returns undefined for anything malformed or out of bounds. */
export function parsePasswordHash(stored: string): (ScryptParams & { salt: Buffer; key: Buffer }) | undefined {
  const parts = typeof stored === 'string' ? stored.split('$') : [];
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((x) => (/^\d+$/.test(x) ? Number(x) : NaN));
  if (!Number.isSafeInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return undefined;
  if (!Number.isSafeInteger(r) || r < 1 || r > MAX_RP || !Number.isSafeInteger(p) || p < 1 || p > MAX_RP) return undefined;
  const salt = Buffer.from(parts[4], 'base64url');
  const key = Buffer.from(parts[5], 'base64url');
  if (salt.length === 0 || key.length < 16) return undefined;
  return { N, r, p, salt, key };
}

/** Constant-time check of a password against a stored hash; false for malformed hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (typeof password !== 'string') return false;
  const parsed = parsePasswordHash(stored);
  if (!parsed) return false;
  const key = await scrypt(password.normalize('NFC'), parsed.salt, parsed.key.length, parsed);
  return timingSafeEqual(key, parsed.key);
}
