import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { seedFixture } from '../../../test/parity/fixture.ts';
import { startServiceStack, type ServiceStack } from '../../../test/parity/stack.ts';
import { MemorySearchIndex } from '../../shop/close-shop.ts';

/** The ownership registry decides which database a service reads; a flip takes effect without a restart. */
describe('services: database follows the ownership registry @integration', function () {
  this.timeout(30_000);
  let legacy: TestDatabase;
  let own: TestDatabase;
  let stack: ServiceStack;

  before(async () => {
    [legacy, own] = await Promise.all([createTestDatabase('own_legacy'), createTestDatabase('own_product', ['product'])]);
    await seedFixture(legacy.knex);
    // The "copied" product database differs on purpose, so we can tell which one answered.
    await own.knex('categories').insert({ id: 1, name: '아우터', slug: 'outer' });
    await own.knex('products').insert({ id: 1, shop_id: 1, category_id: 1, external_id: 'x-1', name: 'served from product_svc', price: '1000.00', status: 'active',
      created_at: '2024-02-01 00:00:00.000000', updated_at: '2024-02-01 00:00:00.000000' });
    stack = await startServiceStack({ legacyDsn: legacy.dsn, ownDsns: { product: own.dsn }, search: new MemorySearchIndex() });
  });
  after(async () => {
    await stack?.close();
    await Promise.all([legacy?.drop(), own?.drop()]);
  });

  const nameOf1 = async () => ((await (await fetch(`${stack.product.httpUrl}/api/products/1`)).json()) as { name: string }).name;

  it('reads the legacy database while the registry says legacy, its own after the flip, and back after a rollback', async () => {
    expect(await nameOf1()).to.not.equal('served from product_svc');
    await stack.registry.set('product', { database: 'own' }, { actor: 'test', reason: 'cutover' });
    expect(await nameOf1()).to.equal('served from product_svc');
    // the listing's shop names still come from the shop service (which still reads legacy)
    const list = (await (await fetch(`${stack.product.httpUrl}/api/products`)).json()) as { items: { shop: { name: string } }[]; page: { total: number } };
    expect(list.page.total).to.equal(1);
    expect(list.items[0].shop.name).to.equal('스타일난다');
    await stack.registry.set('product', { database: 'legacy' }, { actor: 'test', reason: 'rollback' });
    expect(await nameOf1()).to.not.equal('served from product_svc');
  });
});

describe('product service Thrift handler @integration', function () {
  this.timeout(30_000);
  let legacy: TestDatabase;
  let stack: ServiceStack;
  before(async () => {
    legacy = await createTestDatabase('prod_handler');
    await seedFixture(legacy.knex);
    stack = await startServiceStack({ legacyDsn: legacy.dsn, search: new MemorySearchIndex() });
  });
  after(async () => {
    await stack?.close();
    await legacy?.drop();
  });

  it('lists categories (search indexes their names) and a shop catalogue in every status', async () => {
    const h = (stack.product as unknown as { handler: Record<string, (...a: unknown[]) => Promise<unknown>> }).handler;
    expect(await h.listCategories({})).to.deep.equal([
      { id: 1, parentId: undefined, name: '아우터', slug: 'outer' }, { id: 2, parentId: undefined, name: '상의', slug: 'tops' }, { id: 3, parentId: 2, name: '블라우스', slug: 'blouse' }]);
    const all = await h.listProducts({}, { filter: { shopId: '1', statuses: ['active', 'hidden', 'sold_out'] }, page: { limit: 100 } }) as { items: { status: string }[]; page: { total: number } };
    expect(all.page.total).to.equal(10);
    expect(new Set(all.items.map((p) => p.status))).to.deep.equal(new Set(['active', 'hidden']));
    let refused = '';
    try {
      await h.listProducts({}, { filter: { statuses: ['hidden'] } });
    } catch (err) {
      refused = (err as { code: string }).code;
    }
    expect(refused).to.equal('VALIDATION_FAILED');
  });
});
