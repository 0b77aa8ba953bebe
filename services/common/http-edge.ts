import type { ErrorRequestHandler, Express, RequestHandler, Response, Router } from 'express';
import { AppError, isAppError } from '../../lib/errors.ts';
import { bearerToken, getRequestId } from '../../lib/http.ts';
import { createJsonApp } from '../../lib/json-app.ts';
import type { Logger } from '../../lib/logger.ts';
import type { SessionVerifier } from '../../rpc/ports.ts';

/**
 * A service HTTP edge: the same JSON frame as the legacy APIs (lib/json-app.ts),
 * so clients see what they saw from legacy (x-request-id echoed, no ETag, no
 * x-powered-by, 404/400/413/415/500 in the standard error shape), plus a
 * /health that reports the service's dependencies and public messages for
 * failed peer-service calls.
 */
export { DEFAULT_JSON_LIMIT } from '../../lib/json-app.ts';

export function createEdgeApp(opts: { name: string; logger: Logger; router: Router; health?: () => Promise<Record<string, string>>; largeBodies?: { path: string; limit: string }[] }): Express {
  return createJsonApp({
    name: opts.name, logger: opts.logger, router: opts.router, largeBodies: opts.largeBodies, accessLog: 'debug',
    errorHandlers: [peerErrors(opts.logger)],
    health: async (_req, res) => {
      const checks = opts.health ? await opts.health().catch(() => ({ self: 'down' })) : {};
      const ok = Object.values(checks).every((v) => v === 'ok');
      res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', service: opts.name, checks });
    },
  });
}

/**
 * A failed call to another service (Thrift client error: 502/503/504 with
 * `service`) keeps its code and status but gets a public message: the
 * client's message names hosts, ports and socket errors, which callers of a
 * public API must not see. The original is logged.
 */
export function peerErrors(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, next) => {
    const peer = (err as { service?: unknown }).service;
    if (isAppError(err) && err.status >= 500 && typeof peer === 'string') {
      logger.warn({ err, requestId: getRequestId(res), peer }, 'peer service call failed');
      const what = err.status === 504 ? 'did not answer in time' : 'is unavailable';
      next(new AppError(err.code, `The ${peer} service ${what}; try again later`, { status: err.status }));
      return;
    }
    next(err);
  };
}

export { bearerToken } from '../../lib/http.ts';

/** Shopper auth through the user service: 401 without a live session. Sets res.locals.userId. */
export function requireUser(sessions: SessionVerifier): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req);
    if (!token) throw new AppError('UNAUTHENTICATED');
    const userId = await sessions.verify(token);
    if (userId === null) throw new AppError('UNAUTHENTICATED', 'The session token is invalid or expired');
    res.locals.userId = userId;
    next();
  };
}

/** Optional shopper auth: a present but bad token is still a 401 (legacy behaviour). */
export function optionalUser(sessions: SessionVerifier): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req);
    if (token) {
      const userId = await sessions.verify(token);
      if (userId === null) throw new AppError('UNAUTHENTICATED', 'The session token is invalid or expired');
      res.locals.userId = userId;
    }
    next();
  };
}

export function userIdOf(res: Response): number {
  return res.locals.userId as number;
}

export function optionalUserIdOf(res: Response): number | null {
  return (res.locals.userId as number | undefined) ?? null;
}
