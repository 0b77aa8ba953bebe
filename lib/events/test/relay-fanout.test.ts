import { expect } from 'chai';
import { Queue, Worker } from 'bullmq';
import { silentLogger } from '../../logger.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix, waitFor } from '../../../test/helpers/wait.ts';
import { OUTBOX_TABLE, recordProductChanges } from '../outbox.ts';
import { createRedis, PRODUCT_EVENTS_QUEUE, USER_PRODUCT_DELETIONS_QUEUE } from '../queues.ts';
import { OutboxRelay } from '../relay.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The relay's fan-out: every event on the main queue, 'deleted' ones also on the user service's queue, same job ids. */
describe('lib/events relay fan-out @integration', () => {
  let db: TestDatabase;
  const redis = createRedis(REDIS_URL, 'producer');
  const prefixes: string[] = [];
  const queue = (name: string, prefix: string) => new Queue(name, { connection: redis, prefix });
  const jobIds = async (name: string, prefix: string) => {
    const q = queue(name, prefix);
    try {
      return (await q.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'])).map((j) => j.id).sort();
    } finally {
      await q.close();
    }
  };

  before(async () => {
    db = await createTestDatabase('relay_fanout', ['product']);
  });
  after(async () => {
    for (const prefix of prefixes) {
      for (const name of [PRODUCT_EVENTS_QUEUE, USER_PRODUCT_DELETIONS_QUEUE]) {
        const q = queue(name, prefix);
        await q.obliterate({ force: true });
        await q.close();
      }
    }
    redis.disconnect();
    await db?.drop();
  });

  it('routes deleted events to the deletions queue too, under the same job id; a re-publish adds nothing twice', async () => {
    const prefix = uniqueRedisPrefix('fanout');
    prefixes.push(prefix);
    await db.knex(OUTBOX_TABLE).del();
    await recordProductChanges(db.knex, [
      { productId: 1, version: 2, kind: 'updated' }, { productId: 2, version: 5, kind: 'deleted' }, { productId: 3, version: 1, kind: 'stats' },
      { productId: 4, version: 9, kind: 'deleted' }]);
    const ids = (await db.knex(OUTBOX_TABLE).orderBy('id').select('id')).map((r) => `evt-${r.id}`);
    let failOnce = true;
    const relay = new OutboxRelay({
      knex: db.knex, connection: redis, prefix, logger: silentLogger(),
      beforeCommit: () => {
        if (failOnce) {
          failOnce = false;
          throw new Error('died before commit');
        }
      },
    });
    try {
      await relay.publishBatch().catch(() => {});
      expect(await db.knex(OUTBOX_TABLE).whereNull('published_at').count({ n: '*' })).to.deep.equal([{ n: 4 }]);
      expect(await relay.publishBatch()).to.equal(4); // again, after the "crash": the adds are deduplicated
    } finally {
      await relay.stop();
    }
    expect(await jobIds(PRODUCT_EVENTS_QUEUE, prefix)).to.deep.equal([...ids].sort());
    expect(await jobIds(USER_PRODUCT_DELETIONS_QUEUE, prefix)).to.deep.equal([ids[1], ids[3]].sort());
    const q = queue(USER_PRODUCT_DELETIONS_QUEUE, prefix);
    try {
      expect((await q.getJob(ids[1]))!.data).to.deep.include({ productId: 2, version: 5, kind: 'deleted' });
      expect((await q.getJob(ids[1]))!.opts.attempts).to.equal(8);
    } finally {
      await q.close();
    }
  });

  it('fanOut: [] publishes to the main queue only', async () => {
    const prefix = uniqueRedisPrefix('fanout_off');
    prefixes.push(prefix);
    await db.knex(OUTBOX_TABLE).del();
    await recordProductChanges(db.knex, [{ productId: 7, version: 2, kind: 'deleted' }]);
    const relay = new OutboxRelay({ knex: db.knex, connection: redis, prefix, fanOut: [], logger: silentLogger() });
    try {
      expect(await relay.publishBatch()).to.equal(1);
    } finally {
      await relay.stop();
    }
    expect(await jobIds(PRODUCT_EVENTS_QUEUE, prefix)).to.have.length(1);
    expect(await jobIds(USER_PRODUCT_DELETIONS_QUEUE, prefix)).to.deep.equal([]);
  });

  it('score refreshes (stats) wait behind edits: an edit published after 40 of them is indexed first', async () => {
    const prefix = uniqueRedisPrefix('stats_prio');
    prefixes.push(prefix);
    await db.knex(OUTBOX_TABLE).del();
    await recordProductChanges(db.knex, [
      ...Array.from({ length: 40 }, (_, i) => ({ productId: 100 + i, version: 1, kind: 'stats' as const })),
      { productId: 7, version: 3, kind: 'updated' as const }]);
    const relay = new OutboxRelay({ knex: db.knex, connection: redis, prefix, logger: silentLogger() });
    try {
      expect(await relay.publishBatch()).to.equal(41);
    } finally {
      await relay.stop();
    }
    const order: string[] = [];
    const conn = createRedis(REDIS_URL, 'worker');
    const worker = new Worker(PRODUCT_EVENTS_QUEUE, async (job) => { order.push(`${job.data.kind}:${job.data.productId}`); }, { connection: conn, prefix, concurrency: 1 });
    try {
      await waitFor(() => order.length === 41, { timeoutMs: 15_000, what: 'all 41 events processed' });
    } finally {
      await worker.close();
      conn.disconnect();
    }
    expect(order[0]).to.equal('updated:7');
    expect(order.slice(1).every((x) => x.startsWith('stats:'))).to.equal(true);
  });
});
