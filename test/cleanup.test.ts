import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { Redis } from 'ioredis';
import { createPair } from '../scripts/split/test/helpers.ts';
import { leakReport, redisKeys } from './helpers/redis.ts';
import { checkRedisLeaks } from './helpers/root-hooks.ts';
import { testRunRedisPrefix, uniqueRedisPrefix } from './helpers/wait.ts';

describe('tests clean up after themselves', () => {
  it('every test prefix lives under this run\'s prefix, so the leak check never counts other processes', () => {
    const p = uniqueRedisPrefix('jobs_thrift');
    expect(p.startsWith(testRunRedisPrefix())).to.equal(true);
    expect(p).to.match(/^t:[a-z0-9]+:jobs_thrift:[a-z0-9]+:$/);
    const run = testRunRedisPrefix();
    expect(leakReport([`${run}svc:a:x`, `${run}svc:a:y`, `${run}empty:b:z`], run)).to.equal('svc (2 keys), empty (1 key)');
  });

  it('the root hook\'s check fails naming the test that left keys, and deletes them @integration', async () => {
    const scope = uniqueRedisPrefix('leakcheck');
    const left = `${scope}forgotten:queue:meta`;
    const r = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      await r.set(left, '1');
      let err: Error | undefined;
      await checkRedisLeaks(scope).catch((e: Error) => { err = e; });
      expect(err?.message).to.match(/left 1 Redis key\(s\) behind under t:.*leakcheck.*: forgotten \(1 key\)/);
      expect(await redisKeys(scope)).to.deep.equal([]);
      await checkRedisLeaks(scope); // clean: no error
    } finally {
      await r.del(left);
      r.disconnect();
    }
  });

  it('a split test pair removes its manifest folder from /tmp when dropped @integration', async function () {
    this.timeout(60_000);
    const pair = await createPair('tmpclean');
    const dir = dirname(pair.manifestPath);
    expect(existsSync(dir)).to.equal(true);
    await pair.drop();
    expect(existsSync(dir)).to.equal(false);
  });
});
