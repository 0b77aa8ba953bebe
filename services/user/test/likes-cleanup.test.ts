import { expect } from 'chai';
import { Queue } from 'bullmq';
import { silentLogger } from '../../../lib/logger.ts';
import { MemoryOwnershipRegistry } from '../../../lib/ownership/index.ts';
import { OUTBOX_TABLE } from '../../../lib/events/outbox.ts';
import { createRedis, PRODUCT_EVENTS_QUEUE, USER_PRODUCT_DELETIONS_QUEUE } from '../../../lib/events/queues.ts';
import { OutboxRelay } from '../../../lib/events/relay.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix, waitFor } from '../../../test/helpers/wait.ts';
import { closeServiceClients, createServiceClients, type ServiceClients } from '../../../rpc/index.ts';
import type { ServiceConfig } from '../../common/config.ts';
import { seedFixture } from '../../../test/parity/fixture.ts';
import { startProductService } from '../../product/index.ts';
import { startUserService } from '../index.ts';
import { productToForget } from '../likes-cleanup.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const FAST_JOBS = { attempts: 3, backoffMs: 20, keepCompleted: 1000 };

describe('likes cleanup: which events delete likes', () => {
  const ev = { eventId: 1, productId: 7, version: 3, kind: 'deleted', changedAt: 1_700_000_000_000 };
  it('deleted events name the product; other kinds nothing; malformed ones fail for good', () => {
    expect(productToForget(ev)).to.equal(7);
    expect(productToForget({ ...ev, kind: 'updated' })).to.equal(null);
    expect(() => productToForget({ ...ev, productId: 'x' })).to.throw(/malformed/).with.property('name', 'UnrecoverableError');
    expect(() => productToForget(null)).to.throw(/malformed/);
  });
});

/**
 * The cascade that the FK likes.product_id → products ON DELETE CASCADE did in the shared database, after the
 * split: products in the product service's database, likes in the user service's, a delete through the product
 * service → outbox → relay → user service worker → the likes are gone.
 */
