import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from '../logger.ts';
import { silentLogger } from '../logger.ts';
import { describeFence, isFenceError, isSeamUnavailable, SEAM_UNAVAILABLE } from './errors.ts';
import { DEFAULT_RETRY_AFTER_SECONDS } from './options.ts';

export interface SeamErrorInfo {
  code: string;
  message: string;
  requestId: string;
  domain?: string;
  retryAfterSeconds: number;
}

export interface SeamErrorHandlerOptions {
  /** Builds the JSON body; default `{ error: { code: 'SERVICE_MOVING', message, requestId } }`. */
  body?: (info: SeamErrorInfo, req: Request) => unknown;
  /** Retry-After for a bare fence error that reached the handler without going through the seam. */
  retryAfterSeconds?: number;
  logger?: Logger;
}

function requestIdOf(req: Request, res: Response): string {
  const fromLocals = res.locals?.requestId;
  if (typeof fromLocals === 'string' && fromLocals) return fromLocals;
  const h = req.headers['x-request-id'];
  return typeof h === 'string' && /^[\w.:-]{1,128}$/.test(h) ? h : randomUUID();
}

export const defaultSeamErrorBody = (info: SeamErrorInfo) => ({ error: { code: info.code, message: info.message, requestId: info.requestId } });

/**
 * Express error middleware: a SeamUnavailableError (or a fence error that
 * escaped the seam) becomes 503 with Retry-After and a JSON body; anything
 * else goes on to the next error handler.
 */
export function seamErrorHandler(opts: SeamErrorHandlerOptions = {}): ErrorRequestHandler {
  const log = opts.logger ?? silentLogger();
  const body = opts.body ?? defaultSeamErrorBody;
  return (err, req, res, next) => {
    const seamErr = isSeamUnavailable(err);
    if ((!seamErr && !isFenceError(err)) || res.headersSent) return next(err);
    const requestId = requestIdOf(req, res);
    const retryAfterSeconds = seamErr ? err.retryAfterSeconds : (opts.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
    const info: SeamErrorInfo = {
      code: SEAM_UNAVAILABLE,
      message: seamErr ? err.message : 'this data is moving to another database; try again shortly',
      requestId,
      domain: seamErr ? err.domain : undefined,
      retryAfterSeconds,
    };
    log.warn({ requestId, route: req.originalUrl, method: req.method, domain: info.domain, fence: describeFence(seamErr ? err.cause : err) }, 'answering 503 SERVICE_MOVING');
    res.status(503).setHeader('Retry-After', String(retryAfterSeconds));
    res.json(body(info, req));
  };
}
