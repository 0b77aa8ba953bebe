import { expect } from 'chai';
import { MemoryOwnershipRegistry } from '../../../lib/ownership/index.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { closeServiceClients, createServiceClients, type ServiceClients } from '../../../rpc/index.ts';
import { seedFixture } from '../../../test/parity/fixture.ts';
import { startServiceStack, type ServiceStack } from '../../../test/parity/stack.ts';
import { MemorySearchIndex } from '../../shop/close-shop.ts';

async function errorOf(p: Promise<unknown>): Promise<{ code?: string; details?: unknown; message?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; details?: unknown };
  }
  throw new Error('expected the call to fail');
}

/** The crawler upload over Thrift: bulkUpsert (one shop, per-item outcomes) and bulkUpsertItems (legacy's all-or-nothing). */
describe('product service bulk calls over Thrift @integration', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let stack: ServiceStack;
  let clients: Pick<ServiceClients, 'product'>;
  const product = () => clients.product;
  const item = (externalId: string, over: Record<string, unknown> = {}) => ({ shopId: '1', externalId, name: `크롤 ${externalId}`, price: '1000', ...over });

  before(async () => {
    db = await createTestDatabase('bulk_calls');
    await seedFixture(db.knex);
    stack = await startServiceStack({ legacyDsn: db.dsn, registry: new MemoryOwnershipRegistry(), search: new MemorySearchIndex() });
    clients = createServiceClients({ product: { port: stack.product.thriftPort } });
  });
  after(async () => {
    if (clients) await closeServiceClients(clients);
    await stack?.close();
    await db?.drop();
  });

  it('bulkUpsert: bad items come back failed with their error, the others are written in request order', async () => {
    const res = await product().bulkUpsert({}, '1', [
      item('b-1', { imageUrls: ['https://img.example/b1.jpg'], attributesJson: '{"색":"검정"}' }),
      item('b-2', { categoryId: 777 }),
      item('b-3', { price: '-5' }),
      item('b-1'),
      item('b-4', { attributesJson: 'not json' }),
      item('ext-1-3', { shopId: '2' }), // the call's shop wins over the item's
      item('b-5', { salePrice: '2000' }),
    ] as never);
    expect(res.items.map((i) => i.outcome)).to.deep.equal(['created', 'failed', 'failed', 'failed', 'failed', 'updated', 'failed']);
    expect([res.created, res.updated, res.unchanged, res.failed]).to.deep.equal([1, 1, 0, 5]);
    expect(res.items.map((i) => i.errorMessage ?? null)).to.deep.equal([
      null, 'items.1.categoryId: unknown category 777', `items.2.price: ${res.items[2]!.errorMessage!.split(': ')[1]}`,
      'items.3.externalId: duplicates items.0 (same shopId and externalId)', res.items[4]!.errorMessage, null, 'items.6.salePrice: must not exceed price']);
    expect(res.items[4]!.errorMessage).to.match(/^items\.4\.attributes: /);
    const written = await db.knex('products').where({ shop_id: 1, external_id: 'b-1' }).first('id', 'attributes');
    expect(String(written.id)).to.equal(res.items[0]!.id);
    expect(typeof written.attributes === 'string' ? JSON.parse(written.attributes) : written.attributes).to.deep.equal({ 색: '검정' });
    expect(await db.knex('products').where({ shop_id: 1 }).whereIn('external_id', ['b-2', 'b-3', 'b-4', 'b-5']).count({ n: '*' })).to.deep.equal([{ n: 0 }]);
  });

  it('bulkUpsert: an unknown shop fails every item; a bad shop id or an empty or oversized list is refused', async () => {
    const res = await product().bulkUpsert({}, '99', [item('u-1'), item('u-2')] as never);
    expect(res.items.map((i) => [i.outcome, i.errorMessage])).to.deep.equal([['failed', 'items.0.shopId: unknown shop 99'], ['failed', 'items.1.shopId: unknown shop 99']]);
    expect((await errorOf(product().bulkUpsert({}, 'x', [item('u-1')] as never))).code).to.equal('VALIDATION_FAILED');
    expect((await errorOf(product().bulkUpsert({}, '1', []))).code).to.equal('VALIDATION_FAILED');
    expect((await errorOf(product().bulkUpsert({}, '1', Array.from({ length: 1001 }, (_, i) => item(`o-${i}`)) as never))).code).to.equal('VALIDATION_FAILED');
  });

  it('bulkUpsertItems: all or nothing across shops, field errors named items.<i>.<field>', async () => {
    const before = await db.knex('products').count({ n: '*' });
    const refused = await errorOf(product().bulkUpsertItems({}, [item('a-1'), item('a-2', { shopId: '99' }), item('a-3', { shopId: '2', categoryId: 777 }), item('a-1')] as never));
    expect(refused.code).to.equal('VALIDATION_FAILED');
    expect(refused.details).to.deep.equal([
      { field: 'items.3.externalId', message: 'duplicates items.0 (same shopId and externalId)' },
      { field: 'items.1.shopId', message: 'unknown shop 99' },
      { field: 'items.2.categoryId', message: 'unknown category 777' },
    ]);
    const schema = await errorOf(product().bulkUpsertItems({}, [item('a-1', { price: 'free' })] as never));
    expect((schema.details as { field: string }[])[0]!.field).to.equal('items.0.price');
    expect(await db.knex('products').count({ n: '*' })).to.deep.equal(before);

    const ok = await product().bulkUpsertItems({}, [item('a-1'), item('ext-2-1', { shopId: '2', name: 'Linen Shirt 1 (crawled)' }), item('a-2', { shopId: '2' })] as never);
    expect(ok.items.map((i) => i.outcome)).to.deep.equal(['created', 'updated', 'created']);
    const ids = ok.items.map((i) => Number(i.id));
    expect(ids[2]).to.equal(ids[0]! + 1); // one INSERT: new products numbered in request order, as legacy's
  });
});
