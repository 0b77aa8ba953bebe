import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isFenceTriggerError } from './errors.ts';
import { DEFAULT_MAX_BACKOFF_MS, DEFAULT_WRITE_RETRY_BACKOFF_MS, DEFAULT_WRITE_RETRY_MAX_MS } from './options.ts';

/**
 * The seam's retry for a whole request, for data layers that do not route
 * every write through `seam.write` (Zigzag's legacy APIs and service edges):
 * writes that reach a table while split-db holds its write fence fail (see
 * isFenceError); the fence is up for a bounded time (the cutover/rollback
 * freeze), after which ownership has flipped or the fence is lowered again —
 * so the right answer is to run the request again, not to show the client a 500.
 *
 * Same budget and backoff as `seam.write` (writeRetry defaults); the fence is
 * recognised by its triggers (isFenceTriggerError): a request may touch any
 * table, so a missing one stays an ordinary 500.
 */
export interface RequestRetryOptions {
  /** How long one request may keep retrying (the freeze's abort limit plus margin); default DEFAULT_WRITE_RETRY_MAX_MS. */
  maxWaitMs?: number;
  /** First pause between attempts; doubles up to maxIntervalMs. */
  intervalMs?: number;
  maxIntervalMs?: number;
  /** Default isFenceTriggerError. */
  isFenceError?: (err: unknown) => boolean;
  now?: () => number;
  onRetry?: (attempt: number, req: Request) => void;
}

/**
 * Wraps a router (mounted after the body parsers, so a retry never re-reads
 * the request stream): when a request fails with a fence error before any
 * response was sent, the router is run again after a short pause, until it
 * succeeds, fails otherwise, or the deadline passes (then the fence error
 * goes on to the error handler, which answers 503).
 */
export function retryFencedRequests(router: RequestHandler, opts: RequestRetryOptions = {}): RequestHandler {
  const maxWaitMs = opts.maxWaitMs ?? DEFAULT_WRITE_RETRY_MAX_MS;
  const maxInterval = opts.maxIntervalMs ?? DEFAULT_MAX_BACKOFF_MS;
  const isFence = opts.isFenceError ?? isFenceTriggerError;
  const now = opts.now ?? Date.now;
  return (req: Request, res: Response, next: NextFunction) => {
    const deadline = now() + maxWaitMs;
    let interval = opts.intervalMs ?? DEFAULT_WRITE_RETRY_BACKOFF_MS;
    let attempt = 0;
    const run = (): void => {
      const url = req.url;
      const baseUrl = req.baseUrl;
      const result = router(req, res, (err?: unknown) => {
        if (err && err !== 'route' && err !== 'router' && isFence(err) && !res.headersSent && !req.socket.destroyed && now() + interval < deadline) {
          attempt += 1;
          opts.onRetry?.(attempt, req);
          req.url = url;
          req.baseUrl = baseUrl;
          const wait = interval;
          interval = Math.min(interval * 2, maxInterval);
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
