/**
 * Mocha root hook plugin (.mocharc `require`): after the whole run, fails when the run left Redis keys behind.
 * Scoped to this run's keys (`t:<run id>:*`, see uniqueRedisPrefix): other processes sharing the Redis server are
 * not counted. The leaked keys are named by test prefix, then deleted so the next run starts clean.
 */
import { dropRedisPrefix, leakReport, redisKeys } from './redis.ts';
import { testRunRedisPrefix } from './wait.ts';

/** Throws, naming the tests, when keys under `prefix` are left; deletes them first. Redis down: a warning. */
export async function checkRedisLeaks(prefix: string): Promise<void> {
  let keys: string[];
  try {
    keys = await redisKeys(prefix);
  } catch (err) {
    console.warn(`root hook: Redis not reachable, leak check skipped (${(err as Error).message})`);
    return;
  }
  if (!keys.length) return;
  await dropRedisPrefix(prefix).catch(() => undefined);
  throw new Error(`the tests left ${keys.length} Redis key(s) behind under ${prefix}: ${leakReport(keys, prefix)} — drop each test's prefix (dropRedisPrefix) after closing what uses it`);
}

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await checkRedisLeaks(testRunRedisPrefix());
  },
};
