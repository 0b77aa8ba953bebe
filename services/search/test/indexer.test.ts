import { expect } from 'chai';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix, waitFor } from '../../../test/helpers/wait.ts';
import { dropRedisPrefix } from '../../../test/helpers/redis.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { createRedis, PRODUCT_EVENTS_QUEUE } from '../../../lib/events/queues.ts';
import { OutboxRelay } from '../../../lib/events/relay.ts';
import { OUTBOX_TABLE, recordProductChanged } from '../../../lib/events/outbox.ts';
import { MysqlFulltextBackend } from '../backends/mysql-fulltext.ts';
import { KnexProductSource, type ProductSource } from '../source.ts';
import { SearchIndexer } from '../indexer.ts';
import { createProduct, renameProduct, seedShops } from './seed.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const FAST_JOBS = { attempts: 3, backoffMs: 10, keepCompleted: 1000 };

describe('product events → BullMQ → search indexer @integration', function () {
  let legacy: TestDatabase;
  let search: TestDatabase;
  let backend: MysqlFulltextBackend;
  let source: KnexProductSource;
  let shops: number[];
  const conns: Redis[] = [];
  const redis = (role: 'worker' | 'producer') => {
    const c = createRedis(REDIS_URL, role);
    conns.push(c);
    return c;
  };
  const found = async (q: string) => (await backend.search({ q, filters: {}, sort: 'relevance', offset: 0, limit: 50 })).hits.map((h) => h.id);

  before(async () => {
    [legacy, search] = await Promise.all([createTestDatabase('ev_legacy', ['legacy']), createTestDatabase('ev_search', ['search'])]);
    backend = new MysqlFulltextBackend(search.knex);
    source = new KnexProductSource(legacy.knex);
    shops = await seedShops(legacy.knex);
  });
  after(async () => {
    for (const c of conns) c.disconnect();
    // every queue of each test's prefix (events, dead letters, …), once no connection can re-create a key
    for (const p of prefixes) await dropRedisPrefix(p);
    await Promise.all([legacy?.drop(), search?.drop()]);
  });
  const prefixes: string[] = [];
  const prefixFor = (name: string) => {
    const p = uniqueRedisPrefix(name);
    prefixes.push(p);
    return p;
  };

  it('a committed change becomes searchable through outbox → relay → indexer; the latency histogram observes it', async () => {
    const prefix = prefixFor('ev1');
    const relay = new OutboxRelay({ knex: legacy.knex, connection: redis('producer'), prefix, pollMs: 20, jobDefaults: FAST_JOBS, logger: silentLogger() });
    const indexer = new SearchIndexer({ connection: redis('worker'), prefix, backend, source, logger: silentLogger() });
    relay.start();
    try {
      const id = await createProduct(legacy.knex, shops[0], '체크 셔츠 원피스');
      await waitFor(async () => (await found('체크 셔츠')).includes(id), { timeoutMs: 5000, what: 'product indexed' });
      await renameProduct(legacy.knex, id, '체크 셔츠 원피스 리뉴얼');
      await waitFor(async () => (await found('리뉴얼')).includes(id), { timeoutMs: 5000, what: 'rename indexed' });
      expect((await backend.get(id))?.version).to.equal(2);
      const metric = await indexer.registry.getSingleMetricAsString('search_index_update_to_searchable_seconds');
      expect(metric).to.match(/search_index_update_to_searchable_seconds_count 2\b/);
      const unpublished = await legacy.knex(OUTBOX_TABLE).whereNull('published_at').count({ n: '*' });
      expect(Number(unpublished[0].n)).to.equal(0);
    } finally {
      await relay.stop();
      await indexer.close();
    }
  });

  it('a rolled-back change leaves no event behind', async () => {
    const before = Number((await legacy.knex(OUTBOX_TABLE).count({ n: '*' }))[0].n);
    await legacy.knex.transaction(async (trx) => {
      const [id] = await trx('products').insert({ shop_id: shops[0], external_id: 'rolled-back', name: '롤백 상품', price: '1.00' });
      await recordProductChanged(trx, { productId: Number(id), version: 1, kind: 'created' });
      throw new Error('abort');
    }).catch(() => {});
    expect(Number((await legacy.knex(OUTBOX_TABLE).count({ n: '*' }))[0].n)).to.equal(before);
  });

  it('a relay dying between publish and commit re-publishes; BullMQ drops the duplicates by job id', async () => {
    const prefix = prefixFor('ev2');
    const id = await createProduct(legacy.knex, shops[1], '중복 이벤트 상품');
    let crashes = 1;
    const relay = new OutboxRelay({
      knex: legacy.knex, connection: redis('producer'), prefix, jobDefaults: FAST_JOBS, logger: silentLogger(),
      beforeCommit: () => {
        if (crashes-- > 0) throw new Error('killed after publish');
      },
    });
    await relay.publishBatch().then(() => expect.fail('should have crashed'), (e) => expect(e.message).to.equal('killed after publish'));
    const republished = await relay.publishBatch(); // the same rows again
    expect(republished).to.be.at.least(1);
    const q = new Queue(PRODUCT_EVENTS_QUEUE, { connection: redis('producer'), prefix });
    const counts = await q.getJobCounts('wait', 'delayed', 'active', 'completed');
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total).to.equal(republished); // one job per row although every row was added twice
    const jobs = await q.getJobs(['wait']);
    expect(jobs.filter((j) => j.data.productId === id)).to.have.length(1);
    await q.obliterate({ force: true });
    await q.close();
    await relay.stop();
  });

  it('a poison event is dead-lettered at once; the events around it are indexed', async () => {
    const prefix = prefixFor('ev3');
    const q = new Queue(PRODUCT_EVENTS_QUEUE, { connection: redis('producer'), prefix });
    const a = await createProduct(legacy.knex, shops[0], '독약 앞 상품', { outbox: false });
    const b = await createProduct(legacy.knex, shops[0], '독약 뒤 상품', { outbox: false });
    const ev = (productId: number, eventId: number) => ({ eventId, productId, version: 1, kind: 'created', changedAt: Date.now() });
    await q.add('product.changed', ev(a, 1), { jobId: 'evt-1', attempts: 5, backoff: { type: 'fixed', delay: 10 } });
    await q.add('product.changed', { productId: 'not-a-number', version: -1 }, { jobId: 'evt-2', attempts: 5, backoff: { type: 'fixed', delay: 10 } });
    await q.add('product.changed', ev(b, 3), { jobId: 'evt-3', attempts: 5, backoff: { type: 'fixed', delay: 10 } });
    const indexer = new SearchIndexer({ connection: redis('worker'), prefix, backend, source, logger: silentLogger(), concurrency: 1 });
    try {
      await waitFor(async () => (await found('독약')).length === 2, { timeoutMs: 5000, what: 'neighbours indexed' });
      await waitFor(async () => (await indexer.deadLetterQueue.getJobCounts('wait')).wait === 1, { timeoutMs: 5000, what: 'dead letter' });
      const [dead] = await indexer.deadLetterQueue.getJobs(['wait']);
      expect(dead.data.jobId).to.equal('evt-2');
      expect(dead.data.attempts).to.equal(1); // unrecoverable: not retried
      expect(dead.data.error).to.match(/malformed product event: .*productId/);
    } finally {
      await indexer.close();
      await q.obliterate({ force: true });
      await q.close();
    }
  });

  it('a product that keeps failing is retried with backoff, then dead-lettered', async () => {
    const prefix = prefixFor('ev4');
    const q = new Queue(PRODUCT_EVENTS_QUEUE, { connection: redis('producer'), prefix });
    let calls = 0;
    const flaky: ProductSource = { getMany: async () => { calls++; throw new Error('product service down'); }, listAfter: async () => [] };
    const indexer = new SearchIndexer({ connection: redis('worker'), prefix, backend, source: flaky, logger: silentLogger() });
    try {
      await q.add('product.changed', { eventId: 9, productId: 1, version: 1, kind: 'updated', changedAt: Date.now() }, { jobId: 'evt-9', attempts: 3, backoff: { type: 'exponential', delay: 10 } });
      await waitFor(async () => (await indexer.deadLetterQueue.getJobCounts('wait')).wait === 1, { timeoutMs: 5000, what: 'dead letter after retries' });
      expect(calls).to.equal(3);
    } finally {
      await indexer.close();
      await q.obliterate({ force: true });
      await q.close();
    }
  });

  it('an event older than the index changes nothing (idempotent by version)', async () => {
    const prefix = prefixFor('ev5');
    const id = await createProduct(legacy.knex, shops[0], '버전 상품 v1', { outbox: false });
    await legacy.knex('products').where({ id }).update({ name: '버전 상품 v3', version: 3 });
    await backend.upsert((await source.getMany([id])));
    // the source moves back (e.g. a lagging replica): a v2 event must not regress the document
    await legacy.knex('products').where({ id }).update({ name: '버전 상품 v2', version: 2 });
    const q = new Queue(PRODUCT_EVENTS_QUEUE, { connection: redis('producer'), prefix });
    const indexer = new SearchIndexer({ connection: redis('worker'), prefix, backend, source, logger: silentLogger() });
    try {
      await q.add('product.changed', { eventId: 1, productId: id, version: 2, kind: 'updated', changedAt: Date.now() }, { jobId: 'evt-1' });
      await waitFor(async () => (await q.getJobCounts('completed')).completed === 1, { timeoutMs: 5000 });
      expect((await backend.get(id))?.name).to.equal('버전 상품 v3');
      expect(await (await q.getJob('evt-1'))!.returnvalue).to.equal('stale');
    } finally {
      await indexer.close();
      await q.obliterate({ force: true });
      await q.close();
    }
  });

  it('a deletion removes the document even when the event carries an older version than the index', async () => {
    const prefix = prefixFor('ev7');
    const id = await createProduct(legacy.knex, shops[0], '삭제될 상품', { outbox: false });
    await legacy.knex('products').where({ id }).update({ version: 5 });
    await backend.upsert(await source.getMany([id]));
    await legacy.knex('products').where({ id }).del();
    const q = new Queue(PRODUCT_EVENTS_QUEUE, { connection: redis('producer'), prefix });
    const indexer = new SearchIndexer({ connection: redis('worker'), prefix, backend, source, logger: silentLogger() });
    try {
      await q.add('product.changed', { eventId: 1, productId: id, version: 2, kind: 'deleted', changedAt: Date.now() }, { jobId: 'evt-1' });
      await waitFor(async () => (await backend.get(id)) === null, { timeoutMs: 5000, what: 'document removed' });
      expect(await backend.storedVersion(id)).to.deep.equal({ version: 5, deleted: true });
    } finally {
      await indexer.close();
      await q.obliterate({ force: true });
      await q.close();
    }
  });

  it('graceful shutdown finishes the jobs in flight; a forced one returns them, and a restarted worker completes all', async () => {
    const prefix = prefixFor('ev6');
    const q = new Queue(PRODUCT_EVENTS_QUEUE, { connection: redis('producer'), prefix });
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(await createProduct(legacy.knex, shops[1], `종료 테스트 ${i}`, { outbox: false }));
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let started = 0;
    const slow: ProductSource = { getMany: async (x) => { started += x.length; await gate; return source.getMany(x); }, listAfter: async () => [] };
    const indexer = new SearchIndexer({ connection: redis('worker'), prefix, backend, source: slow, logger: silentLogger(), concurrency: 2 });
    await q.addBulk(ids.map((id, i) => ({ name: 'product.changed', data: { eventId: 100 + i, productId: id, version: 1, kind: 'created', changedAt: Date.now() }, opts: { jobId: `evt-${100 + i}` } })));
    await waitFor(() => started === 2, { what: 'two jobs in flight' });
    const closing = indexer.close();
    release();
    await closing;
    const c1 = await q.getJobCounts('completed', 'active', 'wait');
    expect(c1.completed).to.equal(2); // the two in flight finished, no new ones were taken
    expect(c1.active).to.equal(0);
    expect(c1.wait).to.equal(4);
    const indexer2 = new SearchIndexer({ connection: redis('worker'), prefix, backend, source, logger: silentLogger() });
    await waitFor(async () => (await q.getJobCounts('completed')).completed === 6, { timeoutMs: 5000, what: 'all completed after restart' });
    expect((await found('종료 테스트')).sort()).to.deep.equal([...ids].sort());
    await indexer2.close();
    await q.obliterate({ force: true });
    await q.close();
  });
});
