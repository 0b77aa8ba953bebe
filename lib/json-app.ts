import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Router } from 'express';
import { AppError } from './errors.ts';
import { retryFencedRequests } from './seam/requests.ts';
import { errorHandler, getRequestId, notFound, requestId } from './http.ts';
import type { Logger } from './logger.ts';

export const DEFAULT_JSON_LIMIT = '1mb';

export interface JsonAppOptions {
  /** Reported by /health. */
  name: string;
  logger: Logger;
  router: Router;
  /** GET /health. */
  health: RequestHandler;
  /** Level of the one access-log line per request (legacy logs at info, service edges at debug); LOG_ACCESS overrides. */
  accessLog: 'info' | 'debug';
  /** Extra body limits for specific paths, applied before the default 1 MB parser (e.g. bulk upload 5 MB). */
  largeBodies?: { path: string; limit: string }[];
  /** Error middleware that runs before the standard JSON error handler (e.g. to rewrite peer-service errors). */
  errorHandlers?: ErrorRequestHandler[];
}

/**
 * The frame every legacy API and every service HTTP edge shares, so a route
 * cut over from one to the other answers clients the same way: request id on
 * every response, no ETag, no x-powered-by, JSON bodies with a size limit
 * (413), non-JSON bodies refused (415), writes that meet a split-db write
 * freeze retried (bounded), 404 for unknown routes and the JSON error body
 * (no stack traces).
 */
export function createJsonApp(opts: JsonAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId());
  const access = accessLogLevel(process.env, opts.accessLog);
  if (access !== 'off') app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      opts.logger[access]({ requestId: getRequestId(res), method: req.method, path: req.path, status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
    });
    next();
  });
  for (const lb of opts.largeBodies ?? []) app.use(lb.path, express.json({ limit: lb.limit }));
  app.use(express.json({ limit: DEFAULT_JSON_LIMIT }));
  app.use(requireJsonBodies());
  app.get('/health', opts.health);
  app.use(retryFencedRequests(opts.router));
  app.use(notFound());
  for (const h of opts.errorHandlers ?? []) app.use(h);
  app.use(errorHandler(opts.logger));
  return app;
}

/**
 * The access log's level: LOG_ACCESS=info|debug|off when set (`npm start` sets debug unless --access-log, so a
 * terminal is not flooded with one line per request per process), else the app's own default.
 */
export function accessLogLevel(env: NodeJS.ProcessEnv, fallback: 'info' | 'debug'): 'info' | 'debug' | 'off' {
  const v = env.LOG_ACCESS?.trim().toLowerCase();
  return v === 'info' || v === 'debug' || v === 'off' ? v : fallback;
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
