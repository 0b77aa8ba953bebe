import type { NextFunction, Request, Response } from 'express';

/** Every error answer is `{ "message": "...", "status": <code> }`, plus `errors` for validation failures. */
export class HttpError extends Error {
  readonly status: number;
  readonly errors?: Array<{ field: string; problem: string }>;
  constructor(status: number, message: string, errors?: Array<{ field: string; problem: string }>) {
    super(message);
    this.status = status;
    this.errors = errors;
  }
}

export const badRequest = (message: string, errors?: Array<{ field: string; problem: string }>) => new HttpError(400, message, errors);
export const unauthorized = (message = 'authentication required') => new HttpError(401, message);
export const forbidden = (message = 'not allowed') => new HttpError(403, message);
export const notFound = (message = 'not found') => new HttpError(404, message);
export const conflict = (message: string) => new HttpError(409, message);

export function routeNotFound(req: Request, _res: Response, next: NextFunction): void {
  next(new HttpError(404, `no route for ${req.method} ${req.path}`));
}

export type Logger = (line: string) => void;

export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else if ((err as { type?: string })?.type === 'entity.parse.failed') e = badRequest('request body is not valid JSON');
    else if ((err as { type?: string })?.type === 'entity.too.large') e = new HttpError(413, 'request body too large');
    else if (typeof (err as { status?: unknown })?.status === 'number' && (err as { status: number }).status < 500) e = new HttpError((err as { status: number }).status, 'bad request');
    else {
      log(`error ${req.method} ${req.originalUrl}: ${(err as Error)?.stack ?? String(err)}`);
      e = new HttpError(500, 'internal error');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(e.status).json(e.errors ? { message: e.message, status: e.status, errors: e.errors } : { message: e.message, status: e.status });
  };
}
