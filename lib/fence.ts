import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Writes that reach a table while split-db holds its write fence fail with
 * SQLSTATE 45000 ("split-db: writes to <table> are fenced …"). The fence is
 * up for a bounded time (the cutover/rollback freeze), after which ownership
 * has flipped or the fence is lowered again — so the right answer for an
 * application is to retry the whole operation, not to show the client a 500.
 *
 * Across a process boundary (Thrift) the same condition travels as the error
 * code WRITE_FENCED.
 */
export const WRITE_FENCED = 'WRITE_FENCED';

export function isFencedWriteError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; sqlState?: unknown; message?: unknown; cause?: unknown };
  if (e.code === WRITE_FENCED) return true;
  if (e.sqlState === '45000' && typeof e.message === 'string' && e.message.includes('split-db: writes to') && e.message.includes('fenced')) return true;
  return e.cause !== undefined && e.cause !== err ? isFencedWriteError(e.cause) : false;
}

export const DEFAULT_FENCE_RETRY_MS = 5000;
export const DEFAULT_FENCE_RETRY_INTERVAL_MS = 25;
export const MAX_FENCE_RETRY_INTERVAL_MS = 200;

export interface FenceRetryOptions {
  /** How long one request may keep retrying (the freeze's abort limit plus margin). */
  maxWaitMs?: number;
  /** First pause between attempts; doubles up to MAX_FENCE_RETRY_INTERVAL_MS. */
  intervalMs?: number;
  now?: () => number;
  onRetry?: (attempt: number, req: Request) => void;
}

/**
 * Wraps a router (mounted after the body parsers, so a retry never re-reads
 * the request stream): when a request fails with a fenced write before any
 * response was sent, the router is run again after a short pause, until it
 * succeeds, fails otherwise, or the deadline passes (then the fenced error
 * goes on to the error handler, which answers 503).
 */
export function retryFencedWrites(router: RequestHandler, opts: FenceRetryOptions = {}): RequestHandler {
  const maxWaitMs = opts.maxWaitMs ?? DEFAULT_FENCE_RETRY_MS;
  const now = opts.now ?? Date.now;
  return (req: Request, res: Response, next: NextFunction) => {
    const deadline = now() + maxWaitMs;
    let interval = opts.intervalMs ?? DEFAULT_FENCE_RETRY_INTERVAL_MS;
    let attempt = 0;
    const run = (): void => {
      const url = req.url;
      const baseUrl = req.baseUrl;
      const result = router(req, res, (err?: unknown) => {
        if (err && err !== 'route' && err !== 'router' && isFencedWriteError(err) && !res.headersSent && !req.socket.destroyed && now() + interval < deadline) {
          attempt += 1;
          opts.onRetry?.(attempt, req);
          req.url = url;
          req.baseUrl = baseUrl;
          const wait = interval;
          interval = Math.min(interval * 2, MAX_FENCE_RETRY_INTERVAL_MS);
          setTimeout(run, wait);
          return;
        }
        next(err as Error | undefined);
      });
      void result;
    };
    run();
  };
}
