/** Waits until `cond` returns a truthy value, polling, with a deadline. Never a bare sleep. */
export async function waitFor<T>(cond: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${lastErr ? `: ${String((lastErr as Error).message ?? lastErr)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 20));
  }
}

/**
 * This test run's id, shared by every prefix it hands out (and inherited by the processes it starts): the root
 * hook (test/helpers/root-hooks.ts) checks `t:<run>:*` after the run, so other processes using the same Redis — a
 * second test run, the demo — are never mistaken for a leak.
 */
export function testRunId(): string {
  process.env.TEST_RUN_ID ||= `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return process.env.TEST_RUN_ID;
}

/** The key pattern every Redis key of this run starts with. */
export function testRunRedisPrefix(): string {
  return `t:${testRunId()}:`;
}

/** A unique Redis key prefix for one test; drop it when the test ends (dropRedisPrefix in test/helpers/redis.ts). */
export function uniqueRedisPrefix(prefix: string): string {
  return `${testRunRedisPrefix()}${prefix}:${Math.random().toString(36).slice(2, 8)}:`;
}
