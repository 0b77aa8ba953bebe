import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../../lib/errors.ts';
import { bearerToken } from '../../lib/http.ts';
import { systemClock } from '../models/db.ts';
import { staffSessionForToken, userIdForToken, type StaffKind } from '../seam/sessions.ts';
import type { AppDeps } from './deps.ts';

export { bearerToken } from '../../lib/http.ts';

/** Shopper auth: 401 without a live session. Sets res.locals.userId. */
export function requireUser(deps: AppDeps): RequestHandler {
  const clock = deps.clock ?? systemClock;
  return async (req, res, next) => {
    const token = bearerToken(req);
    if (!token) throw new AppError('UNAUTHENTICATED');
    const userId = await userIdForToken(deps.knex, token, clock());
    if (userId === null) throw new AppError('UNAUTHENTICATED', 'The session token is invalid or expired');
    res.locals.userId = userId;
    next();
  };
}

/** Shopper auth where it is optional (logs name the user when known); a bad token is still a 401. */
export function optionalUser(deps: AppDeps): RequestHandler {
  const clock = deps.clock ?? systemClock;
  return async (req, res, next) => {
    const token = bearerToken(req);
    if (token) {
      const userId = await userIdForToken(deps.knex, token, clock());
      if (userId === null) throw new AppError('UNAUTHENTICATED', 'The session token is invalid or expired');
      res.locals.userId = userId;
    }
    next();
  };
}

/** Staff auth: 401 without a live staff session, 403 when the session is of the other kind. */
export function requireStaff(deps: AppDeps, kind: StaffKind): RequestHandler {
  const clock = deps.clock ?? systemClock;
  return async (req, res, next) => {
    const token = bearerToken(req);
    if (!token) throw new AppError('UNAUTHENTICATED');
    const s = await staffSessionForToken(deps.knex, token, clock());
    if (!s) throw new AppError('UNAUTHENTICATED', 'The session token is invalid or expired');
    if (s.kind !== kind) throw new AppError('FORBIDDEN', `This API needs a ${kind} session`);
    res.locals.staffId = s.subjectId;
    next();
  };
}

export function userId(res: Response): number {
  return res.locals.userId as number;
}

export function optionalUserId(res: Response): number | null {
  return (res.locals.userId as number | undefined) ?? null;
}

export function staffId(res: Response): number {
  return res.locals.staffId as number;
}
