/** Exponential backoff with jitter (pure; `rand` injected for tests). */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0..1: share of the delay that is randomised ("equal jitter" at 0.5) */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.5 };

/** Delay before reconnect attempt number `attempt` (1-based). */
export function backoffDelay(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF, rand: () => number = Math.random): number {
  const base = Math.min(o.maxMs, o.initialMs * o.factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - o.jitter) + base * o.jitter * rand());
}
