import { expect } from 'chai';
import { silentLogger } from '../../../lib/logger.ts';
import { MemoryOwnershipRegistry } from '../../../lib/ownership/index.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { seedFixture, FIXTURE_MERCHANTS, FIXTURE_PASSWORDS } from '../../../test/parity/fixture.ts';
import { startServiceStack, type ServiceStack } from '../../../test/parity/stack.ts';
import { MemorySearchIndex } from '../../../services/shop/close-shop.ts';
import { startUserApi } from '../../user-api/index.ts';
import { startMerchantApi } from '../../merchant-api/index.ts';
import type { RunningApi } from '../../http/server.ts';
import type { SeamConfig } from '../index.ts';
import { attachSeam, detachSeam, viaService, type SeamApis } from '../context.ts';

describe('legacy seam: owner decides knex or Thrift', () => {
  it('uses knex without a seam, or while legacy owns the domain', async () => {
    const registry = new MemoryOwnershipRegistry();
    const knexLike = (() => {}) as never;
    expect(viaService(knexLike, 'product')).to.equal(undefined);
    const apis = {} as SeamApis;
    attachSeam(knexLike, { registry, apis });
    expect(viaService(knexLike, 'product')).to.equal(undefined);
    await registry.set('product', { owner: 'service' }, { actor: 't', reason: 'r' });
    expect(viaService(knexLike, 'product')).to.equal(apis);
    expect(viaService(knexLike, 'shop')).to.equal(undefined);
    detachSeam(knexLike);
    expect(viaService(knexLike, 'product')).to.equal(undefined);
  });
});

