/** JSON Web Tokens, HS256 only (RFC 7519 / 7515), with node:crypto. */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Claims {
  sub: string;
  iat: number;
  exp: number;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function sign(input: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(input).digest();
}

export function signToken(sub: string, secret: string, ttlSeconds: number, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const payload = Buffer.from(JSON.stringify({ sub, iat: nowSeconds, exp: nowSeconds + ttlSeconds })).toString('base64url');
  const input = `${HEADER}.${payload}`;
  return `${input}.${sign(input, secret).toString('base64url')}`;
}

export class TokenError extends Error {}

/** Returns the claims of a valid, unexpired HS256 token; throws TokenError otherwise. */
export function verifyToken(token: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): Claims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('malformed token');
  const [h, p, s] = parts;
  let header: { alg?: unknown };
  let claims: Partial<Claims>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('malformed token');
  }
  if (header?.alg !== 'HS256') throw new TokenError('unsupported token algorithm');
  const expected = sign(`${h}.${p}`, secret);
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new TokenError('bad token signature');
  if (typeof claims?.sub !== 'string' || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') throw new TokenError('malformed token');
  if (claims.exp <= nowSeconds) throw new TokenError('token expired');
  return claims as Claims;
}