describe('product delete → likes of the product removed in the user database @integration', function () {
  this.timeout(30_000);
  let legacy: TestDatabase;
  let productDb: TestDatabase;
  let userDb: TestDatabase;
  let product: Awaited<ReturnType<typeof startProductService>>;
  let user: Awaited<ReturnType<typeof startUserService>>;
  let relay: OutboxRelay;
  let clients: Pick<ServiceClients, 'product' | 'user'>;
  const prefix = uniqueRedisPrefix('likes_cleanup');
  const producer = createRedis(REDIS_URL, 'producer');
  const registry = new MemoryOwnershipRegistry({ product: { database: 'own' }, user: { database: 'own' } });
  const likesOf = async (k: TestDatabase, productId: number) => (await k.knex('likes').where({ product_id: productId }).orderBy('user_id').select('user_id')).map((r) => Number(r.user_id));

  before(async () => {
    [legacy, productDb, userDb] = await Promise.all([
      createTestDatabase('lc_legacy'), createTestDatabase('lc_product', ['product']), createTestDatabase('lc_user', ['user'])]);
    await seedFixture(legacy.knex);
    // the split's copies (different databases, no FK between them)
    await productDb.knex('products').insert([1, 2, 3].map((id) => ({ id, shop_id: 1, external_id: `e-${id}`, name: `p${id}`, price: '1000.00', version: 4 })));
    await userDb.knex('users').insert([1, 2, 3].map((id) => ({ id, email: `u${id}@example.com`, password_hash: 'x', name: `u${id}` })));
    await userDb.knex('likes').insert([{ user_id: 1, product_id: 1 }, { user_id: 2, product_id: 1 }, { user_id: 1, product_id: 2 }, { user_id: 3, product_id: 3 }]);
    const base = (service: ServiceConfig['service'], ownDbUrl: string): ServiceConfig => ({
      service, host: '127.0.0.1', httpPort: 0, thriftPort: 0, mysqlUrl: legacy.dsn, ownDbUrl, dbMode: 'registry',
      redisUrl: undefined, peers: {}, callTimeoutMs: 2000, logLevel: 'silent',
    });
    product = await startProductService(base('product', productDb.dsn), { logger: silentLogger(), registry, peers: { shop: {} as never, user: {} as never } });
    user = await startUserService({ ...base('user', userDb.dsn), likesCleanup: { redisUrl: REDIS_URL, queuePrefix: prefix, concurrency: 2 } },
      { logger: silentLogger(), registry, peers: { product: product.handler as never, shop: {} as never } });
    relay = new OutboxRelay({ knex: productDb.knex, connection: producer, prefix, pollMs: 20, jobDefaults: FAST_JOBS, logger: silentLogger() });
    relay.start();
    clients = createServiceClients({ product: { port: product.thriftPort }, user: { port: user.thriftPort } });
  });
  after(async () => {
    if (clients) await closeServiceClients(clients);
    await relay?.stop();
    await user?.close();
    await product?.close();
    for (const name of [PRODUCT_EVENTS_QUEUE, USER_PRODUCT_DELETIONS_QUEUE]) {
      const q = new Queue(name, { connection: producer, prefix });
      await q.obliterate({ force: true });
      await q.close();
    }
    producer.disconnect();
    await Promise.all([legacy?.drop(), productDb?.drop(), userDb?.drop()]);
  });

  it('like lists already leave out likes of products the product service does not have', async () => {
    await userDb.knex('likes').insert({ user_id: 3, product_id: 999 });
    const page = await clients.user.listLikes({}, '3', { limit: 10, offset: 0 });
    expect(page.items.map((m) => m.targetId)).to.deep.equal(['3']);
    expect(page.page.total).to.equal(1);
    await userDb.knex('likes').where({ product_id: 999 }).delete();
  });

  it('deleting a product through the product service removes its likes from the user database; other likes stay', async () => {
    expect(await likesOf(userDb, 1)).to.deep.equal([1, 2]);
    await clients.product.deleteProduct({}, '1');
    expect(await productDb.knex('products').where({ id: 1 }).first()).to.equal(undefined);
    await waitFor(async () => (await likesOf(userDb, 1)).length === 0, { timeoutMs: 10_000, what: 'likes of product 1 removed' });
    expect(await likesOf(userDb, 2)).to.deep.equal([1]);
    expect(await likesOf(userDb, 3)).to.deep.equal([3]);
    // legacy's copy is not the user service's database now: untouched
    expect((await likesOf(legacy, 1)).length).to.be.greaterThan(0);
    expect(user.likesCleanup!.forgotten).to.equal(2);
    // the deleted event reached both queues under the same job id; the user service's copy completed
    const [row] = await productDb.knex(OUTBOX_TABLE).where({ aggregate_id: 1, kind: 'deleted' }).select('id', 'version');
    expect(Number(row.version)).to.equal(5);
    const deletions = new Queue(USER_PRODUCT_DELETIONS_QUEUE, { connection: producer, prefix });
    const events = new Queue(PRODUCT_EVENTS_QUEUE, { connection: producer, prefix });
    try {
      const job = await deletions.getJob(`evt-${row.id}`);
      expect(await job!.getState()).to.equal('completed');
      expect(job!.returnvalue).to.deep.equal({ productId: 1, forgotten: 2 });
      expect(await events.getJob(`evt-${row.id}`)).to.not.equal(undefined);
    } finally {
      await deletions.close();
      await events.close();
    }
  });

  it('a redelivered event is harmless, and a re-published one is dropped by job id', async () => {
    const deletions = new Queue(USER_PRODUCT_DELETIONS_QUEUE, { connection: producer, prefix });
    try {
      const [row] = await productDb.knex(OUTBOX_TABLE).where({ aggregate_id: 1, kind: 'deleted' }).select('id');
      const original = await deletions.getJob(`evt-${row.id}`);
      // redelivery (at-least-once): the same event once more under another job id
      const again = await deletions.add('product.changed', original!.data, { jobId: 'redelivered-1', attempts: 3 });
      await waitFor(async () => (await again.getState()) === 'completed', { timeoutMs: 10_000, what: 'redelivered event processed' });
      expect((await deletions.getJob('redelivered-1'))!.returnvalue).to.deep.equal({ productId: 1, forgotten: 0 });
      expect(await likesOf(userDb, 2)).to.deep.equal([1]);
      // re-publish (relay died before marking the row): same job id, BullMQ keeps the one it has
      const counts = await deletions.getJobCounts('completed', 'waiting', 'active', 'failed');
      await productDb.knex(OUTBOX_TABLE).where({ id: row.id }).update({ published_at: null });
      relay.wake();
      await waitFor(async () => (await productDb.knex(OUTBOX_TABLE).where({ id: row.id }).first('published_at')).published_at !== null, { timeoutMs: 10_000, what: 're-published' });
      expect(await deletions.getJobCounts('completed', 'waiting', 'active', 'failed')).to.deep.equal(counts);
      expect(user.likesCleanup!.forgotten).to.equal(2);
    } finally {
      await deletions.close();
    }
  });

  it('hide and update events do not touch likes; a malformed message fails at once without retries', async () => {
    await clients.product.hideProduct({}, '2');
    const deletions = new Queue(USER_PRODUCT_DELETIONS_QUEUE, { connection: producer, prefix });
    try {
      const bad = await deletions.add('product.changed', { productId: 'nope' }, { jobId: 'malformed-1', attempts: 3, backoff: { type: 'fixed', delay: 10 } });
      await waitFor(async () => (await bad.getState()) === 'failed', { timeoutMs: 10_000, what: 'malformed job failed' });
      expect((await deletions.getJob('malformed-1'))!.attemptsMade).to.equal(1);
      const hidden = await productDb.knex(OUTBOX_TABLE).where({ aggregate_id: 2, kind: 'hidden' }).first('id');
      await waitFor(async () => (await productDb.knex(OUTBOX_TABLE).where({ id: hidden.id }).first('published_at')).published_at !== null, { timeoutMs: 10_000, what: 'hide published' });
      expect(await deletions.getJob(`evt-${hidden.id}`)).to.equal(undefined); // only 'deleted' events are routed here
      expect(await likesOf(userDb, 2)).to.deep.equal([1]);
    } finally {
      await deletions.close();
    }
  });

  it('before the user split (user tables still in legacy) the same delete removes the likes there', async () => {
    await registry.set('user', { database: 'legacy' }, { actor: 'test', reason: 'rollback' });
    try {
      // the fixture's legacy likes of product 2 (products 2 and 3 exist in both databases here)
      const before = await likesOf(legacy, 2);
      expect(before.length).to.be.greaterThan(0);
      await clients.product.deleteProduct({}, '2');
      await waitFor(async () => (await likesOf(legacy, 2)).length === 0, { timeoutMs: 10_000, what: 'legacy likes of product 2 removed' });
      expect(await likesOf(userDb, 2)).to.deep.equal([1]); // the user service's own copy is not live now
    } finally {
      await registry.set('user', { database: 'own' }, { actor: 'test', reason: 'cutover' });
    }
  });

  it('closes gracefully: the worker stops with the service', async () => {
    await user.close();
    expect(user.likesCleanup!.worker.isRunning()).to.equal(false);
  });
});