/** Legacy APIs with the seam attached, the services beside them, one shared (in-memory) ownership registry. */
describe('legacy seam: flipping ownership switches legacy to the services without a restart @integration', function () {
  this.timeout(30_000);
  let legacyDb: TestDatabase;
  let productDb: TestDatabase;
  let stack: ServiceStack;
  let userApi: RunningApi;
  let merchantApi: RunningApi;
  const registry = new MemoryOwnershipRegistry();
  const READS = ['/api/products', '/api/products?sort=price_asc&size=4&page=2', '/api/products?shopId=2&sort=popularity', '/api/products/1', '/api/products/5',
    '/api/products/3', '/api/products/999', '/api/shops', '/api/shops/1', '/api/shops/4',
    '/api/search?q=Linen', '/api/search?q=%EB%8B%88%ED%8A%B8&size=2&page=2', '/api/search?q=100%25', '/api/search?q=nothing-matches'];

  before(async () => {
    [legacyDb, productDb] = await Promise.all([createTestDatabase('seam_legacy'), createTestDatabase('seam_product', ['product'])]);
    await seedFixture(legacyDb.knex);
    await productDb.knex('products').insert({ id: 1, shop_id: 1, external_id: 'x-1', name: 'served from product_svc', price: '1000.00', status: 'active',
      created_at: '2024-02-01 00:00:00.000000', updated_at: '2024-02-01 00:00:00.000000' });
    stack = await startServiceStack({ legacyDsn: legacyDb.dsn, ownDsns: { product: productDb.dsn }, registry, search: new MemorySearchIndex() });
    const seam: SeamConfig = {
      mode: 'registry', callTimeoutMs: 2000,
      endpoints: { product: { host: '127.0.0.1', port: stack.product.thriftPort }, shop: { host: '127.0.0.1', port: stack.shop.thriftPort }, user: { host: '127.0.0.1', port: stack.user.thriftPort } },
    };
    const cfg = { port: 0, host: '127.0.0.1', mysqlUrl: legacyDb.dsn };
    userApi = await startUserApi(cfg, { logger: silentLogger(), knex: legacyDb.knex, seam, registry });
    merchantApi = await startMerchantApi(cfg, { logger: silentLogger(), knex: legacyDb.knex, seam, registry });
  });
  after(async () => {
    await userApi?.close();
    await merchantApi?.close();
    await stack?.close();
    await Promise.all([legacyDb?.drop(), productDb?.drop()]);
  });

  const get = async (api: RunningApi, path: string, token?: string) => {
    const headers: Record<string, string> = { 'x-request-id': `seam-${path.replace(/[^A-Za-z0-9]/g, '.')}` };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(api.url + path, { headers });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };

  it('answers identically through Thrift (services on the same data) as through knex', async () => {
    const direct = await Promise.all(READS.map((p) => get(userApi, p)));
    await registry.set('product', { owner: 'service' }, { actor: 'test', reason: 'cut over products' });
    await registry.set('shop', { owner: 'service' }, { actor: 'test', reason: 'cut over shops' });
    const viaThrift = await Promise.all(READS.map((p) => get(userApi, p)));
    for (const [i, p] of READS.entries()) expect({ path: p, ...viaThrift[i] }).to.deep.equal({ path: p, ...direct[i] });
  });

  it('after the split (service on its own DB) legacy shows the service\'s data; a rollback of ownership switches back', async () => {
    await registry.set('product', { owner: 'service', database: 'own' }, { actor: 'test', reason: 'split' });
    expect((await get(userApi, '/api/products/1')).body.name).to.equal('served from product_svc');
    expect(((await get(userApi, '/api/products')).body.page as { total: number }).total).to.equal(1);
    const found = (await get(userApi, '/api/search?q=product_svc')).body as { items: { name: string }[]; page: { total: number } };
    expect([found.page.total, found.items[0]?.name]).to.deep.equal([1, 'served from product_svc']);
    await registry.set('product', { owner: 'legacy', database: 'legacy' }, { actor: 'test', reason: 'rollback' });
    expect((await get(userApi, '/api/products/1')).body.name).to.not.equal('served from product_svc');
  });

  it('the merchant API reaches the merchant (shop service) and its products (product service) through the seam', async () => {
    const login = await fetch(`${merchantApi.url}/merchant/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: FIXTURE_MERCHANTS[0], password: FIXTURE_PASSWORDS.merchant }) });
    const { token } = await login.json() as { token: string };
    await registry.set('product', { owner: 'legacy', database: 'legacy' }, { actor: 'test', reason: 'baseline' });
    await registry.set('shop', { owner: 'legacy' }, { actor: 'test', reason: 'baseline' });
    const direct = await Promise.all(['/merchant/products?size=50', '/merchant/products/3', '/merchant/shop'].map((p) => get(merchantApi, p, token)));
    await registry.set('product', { owner: 'service' }, { actor: 'test', reason: 'cut over' });
    await registry.set('shop', { owner: 'service' }, { actor: 'test', reason: 'cut over' });
    const seamed = await Promise.all(['/merchant/products?size=50', '/merchant/products/3', '/merchant/shop'].map((p) => get(merchantApi, p, token)));
    expect(seamed).to.deep.equal(direct);
    expect(direct[0].status).to.equal(200);
  });

  it('merchant stats: the SQL join while legacy owns products and users, assembled from the owners once either moved — the same answer', async () => {
    const login = await fetch(`${merchantApi.url}/merchant/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: FIXTURE_MERCHANTS[0], password: FIXTURE_PASSWORDS.merchant }) });
    const { token } = await login.json() as { token: string };
    const paths = ['/merchant/stats?from=2024-03-01&to=2024-03-31', '/merchant/stats?from=2024-03-01&to=2024-03-31&size=2&page=2',
      '/merchant/stats?from=2024-01-01&to=2024-12-31&size=100', '/merchant/stats?from=2024-03-08&to=2024-03-08', '/merchant/stats?from=2024-03-06&to=2024-03-01'];
    const owners = async (product: 'legacy' | 'service', user: 'legacy' | 'service') => {
      await registry.set('product', { owner: product, database: 'legacy' }, { actor: 'test', reason: 'stats' });
      await registry.set('user', { owner: user }, { actor: 'test', reason: 'stats' });
      return Promise.all(paths.map((p) => get(merchantApi, p, token)));
    };
    await registry.set('shop', { owner: 'legacy' }, { actor: 'test', reason: 'baseline' });
    const join = await owners('legacy', 'legacy');
    expect(join[0].status).to.equal(200);
    expect(join[0].body.totals).to.deep.equal({ views: 6, clicks: 2, likes: 3 });
    expect(join[4].status).to.equal(400);
    expect(await owners('service', 'legacy'), 'products from the product service, likes from legacy').to.deep.equal(join);
    expect(await owners('legacy', 'service'), 'likes from the user service').to.deep.equal(join);
    expect(await owners('service', 'service'), 'both from the services').to.deep.equal(join);
    // split: product_svc holds only product 1, in shop 1 there (shop 2 in the old copy), so the report lists it alone with
    // its two March likes (user service) — never the old copies; the shop's log rows still count in the totals
    await registry.set('product', { owner: 'service', database: 'own' }, { actor: 'test', reason: 'split' });
    const split = await get(merchantApi, paths[0], token);
    expect((split.body.items as { name: string }[]).map((i) => i.name)).to.deep.equal(['served from product_svc']);
    expect(split.body.totals).to.deep.equal({ views: 6, clicks: 2, likes: 2 });
    await registry.set('product', { owner: 'legacy', database: 'legacy' }, { actor: 'test', reason: 'rollback' });
    await registry.set('user', { owner: 'legacy' }, { actor: 'test', reason: 'rollback' });
  });

  it('while users stay in legacy, likes and bookmarks lists hydrate moved products and shops from their services, never the old copies', async () => {
    const login = await fetch(`${userApi.url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'mina@example.com', password: FIXTURE_PASSWORDS.user }) });
    const { token } = await login.json() as { token: string };
    const lists = () => Promise.all(['/api/me/likes', '/api/me/likes?size=1&page=2', '/api/me/bookmarks'].map((p) => get(userApi, p, token)));
    await registry.set('product', { owner: 'legacy', database: 'legacy' }, { actor: 'test', reason: 'baseline' });
    await registry.set('shop', { owner: 'legacy' }, { actor: 'test', reason: 'baseline' });
    const direct = await lists();
    expect((direct[0].body.page as { total: number }).total).to.equal(3);
    await registry.set('product', { owner: 'service' }, { actor: 'test', reason: 'cut over' });
    await registry.set('shop', { owner: 'service' }, { actor: 'test', reason: 'cut over' });
    expect(await lists()).to.deep.equal(direct);
    // products split into product_svc, which holds only product 1: legacy's join would still list the old rows
    await registry.set('product', { owner: 'service', database: 'own' }, { actor: 'test', reason: 'split' });
    const likes = await get(userApi, '/api/me/likes', token);
    expect((likes.body.items as { product: { name: string } }[]).map((i) => i.product.name)).to.deep.equal(['served from product_svc']);
    expect((likes.body.page as { total: number }).total).to.equal(1);
    await registry.set('product', { owner: 'legacy', database: 'legacy' }, { actor: 'test', reason: 'rollback' });
  });

  it('while users stay in legacy, likes write the mark here and move like_count through the product service, never the old copy', async () => {
    const login = await fetch(`${userApi.url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'sora@example.com', password: FIXTURE_PASSWORDS.user }) });
    const { token } = await login.json() as { token: string };
    const call = (method: string, path: string, body?: unknown) => fetch(userApi.url + path, { method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    await registry.set('product', { owner: 'service', database: 'own' }, { actor: 'test', reason: 'split' });
    const legacyBefore = await legacyDb.knex('products').where({ id: 1 }).first('like_count');
    const own = async () => Number((await productDb.knex('products').where({ id: 1 }).first('like_count')).like_count);
    const start = await own();
    expect((await call('POST', '/api/me/likes', { productId: 1 })).status).to.equal(201);
    expect((await call('POST', '/api/me/likes', { productId: 1 })).status).to.equal(200);
    expect(await own()).to.equal(start + 1);
    expect(await legacyDb.knex('likes').where({ user_id: 3, product_id: 1 }).first('id')).to.not.equal(undefined);
    expect((await call('POST', '/api/me/likes', { productId: 2 })).status).to.equal(404); // not in product_svc
    expect((await call('DELETE', '/api/me/likes/1')).status).to.equal(204);
    expect(await own()).to.equal(start);
    expect(await legacyDb.knex('likes').where({ user_id: 3 }).first('id')).to.equal(undefined);
    expect(await legacyDb.knex('products').where({ id: 1 }).first('like_count')).to.deep.equal(legacyBefore);
    await registry.set('product', { owner: 'legacy', database: 'legacy' }, { actor: 'test', reason: 'rollback' });
  });
});
