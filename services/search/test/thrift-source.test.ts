import { expect } from 'chai';
import { AppError } from '../../../lib/errors.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import type { ShopRow } from '../../../legacy/contract/rows.ts';
import { createLiveDb } from '../../kit/live-db.ts';
import { createProductHandler } from '../../product/handler.ts';
import { ProductRepository } from '../../product/repository.ts';
import { MysqlFulltextBackend } from '../backends/mysql-fulltext.ts';
import { ReindexRunStore } from '../repository.ts';
import { runReindex } from '../reindex.ts';
import { KnexProductSource } from '../source.ts';
import { ThriftProductSource, type ProductApi } from '../thrift-source.ts';
import { seedShops } from './seed.ts';

/**
 * The Thrift adapter against the product service's real handler, called
 * in-process (the same object the Thrift server wraps): documents must equal
 * what the direct-table source builds, and a full reindex must work through it.
 */
describe('search: product source over the product service API @integration', function () {
  let legacy: TestDatabase;
  let search: TestDatabase;
  let api: ProductApi;

  before(async () => {
    [legacy, search] = await Promise.all([createTestDatabase('ts_legacy', ['legacy']), createTestDatabase('ts_search', ['search'])]);
    const shops = await seedShops(legacy.knex, 2);
    await legacy.knex('categories').insert({ id: 7, name: '니트', slug: 'knit' });
    for (let i = 1; i <= 30; i++) {
      await legacy.knex('products').insert({ id: i * 3, shop_id: shops[i % 2], category_id: i % 3 ? 7 : null, external_id: `e${i}`, name: `울 니트 ${i}`,
        price: '29000.00', sale_price: i % 4 ? null : '19000.00', status: i % 5 ? 'active' : 'hidden', attributes: JSON.stringify({ color: '아이보리' }) });
    }
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
    api = {
      getMany: handler.getMany as unknown as ProductApi['getMany'],
      listProducts: handler.listProducts as unknown as ProductApi['listProducts'],
      // the product handler has no listCategories yet: the source indexes without category names
      listCategories: async () => { throw new AppError('NOT_IMPLEMENTED', 'product.listCategories is not implemented'); },
    };
  });
  after(async () => {
    await Promise.all([legacy?.drop(), search?.drop()]);
  });

  it('builds the same documents as the table source (category names aside), hidden products included', async () => {
    const viaThrift = await new ThriftProductSource(api).getMany([3, 15, 12, 999]);
    const direct = await new KnexProductSource(legacy.knex).getMany([3, 15, 12]);
    const norm = (d: { id: number }[]) => [...d].sort((a, b) => a.id - b.id).map((x) => ({ ...x, categoryName: null }));
    expect(norm(viaThrift)).to.deep.equal(norm(direct));
    expect(viaThrift.find((d) => d.id === 3)).to.include({ imageUrl: 'https://img/3a.jpg', keywords: '아이보리', shopName: '상점2' });
    expect(viaThrift.find((d) => d.id === 15)?.status).to.equal('hidden');
  });

  it('drives a full reindex through listAfter (id windows up to the newest product)', async () => {
    const backend = new MysqlFulltextBackend(search.knex);
    const r = await runReindex({ backend, source: new ThriftProductSource(api), runs: new ReindexRunStore(search.knex), batchSize: 7 });
    expect(r).to.include({ status: 'done', processed: 30 });
    expect(await backend.count()).to.equal(30);
    expect((await backend.search({ q: '울 니트', filters: {}, sort: 'relevance', offset: 0, limit: 50 })).total).to.equal(24);
  });
});
