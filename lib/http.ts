import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response, ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, errorBody, isAppError } from './errors.ts';
import type { Logger } from './logger.ts';
import { isFenceTriggerError } from './seam/errors.ts';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes a well-formed incoming x-request-id or makes one; echoes it on the response. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    req.headers['x-request-id'] = id;
    res.locals.requestId = id;
    res.setHeader('x-request-id', id);
    next();
  };
}

export function getRequestId(res: Response): string {
  return String(res.locals.requestId ?? '');
}

/** The token of `Authorization: Bearer <token>`; undefined when the header is absent; 401 when it is malformed. */
export function bearerToken(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (!m) throw new AppError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"');
  return m[1];
}

export function sendError(res: Response, err: AppError): void {
  if (res.headersSent) return;
  res.status(err.status).json(errorBody(err.code, err.message, getRequestId(res), err.details));
}

/** 404 for anything no route matched, in the standard error shape. */
export function notFound(): RequestHandler {
  return (req, _res, next) => next(new AppError('ROUTE_NOT_FOUND', `No route for ${req.method} ${req.path}`));
}

/**
 * Final error handler: AppErrors keep their code and status; body-parser
 * failures become 400/413/415; anything else is a 500 with no internals.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    let appErr: AppError;
    if (isAppError(err)) appErr = err;
    else if (isFenceTriggerError(err)) appErr = new AppError('WRITE_FENCED');
    else {
      const e = err as { type?: string; status?: number; statusCode?: number };
      if (e?.type === 'entity.too.large') appErr = new AppError('PAYLOAD_TOO_LARGE');
      else if (e?.type === 'entity.parse.failed') appErr = new AppError('BAD_REQUEST', 'The request body is not valid JSON');
      else if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') appErr = new AppError('UNSUPPORTED_MEDIA_TYPE');
      else if ((e?.status ?? e?.statusCode ?? 500) < 500) appErr = new AppError('BAD_REQUEST');
      else appErr = new AppError('INTERNAL');
    }
    if (appErr.code === 'WRITE_FENCED') res.setHeader('retry-after', '1');
    if (appErr.status >= 500) logger.error({ err, requestId: getRequestId(res) }, 'request failed');
    sendError(res, appErr);
  };
}
