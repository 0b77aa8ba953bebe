import { expect } from 'chai';
import { createAdminApp } from '../admin-api/app.ts';
import { startHarness, type Harness } from './harness.ts';

type Auth = { id: number; token: string; email: string; password: string };

describe('legacy admin API @integration', () => {
  let h: Harness;
  let op: Auth; let root: Auth;
  let shopA: number; let shopB: number; let cat: number;

  before(async () => {
    h = await startHarness('admin_api', createAdminApp);
    op = await h.fx.admin('operator');
    root = await h.fx.admin('superuser');
    shopA = await h.fx.shop({ name: '알파 샵', slug: 'alpha' });
    shopB = await h.fx.shop({ name: 'Beta', slug: 'beta', contract_status: 'pending', status: 'closed' });
    cat = await h.fx.category();
  });
  after(async () => { await h?.close(); });

  const get = (path: string) => h.call('GET', path, { token: op.token });

  describe('auth', () => {
    it('signs an admin in and returns token and admin', async () => {
      const r = await h.call('POST', '/admin/sessions', { body: { email: op.email, password: op.password } });
      expect(r.status).to.equal(200);
      expect(r.body.token).to.match(new RegExp(`^${op.id}\\.[A-Za-z0-9_-]{43}$`));
      expect(r.body.admin).to.include({ id: op.id, email: op.email, role: 'operator' });
      expect((await h.call('GET', '/admin/shops', { token: r.body.token })).status).to.equal(200);
    });

    it('401 for bad credentials, no token, or a shopper token; 403 for a merchant token; 400 for a bad body', async () => {
      expect((await h.call('POST', '/admin/sessions', { body: { email: op.email, password: 'wrong one' } })).status).to.equal(401);
      expect((await h.call('POST', '/admin/sessions', { body: { password: 'x' } })).status).to.equal(400);
      const none = await h.call('GET', '/admin/shops');
      expect(none.status).to.equal(401);
      expect(none.body.error.code).to.equal('UNAUTHENTICATED');
      const shopper = await h.fx.user();
      expect((await h.call('GET', '/admin/shops', { token: shopper.token })).status).to.equal(401);
      const merchant = await h.fx.merchant(shopA);
      const forbidden = await h.call('GET', '/admin/shops', { token: merchant.token });
      expect(forbidden.status).to.equal(403);
      expect(forbidden.body.error.code).to.equal('FORBIDDEN');
    });
  });

  describe('shops', () => {
    it('lists every shop with contract fields, filtered by contract status, status and q', async () => {
      const all = await get('/admin/shops');
      expect(all.body.items.map((s: { id: number }) => s.id)).to.deep.equal([shopA, shopB]);
      expect(all.body.items[1]).to.deep.include({ contractStatus: 'pending', status: 'closed', commissionRate: '10.00' });
      expect((await get('/admin/shops?contractStatus=pending')).body.items.map((s: { id: number }) => s.id)).to.deep.equal([shopB]);
      expect((await get('/admin/shops?status=open')).body.items.map((s: { id: number }) => s.id)).to.deep.equal([shopA]);
      expect((await get(`/admin/shops?q=${encodeURIComponent('알파')}`)).body.items.map((s: { id: number }) => s.id)).to.deep.equal([shopA]);
      expect((await get('/admin/shops?size=1&page=2')).body.page).to.deep.equal({ page: 2, size: 1, total: 2, hasNext: false });
      expect((await get('/admin/shops?contractStatus=gone')).status).to.equal(400);
    });

    it('creates a shop (201); duplicate slug 409; bad fields 400', async () => {
      const r = await h.call('POST', '/admin/shops', { token: op.token, body: { name: '감마 Gamma', slug: 'gamma', url: 'https://gamma.example', commissionRate: 12.5 } });
      expect(r.status).to.equal(201);
      expect(r.body).to.deep.include({ name: '감마 Gamma', slug: 'gamma', url: 'https://gamma.example', contractStatus: 'pending', status: 'open', commissionRate: '12.50', followerCount: 0 });
      const dup = await h.call('POST', '/admin/shops', { token: op.token, body: { name: 'x', slug: 'gamma' } });
      expect(dup.status).to.equal(409);
      const bad = await h.call('POST', '/admin/shops', { token: op.token, body: { name: '', slug: 'Not A Slug', commissionRate: '120', url: 'nope' } });
      expect(bad.status).to.equal(400);
      expect(bad.body.error.details.map((d: { field: string }) => d.field)).to.include.members(['body.name', 'body.slug', 'body.commissionRate', 'body.url']);
    });

    it('updates a shop including its contract status; 404, 409 and 400 as due', async () => {
      const r = await h.call('PATCH', `/admin/shops/${shopB}`, { token: op.token, body: { contractStatus: 'active', status: 'open', description: '설명 ✨' } });
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.include({ id: shopB, contractStatus: 'active', status: 'open', description: '설명 ✨' });
      expect((await h.call('PATCH', '/admin/shops/99999', { token: op.token, body: { status: 'open' } })).status).to.equal(404);
      expect((await h.call('PATCH', `/admin/shops/${shopB}`, { token: op.token, body: { slug: 'alpha' } })).status).to.equal(409);
      expect((await h.call('PATCH', `/admin/shops/${shopB}`, { token: op.token, body: {} })).status).to.equal(400);
      expect((await h.call('PATCH', `/admin/shops/${shopB}`, { token: op.token, body: { contractStatus: 'maybe' } })).status).to.equal(400);
    });
  });

  describe('bulk upload', () => {
    const item = (i: number, over: Record<string, unknown> = {}) => ({
      shopId: shopA, externalId: `crawl-${i}`, name: `크롤 상품 ${i}`, price: '1000.00', categoryId: cat, attributes: { i }, images: [`https://img.example/${i}.jpg`], ...over,
    });
    const bulk = (items: unknown[]) => h.call('POST', '/admin/products/bulk', { token: op.token, body: { items } });
    const byExt = (ext: string) => h.db.knex('products').where({ shop_id: shopA, external_id: ext }).first();

    it('creates, then leaves identical items unchanged (no version bump)', async () => {
      const r = await bulk([item(1), item(2), item(3)]);
      expect(r.status).to.equal(200);
      expect(r.body).to.include({ created: 3, updated: 0, unchanged: 0 });
      expect(r.body.items[0]).to.include({ index: 0, shopId: shopA, externalId: 'crawl-1', result: 'created' });
      const again = await bulk([item(1), item(2), item(3)]);
      expect(again.body).to.include({ created: 0, updated: 0, unchanged: 3 });
      const row = await byExt('crawl-1');
      expect(row.version).to.equal(1);
      expect(await h.db.knex('product_images').where({ product_id: row.id }).pluck('url')).to.deep.equal(['https://img.example/1.jpg']);
    });

    it('updates changed items only, bumping version and updated_at; an image-only change counts', async () => {
      const before = await byExt('crawl-2');
      const r = await bulk([item(1), item(2, { price: 1500 }), item(3, { images: ['https://img.example/3b.jpg', 'https://img.example/3c.jpg'] }), item(4)]);
      expect(r.body).to.include({ created: 1, updated: 2, unchanged: 1 });
      expect(r.body.items.map((i: { result: string }) => i.result)).to.deep.equal(['unchanged', 'updated', 'updated', 'created']);
      const after = await byExt('crawl-2');
      expect(after.price).to.equal('1500.00');
      expect(after.version).to.equal(2);
      expect(after.updated_at > before.updated_at).to.equal(true);
      const p3 = await byExt('crawl-3');
      expect(p3.version).to.equal(2);
      expect(await h.db.knex('product_images').where({ product_id: p3.id }).orderBy('position').pluck('url')).to.deep.equal(['https://img.example/3b.jpg', 'https://img.example/3c.jpg']);
    });

    it('detects a case-only name change and keeps a product an admin hid hidden', async () => {
      await h.db.knex('products').where({ shop_id: shopA, external_id: 'crawl-4' }).update({ status: 'hidden' });
      const r = await bulk([item(1, { name: '크롤 상품 1'.toUpperCase() + 'X' }), item(4, { status: 'active' })]);
      expect(r.body.items.map((i: { result: string }) => i.result)).to.deep.equal(['updated', 'unchanged']);
      expect((await byExt('crawl-4')).status).to.equal('hidden');
      const caseOnly = await bulk([item(5, { name: 'Shirt' })]);
      expect(caseOnly.body.created).to.equal(1);
      const r2 = await bulk([item(5, { name: 'SHIRT' })]);
      expect(r2.body.updated).to.equal(1);
    });

    it('validates every item and writes nothing when any is bad', async () => {
      const count = async () => Number((await h.db.knex('products').count({ n: '*' }).first())!.n);
      const n = await count();
      const r = await bulk([item(10), item(11, { price: -1 }), item(10), item(12, { shopId: 99999 }), item(13, { categoryId: 4242 }), item(14, { salePrice: '2000' }), { shopId: shopA }]);
      expect(r.status).to.equal(400);
      expect(r.body.error.code).to.equal('VALIDATION_FAILED');
      const fields = r.body.error.details.map((d: { field: string }) => d.field);
      expect(fields).to.include.members(['body.items.1.price', 'body.items.5.salePrice', 'body.items.6.externalId', 'body.items.6.name', 'body.items.6.price']);
      expect(await count()).to.equal(n);
      const refs = await bulk([item(10), item(10), item(12, { shopId: 99999 }), item(13, { categoryId: 4242 })]);
      expect(refs.status).to.equal(400);
      expect(refs.body.error.details.map((d: { field: string }) => d.field)).to.deep.equal(['body.items.1.externalId', 'body.items.2.shopId', 'body.items.3.categoryId']);
      expect(await count()).to.equal(n);
      expect((await bulk([])).status).to.equal(400);
      expect((await h.call('POST', '/admin/products/bulk', { token: op.token, body: { items: 'x' } })).status).to.equal(400);
    });

    it('takes 1,000 items (a body over 1 MB) in one call, refuses 1,001 and bodies over 5 MB', async () => {
      const many = Array.from({ length: 1000 }, (_, i) => item(1000 + i, { description: '설명 '.repeat(400) }));
      const started = Date.now();
      const r = await bulk(many);
      expect(r.status).to.equal(200);
      expect(r.body.created).to.equal(1000);
      expect(Date.now() - started).to.be.below(15_000);
      const tooMany = await bulk([...many, item(5000)]);
      expect(tooMany.status).to.equal(400);
      expect(tooMany.body.error.details[0].field).to.equal('body.items');
      const huge = await h.call('POST', '/admin/products/bulk', { token: op.token, raw: JSON.stringify({ items: [item(1, { description: 'x'.repeat(5_300_000) })] }) });
      expect(huge.status).to.equal(413);
    });

    it('needs an admin session', async () => {
      expect((await h.call('POST', '/admin/products/bulk', { body: { items: [item(1)] } })).status).to.equal(401);
    });
  });

  describe('product update, hide, delete', () => {
    let pid: number;
    before(async () => { pid = await h.fx.product(shopA, { name: '수정 대상', price: '5000.00' }); });

    it('reads any product by id (404 when missing)', async () => {
      const r = await get(`/admin/products/${pid}`);
      expect(r.status).to.equal(200);
      expect(r.body).to.include({ id: pid, version: 1, price: '5000.00' });
      expect((await get('/admin/products/123456789')).status).to.equal(404);
    });

    it('patches fields, bumps version and updated_at, replaces images', async () => {
      const before = await get(`/admin/products/${pid}`);
      const r = await h.call('PATCH', `/admin/products/${pid}`, { token: op.token, body: { name: '수정됨', salePrice: '4000', attributes: { fit: 'oversized' }, images: ['https://img.example/a.jpg'] } });
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.include({ name: '수정됨', salePrice: '4000.00', discountRate: '20.00', version: 2, attributes: { fit: 'oversized' }, images: [{ url: 'https://img.example/a.jpg', position: 0 }] });
      expect(r.body.updatedAt > before.body.updatedAt).to.equal(true);
    });

    it('refuses bad patches: 400 for bad fields, sale above price, unknown category; 404; 409 duplicate externalId', async () => {
      const p = (body: unknown, id = pid) => h.call('PATCH', `/admin/products/${id}`, { token: op.token, body });
      expect((await p({})).status).to.equal(400);
      expect((await p({ price: 'cheap' })).status).to.equal(400);
      expect((await p({ bogus: 1 })).status).to.equal(400);
      const sale = await p({ salePrice: '9999' });
      expect(sale.status).to.equal(400);
      expect(sale.body.error.details[0].field).to.equal('body.salePrice');
      const catErr = await p({ categoryId: 99999 });
      expect(catErr.status).to.equal(400);
      expect(catErr.body.error.details[0].field).to.equal('body.categoryId');
      expect((await p({ name: 'x' }, 99999)).status).to.equal(404);
      expect((await p({ externalId: 'crawl-1' })).status).to.equal(409);
    });

    it('hides a product (version bump), 404 when missing', async () => {
      const r = await h.call('POST', `/admin/products/${pid}/hide`, { token: op.token });
      expect(r.status).to.equal(200);
      expect(r.body).to.include({ status: 'hidden', version: 3 });
      expect((await h.call('POST', '/admin/products/99999/hide', { token: op.token })).status).to.equal(404);
    });

    it('deletes: 403 for an operator, 204 for a superuser, then 404', async () => {
      const forbidden = await h.call('DELETE', `/admin/products/${pid}`, { token: op.token });
      expect(forbidden.status).to.equal(403);
      expect((await h.call('DELETE', `/admin/products/${pid}`, { token: root.token })).status).to.equal(204);
      expect((await h.call('DELETE', `/admin/products/${pid}`, { token: root.token })).status).to.equal(404);
      expect(await h.db.knex('products').where({ id: pid }).first()).to.equal(undefined);
    });

    it('recorded every change in the outbox, in order, with the version each write produced', async () => {
      const events = await h.db.knex('event_outbox').where({ aggregate_id: pid }).orderBy('id').select('kind', 'version');
      expect(events.map((e: { kind: string; version: number }) => `${e.kind}@${e.version}`)).to.deep.equal(['updated@2', 'hidden@3', 'deleted@0']); // the fixture inserted the product directly
    });
  });

  describe('users, logs, daily stats', () => {
    let productId: number;
    before(async () => {
      await h.fx.user({ email: 'kim@example.com', name: '김철수' });
      await h.fx.user({ email: 'lee@example.com', name: 'Lee' });
      productId = await h.fx.product(shopA);
      await h.fx.log({ type: 'view', product_id: productId, shop_id: shopA, created_at: '2024-03-01 10:00:00.000001' });
      await h.fx.log({ type: 'view', product_id: productId, shop_id: shopA, created_at: '2024-03-01 23:59:59.999999' });
      await h.fx.log({ type: 'click', product_id: productId, shop_id: shopA, created_at: '2024-03-02 00:00:00.000000' });
      await h.fx.log({ type: 'search', query: '셔츠', created_at: '2024-03-03 12:00:00.000000' });
      await h.fx.log({ type: 'view', product_id: productId, shop_id: shopB, created_at: '2024-03-03 12:00:00.000000' });
      await h.db.knex('shop_daily_stats').insert({ shop_id: shopA, day: '2024-03-01', views: 2, clicks: 0, likes: 0, active_products: 7, computed_at: '2024-03-02 01:00:00.000000' });
    });

    it('lists users with paging and q over email and name', async () => {
      const r = await get('/admin/users?q=kim');
      expect(r.status).to.equal(200);
      expect(r.body.items.map((u: { email: string }) => u.email)).to.deep.equal(['kim@example.com']);
      expect(r.body.items[0]).to.have.keys(['id', 'email', 'name', 'gender', 'birthYear', 'createdAt']);
      expect((await get(`/admin/users?q=${encodeURIComponent('철수')}`)).body.page.total).to.equal(1);
      const paged = await get('/admin/users?size=1');
      expect(paged.body.page.hasNext).to.equal(true);
      expect((await get('/admin/users?size=abc')).status).to.equal(400);
    });

    it('queries logs by type, time range, product and shop, newest first', async () => {
      const views = await get('/admin/logs?type=view');
      expect(views.body.items.map((l: { createdAt: string }) => l.createdAt)).to.deep.equal(['2024-03-03T12:00:00.000000Z', '2024-03-01T23:59:59.999999Z', '2024-03-01T10:00:00.000001Z']);
      const day1 = await get('/admin/logs?from=2024-03-01&to=2024-03-02');
      expect(day1.body.page.total).to.equal(2);
      const micro = await get('/admin/logs?from=2024-03-01T10:00:00.000002Z&to=2024-03-02');
      expect(micro.body.page.total).to.equal(1);
      const byShop = await get(`/admin/logs?shopId=${shopA}&productId=${productId}`);
      expect(byShop.body.page.total).to.equal(3);
      const search = await get('/admin/logs?type=search');
      expect(search.body.items[0]).to.deep.include({ type: 'search', query: '셔츠', userId: null, productId: null, meta: null });
    });

    it('refuses bad log filters', async () => {
      for (const qs of ['type=buy', 'from=yesterday', 'from=2024-02-30', 'from=2024-03-02&to=2024-03-01', 'productId=0', 'from=2024-03-01T10:00:00+09:00']) {
        const r = await get(`/admin/logs?${qs}`);
        expect(r.status, qs).to.equal(400);
      }
    });

    it('gives daily totals from the log (every day, zeros filled) and the job\'s shop rows', async () => {
      const r = await get('/admin/stats/daily?from=2024-02-29&to=2024-03-03');
      expect(r.status).to.equal(200);
      expect(r.body.totals).to.deep.equal([
        { day: '2024-02-29', views: 0, clicks: 0, searches: 0, likes: 0 },
        { day: '2024-03-01', views: 2, clicks: 0, searches: 0, likes: 0 },
        { day: '2024-03-02', views: 0, clicks: 1, searches: 0, likes: 0 },
        { day: '2024-03-03', views: 1, clicks: 0, searches: 1, likes: 0 },
      ]);
      expect(r.body.shops).to.deep.equal([{ day: '2024-03-01', shopId: shopA, views: 2, clicks: 0, likes: 0, activeProducts: 7, computedAt: '2024-03-02T01:00:00.000000Z' }]);
      const one = await get(`/admin/stats/daily?from=2024-03-03&to=2024-03-03&shopId=${shopB}`);
      expect(one.body).to.deep.equal({ from: '2024-03-03', to: '2024-03-03', shopId: shopB, totals: [{ day: '2024-03-03', views: 1, clicks: 0, searches: 0, likes: 0 }], shops: [] });
    });

    it('refuses missing, reversed or too long ranges', async () => {
      expect((await get('/admin/stats/daily')).status).to.equal(400);
      expect((await get('/admin/stats/daily?from=2024-03-03&to=2024-03-01')).status).to.equal(400);
      expect((await get('/admin/stats/daily?from=2022-01-01&to=2024-01-01')).status).to.equal(400);
      expect((await h.call('GET', '/admin/stats/daily?from=2024-03-01&to=2024-03-02')).status).to.equal(401);
    });
  });
});
