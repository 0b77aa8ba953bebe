import type { NextFunction, Request, Response } from 'express';
import { TokenError, verifyToken } from '../auth/jwt.ts';
import { unauthorized } from './errors.ts';

/** Requires `Authorization: Bearer <jwt>`; puts the user id (the token's sub) in res.locals.userId. */
export function requireAuth(secret: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return next(unauthorized('missing bearer token'));
    try {
      res.locals.userId = verifyToken(m[1], secret).sub;
    } catch (err) {
      return next(unauthorized(err instanceof TokenError ? err.message : 'invalid token'));
    }
    next();
  };
}

export function userIdOf(res: Response): string {
  return res.locals.userId as string;
}
