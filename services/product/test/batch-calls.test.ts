import { expect } from 'chai';
import { silentLogger } from '../../../lib/logger.ts';
import { MemoryOwnershipRegistry } from '../../../lib/ownership/index.ts';
import { OUTBOX_TABLE } from '../../../lib/events/outbox.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { closeServiceClients, createServiceClients, type ServiceClients } from '../../../rpc/index.ts';
import type { ServiceConfig } from '../../common/config.ts';
import type { RunningService } from '../../common/bootstrap.ts';
import { seedFixture } from '../../../test/parity/fixture.ts';
import { startProductService } from '../index.ts';

/** A Thrift call's error code (VALIDATION_FAILED, …), or 'no error'. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

const noPeers = { shop: {} as never, user: {} as never };

/** The jobs' batch calls of ProductService (listScores, setScores, listIdsAfter) over a real Thrift connection. */
describe('product service batch calls over Thrift @integration', function () {
  this.timeout(30_000);
  let legacy: TestDatabase;
  let own: TestDatabase;
  let svc: RunningService;
  let clients: Pick<ServiceClients, 'product'>;
  const registry = new MemoryOwnershipRegistry();
  const product = () => clients.product;

  before(async () => {
    [legacy, own] = await Promise.all([createTestDatabase('batch_legacy'), createTestDatabase('batch_product', ['product'])]);
    await seedFixture(legacy.knex);
    // scores: ids 3, 10, 11 unscored; the rest keep the fixture's (> 0)
    await legacy.knex('products').whereIn('id', [3, 10, 11]).update({ popularity_score: 0, updated_at: legacy.knex.raw('updated_at') });
    // the product service's own database holds other rows, so we can tell which one answered
    await own.knex('products').insert([100, 205].map((id) => ({ id, shop_id: 1, external_id: `own-${id}`, name: `own ${id}`, price: '1.00', popularity_score: id / 100 })));
    const config: ServiceConfig = {
      service: 'product', host: '127.0.0.1', httpPort: 0, thriftPort: 0, mysqlUrl: legacy.dsn, ownDbUrl: own.dsn, dbMode: 'registry',
      redisUrl: undefined, peers: {}, callTimeoutMs: 2000, logLevel: 'silent',
    };
    svc = await startProductService(config, { logger: silentLogger(), registry, peers: noPeers });
    clients = createServiceClients({ product: { port: svc.thriftPort } });
  });
  after(async () => {
    if (clients) await closeServiceClients(clients);
    await svc?.close();
    await Promise.all([legacy?.drop(), own?.drop()]);
  });

  it('listScores: scored products only, ascending, keyset pages whose last one has no nextAfterId', async () => {
    const want = (await legacy.knex('products').where('popularity_score', '>', 0).orderBy('id').select('id', 'popularity_score'))
      .map((r) => ({ productId: String(r.id), score: Number(r.popularity_score) }));
    expect(want.length).to.equal(27);
    const seen: { productId: string; score: number }[] = [];
    const nexts: (string | null | undefined)[] = [];
    let after = '0';
    for (let i = 0; i < 10; i++) {
      const page = await product().listScores({}, after, 9);
      seen.push(...page.items.map((x) => ({ productId: x.productId, score: x.score })));
      nexts.push(page.nextAfterId);
      if (!page.nextAfterId) break;
      after = page.nextAfterId;
    }
    expect(seen).to.deep.equal(want);
    // 27 = 3 × 9: exactly three pages, no empty fourth round trip
    expect(nexts).to.deep.equal([want[8].productId, want[17].productId, null]);
    const tail = await product().listScores({}, want[25].productId, 5);
    expect(tail.items.map((x) => x.productId)).to.deep.equal([want[26].productId]);
    expect(tail.nextAfterId).to.equal(null);
    expect((await product().listScores({}, '30', 5)).items).to.deep.equal([]);
  });

  it('listIdsAfter: every product in any status, ascending, paged', async () => {
    const all: string[] = [];
    let after = '0';
    let calls = 0;
    for (;;) {
      const page = await product().listIdsAfter({}, after, 7);
      calls++;
      all.push(...page.ids);
      if (!page.nextAfterId) break;
      expect(page.nextAfterId).to.equal(page.ids[page.ids.length - 1]);
      after = page.nextAfterId;
    }
    expect(all).to.deep.equal(Array.from({ length: 30 }, (_, i) => String(i + 1)));
    expect(calls).to.equal(5);
    const statuses = new Set((await legacy.knex('products').select('status')).map((r) => r.status));
    expect(statuses).to.deep.equal(new Set(['active', 'hidden', 'sold_out']));
    const exact = await product().listIdsAfter({}, '0', 30);
    expect(exact.ids.length).to.equal(30);
    expect(exact.nextAfterId).to.equal(null);
  });

  it('setScores: sets scores without touching updated_at or version, ignores unknown ids, records a stats event per changed score', async () => {
    const before = new Map((await legacy.knex('products').whereIn('id', [1, 2, 3]).select('id', 'version', 'updated_at', 'popularity_score')).map((r) => [Number(r.id), r]));
    const events0 = Number((await legacy.knex(OUTBOX_TABLE).count({ n: '*' }))[0].n);
    await product().setScores({}, [
      { productId: '1', score: 0 }, { productId: '2', score: 123.456789012345 }, { productId: '3', score: 0 }, { productId: '999999', score: 5 },
      { productId: '2', score: 0.1 + 0.2 }, // the last one wins
    ]);
    const after = new Map((await legacy.knex('products').whereIn('id', [1, 2, 3]).select('id', 'version', 'updated_at', 'popularity_score')).map((r) => [Number(r.id), r]));
    expect(after.get(1)!.popularity_score).to.equal(0);
    expect(after.get(2)!.popularity_score).to.equal(0.1 + 0.2);
    for (const id of [1, 2, 3]) {
      expect(after.get(id)!.updated_at).to.equal(before.get(id)!.updated_at);
      expect(after.get(id)!.version).to.equal(before.get(id)!.version);
    }
    expect(await legacy.knex('products').where({ id: 999999 }).first()).to.equal(undefined);
    // 3 was 0 already: no event; 1 and 2 changed: one 'stats' event each at the unchanged version
    const events = await legacy.knex(OUTBOX_TABLE).where('id', '>', events0).orderBy('id').select('aggregate_id', 'version', 'kind');
    expect(events.map((e) => [Number(e.aggregate_id), Number(e.version), e.kind])).to.deep.equal([[1, before.get(1)!.version, 'stats'], [2, before.get(2)!.version, 'stats']]);
    // the same scores again change nothing and record nothing
    await product().setScores({}, [{ productId: '1', score: 0 }, { productId: '2', score: 0.1 + 0.2 }]);
    expect(Number((await legacy.knex(OUTBOX_TABLE).count({ n: '*' }))[0].n)).to.equal(events0 + 2);
    // listScores sees it
    const page = await product().listScores({}, '0', 3);
    expect(page.items.map((x) => x.productId)).to.deep.equal(['2', '4', '5']);
    await product().setScores({}, []);
  });

  it('a batch of 5000 (the maximum) goes through in one call', async () => {
    const scores = Array.from({ length: 5000 }, (_, i) => ({ productId: String(i + 1), score: i % 30 === 0 ? 7 : 1 }));
    await product().setScores({}, scores);
    const rows = await legacy.knex('products').where('popularity_score', 7).orderBy('id').select('id');
    expect(rows.map((r) => Number(r.id))).to.deep.equal([1]);
    const page = await product().listScores({}, '0', 5000);
    expect(page.items.length).to.equal(30);
    expect(page.nextAfterId).to.equal(null);
  });

  it('refuses bad input with InvalidArgument (VALIDATION_FAILED)', async () => {
    for (const limit of [0, -1, 5001]) {
      expect(await codeOf(product().listScores({}, '0', limit)), `listScores limit ${limit}`).to.equal('VALIDATION_FAILED');
      expect(await codeOf(product().listIdsAfter({}, '0', limit)), `listIdsAfter limit ${limit}`).to.equal('VALIDATION_FAILED');
    }
    for (const after of ['-1', 'abc', '', '1.5', '99999999999999999']) {
      expect(await codeOf(product().listScores({}, after, 10)), `afterId ${after}`).to.equal('VALIDATION_FAILED');
      expect(await codeOf(product().listIdsAfter({}, after, 10)), `afterId ${after}`).to.equal('VALIDATION_FAILED');
    }
    const tooMany = Array.from({ length: 5001 }, (_, i) => ({ productId: String(i + 1), score: 1 }));
    expect(await codeOf(product().setScores({}, tooMany))).to.equal('VALIDATION_FAILED');
    for (const score of [-0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(await codeOf(product().setScores({}, [{ productId: '1', score: 2 }, { productId: '4', score }])), `score ${score}`).to.equal('VALIDATION_FAILED');
    }
    expect(await codeOf(product().setScores({}, [{ productId: '0', score: 1 }]))).to.equal('VALIDATION_FAILED');
    expect(await codeOf(product().setScores({}, [{ productId: 'x', score: 1 }]))).to.equal('VALIDATION_FAILED');
    // a refused batch writes nothing
    expect((await legacy.knex('products').where({ id: 1 }).first('popularity_score')).popularity_score).to.equal(7);
  });

  it('answers from whichever database the registry names, switching without a restart', async () => {
    await registry.set('product', { database: 'own' }, { actor: 'test', reason: 'cutover' });
    try {
      expect((await product().listIdsAfter({}, '0', 10)).ids).to.deep.equal(['100', '205']);
      expect((await product().listScores({}, '100', 10)).items).to.deep.equal([{ productId: '205', score: 2.05 }]);
      await product().setScores({}, [{ productId: '100', score: 9 }]);
      expect((await own.knex('products').where({ id: 100 }).first('popularity_score', 'version')).popularity_score).to.equal(9);
      expect(await own.knex(OUTBOX_TABLE).where({ aggregate_id: 100 }).select('kind')).to.deep.equal([{ kind: 'stats' }]);
    } finally {
      await registry.set('product', { database: 'legacy' }, { actor: 'test', reason: 'rollback' });
    }
    expect((await product().listIdsAfter({}, '0', 1)).ids).to.deep.equal(['1']);
  });
});
