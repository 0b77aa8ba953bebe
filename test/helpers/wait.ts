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

/** A unique Redis key prefix for one test. */
export function uniqueRedisPrefix(prefix: string): string {
  return `t:${prefix}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`;
}
