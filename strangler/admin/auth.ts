/**
 * Admin token check: `Authorization: Bearer <token>` (or `x-strangler-token`),
 * compared in constant time (both sides hashed to equal length first).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../lib/errors.ts';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  return timingSafeEqual(digest(expected), digest(given));
}

export function presentedToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^bearer /i.test(auth)) return auth.slice(7).trim();
  const t = headers['x-strangler-token'];
  return typeof t === 'string' ? t : undefined;
}

export function requireToken(expected: string): RequestHandler {
  return (req, _res, next) => {
    if (tokenMatches(expected, presentedToken(req.headers))) return next();
    next(new AppError('UNAUTHENTICATED', 'A valid admin token is required (Authorization: Bearer <token>)'));
  };
}
