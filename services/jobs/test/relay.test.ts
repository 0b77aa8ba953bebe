import { expect } from 'chai';
import { Queue } from 'bullmq';
import { parseConfig } from '../../../lib/config.ts';
import { createKnex, dropDatabase, ensureDatabase, withDatabase, type Knex } from '../../../lib/db.ts';
import { recordProductChanged } from '../../../lib/events/outbox.ts';
import { createRedis, PRODUCT_EVENTS_QUEUE } from '../../../lib/events/queues.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { migrateLatest } from '../../../lib/migrate.ts';
import { createTestDatabase, testServerDsn, uniqueName, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix, waitFor } from '../../../test/helpers/wait.ts';
import { dropRedisPrefix } from '../../../test/helpers/redis.ts';
import { PRODUCT_OUTBOX_FIRST_ID } from '../../../migrations/product/030_event_outbox_id_range.ts';
import { jobsConfigSchema, startJobs } from '../index.ts';

/**
 * The events process relays the product outbox of the legacy database and of
 * the product database, which may appear only later (created by the split):
 * no restart, nothing left behind on either side, no job id shared.
 */
describe('events process: the product outbox wherever it lives @integration', function () {
  this.timeout(60_000);
  let legacy: TestDatabase;
  const productDsn = withDatabase(testServerDsn(), uniqueName('jobs_pdb'));
  let product: Knex | undefined;

  before(async () => {
    legacy = await createTestDatabase('jobs_relay', ['legacy']);
  });
  after(async () => {
    await product?.destroy();
    await dropDatabase(productDsn);
    await legacy?.drop();
  });

  it('relays the legacy outbox at once, the product database\'s as soon as it exists, and both afterwards', async () => {
    const prefix = uniqueRedisPrefix('relay2');
    const jobs = await startJobs(parseConfig(jobsConfigSchema, {
      MYSQL_URL: legacy.dsn, PRODUCT_DB_URL: productDsn, QUEUE_PREFIX: prefix, SCHEDULES_ENABLED: 'false', LOG_LEVEL: 'silent',
    }), { logger: silentLogger(), outboxProbeMs: 50 });
    const conn = createRedis('redis://127.0.0.1:6379', 'producer');
    const events = new Queue(PRODUCT_EVENTS_QUEUE, { connection: conn, prefix });
    const published = async (ids: Array<number | string>) => (await Promise.all(ids.map((id) => events.getJob(`evt-${id}`)))).every(Boolean);
    const unpublished = async (k: Knex) => Number((await k('event_outbox').whereNull('published_at').count({ n: '*' }))[0].n);
    try {
      // before the split: the product database does not exist yet
      await recordProductChanged(legacy.knex, { productId: 1, version: 2, kind: 'updated' });
      await waitFor(() => published([1]), { what: 'legacy outbox row 1 published' });
      expect(jobs.relay!.status()).to.deep.include({ product: { relaying: false, published: 0 } });

      // the split creates and migrates it; the product service writes its events there
      await ensureDatabase(productDsn);
      product = createKnex(productDsn, { pool: { max: 2 } });
      await migrateLatest(product, 'product');
      await recordProductChanged(product, { productId: 1, version: 3, kind: 'updated' });
      // a legacy write that committed just before the cutover
      await recordProductChanged(legacy.knex, { productId: 2, version: 5, kind: 'hidden' });
      await waitFor(() => published([PRODUCT_OUTBOX_FIRST_ID, 2]), { timeoutMs: 10_000, what: 'both outboxes published' });
      const fromProduct = await events.getJob(`evt-${PRODUCT_OUTBOX_FIRST_ID}`);
      expect(fromProduct?.data).to.include({ eventId: PRODUCT_OUTBOX_FIRST_ID, productId: 1, version: 3 });
      expect((await events.getJob('evt-1'))?.data).to.include({ productId: 1, version: 2 }); // not overwritten: the ids never meet
      expect(await unpublished(legacy.knex)).to.equal(0);
      expect(await unpublished(product)).to.equal(0);
      expect(jobs.relay!.status()).to.deep.equal({ legacy: { relaying: true, published: 2 }, product: { relaying: true, published: 1 } });
    } finally {
      await events.close();
      conn.disconnect();
      await jobs.close();
      await dropRedisPrefix(prefix);
    }
  });
});
