import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { MysqlFulltextBackend } from '../backends/mysql-fulltext.ts';
import { KnexProductSource } from '../source.ts';
import { ReindexRunStore } from '../repository.ts';
import { runReindex } from '../reindex.ts';
import { bulkInsertProducts, seedShops } from './seed.ts';
import { fixtureDocuments } from './fixtures.ts';

describe('full reindex: checkpointed, resumable @integration', function () {
  let legacy: TestDatabase;
  let search: TestDatabase;

  before(async () => {
    [legacy, search] = await Promise.all([createTestDatabase('rx_legacy', ['legacy']), createTestDatabase('rx_search', ['search'])]);
    const shops = await seedShops(legacy.knex, 3);
    await bulkInsertProducts(legacy.knex, shops, Array.from({ length: 1000 }, (_, i) => (i % 2 ? `리넨 셔츠 ${i}` : `Denim Jacket ${i}`)));
  });
  after(async () => {
    await Promise.all([legacy?.drop(), search?.drop()]);
  });

  it('is interrupted after some batches, resumes from its checkpoint, and sweeps documents of deleted products', async () => {
    const backend = new MysqlFulltextBackend(search.knex);
    const source = new KnexProductSource(legacy.knex);
    const runs = new ReindexRunStore(search.knex);
    // a document whose product no longer exists: the rebuild must drop it
    await backend.upsert([{ ...fixtureDocuments()[0], id: 999_999, name: '삭제된 상품' }]);
    await new Promise((r) => setTimeout(r, 2)); // the run starts strictly after that write (ms clock)

    const ac = new AbortController();
    const first = await runReindex({ backend, source, runs, batchSize: 100, signal: ac.signal, onProgress: (p) => { if (p.processed >= 300) ac.abort(); } });
    expect(first).to.include({ status: 'interrupted', processed: 300, batches: 3, resumed: false });
    expect((await runs.get(first.runId))).to.include({ status: 'running', lastId: first.lastId, processed: 300 });
    expect(await backend.count()).to.equal(301); // 300 + the stale one, not yet swept

    const second = await runReindex({ backend, source, runs, batchSize: 100 });
    expect(second).to.include({ runId: first.runId, status: 'done', processed: 1000, batches: 10, resumed: true });
    expect((await runs.get(first.runId))?.status).to.equal('done');
    expect(await backend.count()).to.equal(1000);
    expect(await backend.get(999_999)).to.equal(null);
    const r = await backend.search({ q: '리넨 셔츠', filters: {}, sort: 'relevance', offset: 0, limit: 5 });
    expect(r.total).to.equal(500);
  });

  it('a failing batch leaves the run resumable (no progress lost, nothing skipped)', async () => {
    const backend = new MysqlFulltextBackend(search.knex);
    const runs = new ReindexRunStore(search.knex);
    const real = new KnexProductSource(legacy.knex);
    let calls = 0;
    const flaky = { getMany: real.getMany.bind(real), listAfter: async (a: number, n: number) => { if (++calls === 4) throw new Error('product service down'); return real.listAfter(a, n); } };
    let err: unknown;
    await runReindex({ backend, source: flaky, runs, batchSize: 200 }).catch((e) => { err = e; });
    expect(String(err)).to.match(/product service down/);
    const run = await runs.running('mysql');
    expect(run?.processed).to.equal(600);
    const done = await runReindex({ backend, source: real, runs, batchSize: 200 });
    expect(done).to.include({ runId: run!.id, processed: 1000, status: 'done', resumed: true });
  });
});
