import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import type { ShopRow } from '../../../lib/contract/rows.ts';
import { createServiceClients, closeServiceClients, createThriftServer, SERVICE_MODULES, type ThriftServer } from '../../../rpc/index.ts';
import { createLiveDb } from '../../common/live-db.ts';
import { createProductHandler } from '../../product/handler.ts';
import { ProductRepository } from '../../product/repository.ts';
import { MysqlFulltextBackend } from '../backends/mysql-fulltext.ts';
import { ReindexRunStore } from '../repository.ts';
import { runReindex } from '../reindex.ts';
import { KnexProductSource } from '../source.ts';
import { ThriftProductSource, type ProductApi } from '../thrift-source.ts';
import { seedShops } from './seed.ts';

/**
 * The Thrift adapter against the product service's real handler — in-process
 * (the object the Thrift server wraps) and over a real Thrift connection, as
 * the search service and the demo use it: documents must equal what the
 * direct-table source builds, and a full reindex must page the whole catalogue
 * (any status, sparse ids) through listIdsAfter + getMany, resumably.
 */
describe('search: product source over the product service API @integration', function () {
  let legacy: TestDatabase;
  let api: ProductApi;
  const searches: TestDatabase[] = [];
  const searchDb = async () => {
    const db = await createTestDatabase('ts_search', ['search']);
    searches.push(db);
    return db;
  };
  /** Listed products: 24 of ids 3..90 (every 5th hidden); plus a hidden product far past the newest listed id. */
  const FAR = 900_000;

  before(async () => {
    legacy = await createTestDatabase('ts_legacy', ['legacy']);
    const shops = await seedShops(legacy.knex, 2);
    await legacy.knex('categories').insert({ id: 7, name: '니트', slug: 'knit' });
    for (let i = 1; i <= 30; i++) {
      await legacy.knex('products').insert({ id: i * 3, shop_id: shops[i % 2], category_id: i % 3 ? 7 : null, external_id: `e${i}`, name: `울 니트 ${i}`,
        price: '29000.00', sale_price: i % 4 ? null : '19000.00', status: i % 5 ? 'active' : 'hidden', attributes: JSON.stringify({ color: '아이보리' }) });
    }
    await legacy.knex('products').insert({ id: FAR, shop_id: shops[0], external_id: 'far', name: '숨은 코트', price: '1000.00', status: 'hidden' });
    await legacy.knex('product_images').insert([{ product_id: 3, url: 'https://img/3b.jpg', position: 2 }, { product_id: 3, url: 'https://img/3a.jpg', position: 1 }]);
    const live = createLiveDb({ legacyDsn: legacy.dsn, ownDsn: legacy.dsn, which: () => 'legacy', handles: { legacy: legacy.knex } });
    const handler = createProductHandler({
      repo: new ProductRepository(live),
      shops: {
        getMany: async (ids) => (await legacy.knex('shops').whereIn('id', ids)) as ShopRow[],
        get: async (id) => (await legacy.knex('shops').where({ id }).first()) as ShopRow | undefined,
        adjustFollowers: async () => {},
        getMerchant: async () => undefined,
      },
    });
    api = handler as unknown as ProductApi;
  });
  after(async () => {
    await Promise.all([legacy?.drop(), ...searches.map((s) => s.drop())]);
  });

  it('builds the same documents as the table source, hidden products and category names included', async () => {
    const viaThrift = await new ThriftProductSource(api).getMany([3, 15, 12, 999, FAR]);
    const direct = await new KnexProductSource(legacy.knex).getMany([3, 15, 12, FAR]);
    const byId = (d: { id: number }[]) => [...d].sort((a, b) => a.id - b.id);
    expect(byId(viaThrift)).to.deep.equal(byId(direct));
    expect(viaThrift.find((d) => d.id === 3)).to.include({ imageUrl: 'https://img/3a.jpg', keywords: '아이보리', shopName: '상점2', categoryName: '니트' });
    expect(viaThrift.find((d) => d.id === 15)?.status).to.equal('hidden');
  });

  it('pages the catalogue in id order through listIdsAfter, any status, however sparse the ids', async () => {
    const source = new ThriftProductSource(api);
    const all: number[] = [];
    for (let after = 0; ;) {
      const docs = await source.listAfter(after, 7);
      if (!docs.length) break;
      expect(docs.length).to.be.at.most(7);
      all.push(...docs.map((d) => d.id));
      after = docs[docs.length - 1].id;
    }
    expect(all).to.deep.equal([...Array.from({ length: 30 }, (_, i) => (i + 1) * 3), FAR]);
  });

  it('a page whose products were all deleted between listIdsAfter and getMany does not end the reindex early', async () => {
    const gone = new Set(['3', '6', '9']);
    const racing: ProductApi = { ...api, getMany: async (ctx, ids, view) => api.getMany(ctx, ids.filter((id) => !gone.has(id)), view) };
    const docs = await new ThriftProductSource(racing).listAfter(0, 3);
    expect(docs.map((d) => d.id)).to.deep.equal([12, 15, 18]);
  });

  it('drives a full reindex, interrupted and resumed from its checkpoint', async () => {
    const search = await searchDb();
    const backend = new MysqlFulltextBackend(search.knex);
    const runs = new ReindexRunStore(search.knex);
    const stop = new AbortController();
    const first = await runReindex({ backend, source: new ThriftProductSource(api), runs, batchSize: 7, signal: stop.signal, onProgress: (p) => { if (p.processed >= 14) stop.abort(); } });
    expect(first).to.include({ status: 'interrupted', processed: 14, lastId: 42 });
    const r = await runReindex({ backend, source: new ThriftProductSource(api), runs, batchSize: 7 });
    expect(r).to.include({ status: 'done', processed: 31, resumed: true, runId: first.runId, lastId: FAR });
    expect(await backend.count()).to.equal(31);
    expect((await backend.search({ q: '울 니트', filters: {}, sort: 'relevance', offset: 0, limit: 50 })).total).to.equal(24);
  });

  it('over a real Thrift connection (what the search service and the demo use), the same reindex works', async () => {
    const handler = api as unknown as object;
    const server: ThriftServer = await createThriftServer({ service: 'product', module: SERVICE_MODULES.product, handler, port: 0, host: '127.0.0.1' });
    const clients = createServiceClients({ product: { host: '127.0.0.1', port: server.port } });
    try {
      const search = await searchDb();
      const backend = new MysqlFulltextBackend(search.knex);
      const r = await runReindex({ backend, source: new ThriftProductSource(clients.product as unknown as ProductApi), runs: new ReindexRunStore(search.knex), batchSize: 500 });
      expect(r).to.include({ status: 'done', processed: 31, lastId: FAR });
      expect(await backend.count()).to.equal(31);
      const coat = await new ThriftProductSource(clients.product as unknown as ProductApi).getMany([FAR]);
      expect(coat[0]).to.include({ status: 'hidden', name: '숨은 코트', shopName: '상점1' });
    } finally {
      await closeServiceClients(clients as never);
      await server.close();
    }
  });
});
