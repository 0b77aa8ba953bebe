/** Redis clean-up for tests: every key a test makes lives under its uniqueRedisPrefix, dropped when it ends. */
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../../lib/config.ts';

function connect(url: string): Redis {
  return new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
}

/** Keys starting with `prefix` (SCAN, never KEYS); glob characters in the prefix are escaped. */
export async function redisKeys(prefix: string, url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL): Promise<string[]> {
  const r = connect(url);
  try {
    await r.connect();
    const match = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await r.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  } finally {
    r.disconnect();
  }
}

/** Deletes every key starting with `prefix`; call it after the queues, workers and clients using it are closed. */
export async function dropRedisPrefix(prefix: string, url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL): Promise<number> {
  const keys = await redisKeys(prefix, url);
  if (!keys.length) return 0;
  const r = connect(url);
  try {
    await r.connect();
    for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500));
    return keys.length;
  } finally {
    r.disconnect();
  }
}

/** `t:<run>:jobs_thrift:ab12cd:…` → `jobs_thrift` (the name a test gave uniqueRedisPrefix), for a leak report. */
export function leakReport(keys: string[], runPrefix: string): string {
  const byTest = new Map<string, number>();
  for (const k of keys) {
    const name = k.slice(runPrefix.length).split(':')[0] || '?';
    byTest.set(name, (byTest.get(name) ?? 0) + 1);
  }
  return [...byTest].sort((a, b) => b[1] - a[1]).map(([n, c]) => `${n} (${c} key${c === 1 ? '' : 's'})`).join(', ');
}
