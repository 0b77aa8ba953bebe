import { expect } from 'chai';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix, waitFor } from '../../../test/helpers/wait.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { createRedis } from '../../../lib/events/queues.ts';
import { MysqlFulltextBackend } from '../backends/mysql-fulltext.ts';
import { ReindexRunStore } from '../repository.ts';
import { KnexProductSource, type ProductSource } from '../source.ts';
import { enqueueReindex, ReindexWorker, SEARCH_MAINTENANCE_QUEUE } from '../reindex-worker.ts';
import { bulkInsertProducts, seedShops } from './seed.ts';

describe('full reindex as a BullMQ job: stopped by a shutdown, resumed by the next worker @integration', function () {
  this.timeout(60_000);
  let legacy: TestDatabase;
  let search: TestDatabase;
  const conns: Redis[] = [];
  const redis = (role: 'worker' | 'producer') => {
    const c = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', role);
    conns.push(c);
    return c;
  };

  before(async () => {
    [legacy, search] = await Promise.all([createTestDatabase('rw_legacy', ['legacy']), createTestDatabase('rw_search', ['search'])]);
    await bulkInsertProducts(legacy.knex, await seedShops(legacy.knex, 2), Array.from({ length: 600 }, (_, i) => `스웨이드 로퍼 ${i}`));
  });
  after(async () => {
    for (const c of conns) c.disconnect();
    await Promise.all([legacy?.drop(), search?.drop()]);
  });

  it('reports progress, survives a worker shutdown mid-run, and finishes the same run on the next worker', async () => {
    const prefix = uniqueRedisPrefix('rw');
    const backend = new MysqlFulltextBackend(search.knex);
    const runs = new ReindexRunStore(search.knex);
    const real = new KnexProductSource(legacy.knex);
    // a source that holds every read past id 200 until the shutdown has begun, so the shutdown lands mid-run
    // whatever the machine's speed (the run reads the next batch while it writes one)
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow: ProductSource = { getMany: (ids) => real.getMany(ids), listAfter: async (a, n) => { if (a >= 200) await gate; return real.listAfter(a, n); } };
    const queue = new Queue(SEARCH_MAINTENANCE_QUEUE, { connection: redis('producer'), prefix });
    const job = await enqueueReindex(queue, { batchSize: 50 }, { backoffMs: 50 });
    const first = new ReindexWorker({ connection: redis('worker'), prefix, backend, source: slow, runs, logger: silentLogger() });
    await waitFor(async () => ((await queue.getJob(job.id!))?.progress as { processed?: number })?.processed! >= 200, { timeoutMs: 20_000, what: 'progress reported' });
    const closing = first.close();
    release();
    await closing;
    const run = await runs.running('mysql');
    expect(run?.processed).to.be.within(200, 300);
    const second = new ReindexWorker({ connection: redis('worker'), prefix, backend, source: real, runs, logger: silentLogger() });
    try {
      await waitFor(async () => (await queue.getJob(job.id!))?.finishedOn !== undefined && (await (await queue.getJob(job.id!))!.getState()) === 'completed', { timeoutMs: 20_000, what: 'job completed' });
      const done = (await queue.getJob(job.id!))!.returnvalue;
      expect(done).to.include({ runId: run!.id, status: 'done', processed: 600, resumed: true });
      expect(await backend.count()).to.equal(600);
    } finally {
      await second.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
