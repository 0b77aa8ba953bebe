import express, { type Express, type RequestHandler, type Router } from 'express';
import { AppError } from '../../lib/errors.ts';
import { errorHandler, getRequestId, notFound, requestId } from '../../lib/http.ts';
import type { Logger } from '../../lib/logger.ts';
import { retryFencedWrites } from '../../lib/fence.ts';

export const DEFAULT_JSON_LIMIT = '1mb';

export interface BaseAppOptions {
  name: string;
  logger: Logger;
  router: Router;
  /** Extra body limits for specific paths, applied before the default 1 MB parser (e.g. bulk upload 5 MB). */
  largeBodies?: { path: string; limit: string }[];
}

/**
 * The frame every legacy API shares: request id on every response, JSON
 * bodies with a size limit, one access-log line per request, the routes,
 * 404 for unknown routes and the JSON error handler (no stack traces).
 */
export function createBaseApp(opts: BaseAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId());
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      opts.logger.info({ requestId: getRequestId(res), method: req.method, path: req.path, status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
    });
    next();
  });
  for (const lb of opts.largeBodies ?? []) app.use(lb.path, express.json({ limit: lb.limit }));
  app.use(express.json({ limit: DEFAULT_JSON_LIMIT }));
  app.use(requireJsonBodies());
  app.get('/health', (_req, res) => { res.json({ status: 'ok', service: opts.name }); });
  // a write that meets a split-db write freeze is retried until the freeze ends (bounded), never a 500
  app.use(retryFencedWrites(opts.router));
  app.use(notFound());
  app.use(errorHandler(opts.logger));
  return app;
}

/** A non-empty body the JSON parser left alone (another content type) is a 415, not a confusing validation error. */
export function requireJsonBodies(): RequestHandler {
  return (req, _res, next) => {
    const length = Number(req.headers['content-length'] ?? 0);
    const hasBody = req.headers['transfer-encoding'] !== undefined || length > 0;
    if (hasBody && req.body === undefined) return next(new AppError('UNSUPPORTED_MEDIA_TYPE', 'The request body must be JSON (content-type: application/json)'));
    next();
  };
}
