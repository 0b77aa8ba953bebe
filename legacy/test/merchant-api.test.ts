import { expect } from 'chai';
import { createMerchantApp } from '../merchant-api/app.ts';
import { startHarness, type Harness } from './harness.ts';
import { newLikesByProduct, shopStatsProducts } from '../models/stats.ts';
import { merchantStats } from '../seam/stats.ts';
import { LegacyViewCounts } from '../../services/common/legacy-owned.ts';
import { gatherMerchantStats, type MerchantStatsSources } from '../../rpc/merchant-stats.ts';

type Auth = { id: number; token: string; email: string; password: string };

describe('legacy merchant API @integration', () => {
  let h: Harness;
  let shop: number; let otherShop: number;
  let me: Auth; let other: Auth;
  let mine1: number; let mine2: number; let theirs: number;
  const clock = () => new Date('2024-03-10T12:00:00Z');

  before(async () => {
    h = await startHarness('merchant_api', createMerchantApp, clock);
    shop = await h.fx.shop({ name: '내 가게', slug: 'mine', commission_rate: '8.50' });
    otherShop = await h.fx.shop({ name: 'Other', slug: 'other' });
    me = await h.fx.merchant(shop);
    other = await h.fx.merchant(otherShop);
    mine1 = await h.fx.product(shop, { name: '니트 🧶', price: '30000.00', created_at: '2024-03-01 00:00:00.000000' });
    mine2 = await h.fx.product(shop, { name: '코트', price: '120000.00', status: 'hidden', created_at: '2024-03-02 00:00:00.000000' });
    theirs = await h.fx.product(otherShop, { name: 'Their coat' });
  });
  after(async () => { await h?.close(); });

  const as = (method: string, path: string, body?: unknown) => h.call(method, path, { token: me.token, body });

  describe('auth', () => {
    it('signs a merchant in: token and merchant with its shop id', async () => {
      const r = await h.call('POST', '/merchant/sessions', { body: { email: me.email, password: me.password } });
      expect(r.status).to.equal(200);
      expect(r.body.token).to.match(new RegExp(`^${me.id}\\.[A-Za-z0-9_-]{43}$`));
      expect(r.body.merchant).to.include({ id: me.id, shopId: shop, email: me.email });
    });

    it('401 for bad credentials, no token, an expired session or a shopper token; 403 for an admin token', async () => {
      expect((await h.call('POST', '/merchant/sessions', { body: { email: me.email, password: 'bad bad bad' } })).status).to.equal(401);
      expect((await h.call('POST', '/merchant/sessions', { body: {} })).status).to.equal(400);
      expect((await h.call('GET', '/merchant/shop')).status).to.equal(401);
      const shopper = await h.fx.user();
      expect((await h.call('GET', '/merchant/shop', { token: shopper.token })).status).to.equal(401);
      const admin = await h.fx.admin();
      expect((await h.call('GET', '/merchant/shop', { token: admin.token })).status).to.equal(403);
      const stale = await h.fx.merchant(shop);
      await h.db.knex('staff_sessions').where({ subject_id: stale.id, kind: 'merchant' }).update({ expires_at: '2024-03-10 11:59:59.999999' });
      expect((await h.call('GET', '/merchant/shop', { token: stale.token })).status).to.equal(401);
    });
  });

  describe('shop', () => {
    it('shows the merchant\'s own shop with contract fields', async () => {
      const r = await as('GET', '/merchant/shop');
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.include({ id: shop, name: '내 가게', slug: 'mine', contractStatus: 'active', commissionRate: '8.50' });
    });

    it('updates storefront fields; contract fields and slug are refused with 400', async () => {
      const r = await as('PATCH', '/merchant/shop', { description: '따뜻한 옷 🧣', status: 'closed' });
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.include({ description: '따뜻한 옷 🧣', status: 'closed' });
      for (const body of [{ contractStatus: 'active' }, { commissionRate: '1.00' }, { slug: 'x' }, {}, { status: 'maybe' }]) {
        const bad = await as('PATCH', '/merchant/shop', body);
        expect(bad.status, JSON.stringify(body)).to.equal(400);
      }
      expect((await h.db.knex('shops').where({ id: shop }).first('contract_status')).contract_status).to.equal('active');
    });
  });

  describe('products', () => {
    it('lists only its own products, any status, with status and q filters', async () => {
      const r = await as('GET', '/merchant/products');
      expect(r.status).to.equal(200);
      expect(r.body.items.map((p: { id: number }) => p.id)).to.deep.equal([mine2, mine1]);
      expect(r.body.items[0]).to.include({ status: 'hidden' });
      expect(r.body.items[0].shop).to.deep.equal({ id: shop, name: '내 가게' });
      expect((await as('GET', '/merchant/products?status=active')).body.items.map((p: { id: number }) => p.id)).to.deep.equal([mine1]);
      expect((await as('GET', `/merchant/products?q=${encodeURIComponent('니트')}`)).body.page.total).to.equal(1);
      expect((await as('GET', '/merchant/products?status=deleted')).status).to.equal(400);
    });

    it('creates a product in its own shop (201); duplicate externalId 409; bad input 400', async () => {
      const r = await as('POST', '/merchant/products', { externalId: 'm-1', name: '새 상품', price: 19900, salePrice: '9950.00', attributes: { season: 'FW' }, images: ['https://img.example/m1.jpg'] });
      expect(r.status).to.equal(201);
      expect(r.body).to.deep.include({ shopId: shop, externalId: 'm-1', price: '19900.00', salePrice: '9950.00', discountRate: '50.00', status: 'active', version: 1, currency: 'KRW', attributes: { season: 'FW' } });
      expect(r.body.images).to.deep.equal([{ url: 'https://img.example/m1.jpg', position: 0 }]);
      expect((await as('POST', '/merchant/products', { externalId: 'm-1', name: 'again', price: 1 })).status).to.equal(409);
      const bad = await as('POST', '/merchant/products', { externalId: '', name: 'x', price: '1.999', currency: 'won', shopId: otherShop });
      expect(bad.status).to.equal(400);
      expect(bad.body.error.details.map((d: { field: string }) => d.field)).to.include.members(['body.externalId', 'body.price', 'body.currency']);
      const sale = await as('POST', '/merchant/products', { externalId: 'm-2', name: 'x', price: '10', salePrice: '11' });
      expect(sale.status).to.equal(400);
      expect(sale.body.error.details[0].field).to.equal('body.salePrice');
    });

    it('reads and updates only its own products; another shop\'s product is 404 and untouched', async () => {
      expect((await as('GET', `/merchant/products/${mine1}`)).status).to.equal(200);
      expect((await as('GET', `/merchant/products/${theirs}`)).status).to.equal(404);
      const r = await as('PATCH', `/merchant/products/${mine1}`, { price: '31000', status: 'sold_out' });
      expect(r.status).to.equal(200);
      expect(r.body).to.include({ price: '31000.00', status: 'sold_out', version: 2 });
      const theirsBefore = await h.db.knex('products').where({ id: theirs }).first('name', 'version');
      const denied = await as('PATCH', `/merchant/products/${theirs}`, { name: 'hacked' });
      expect(denied.status).to.equal(404);
      expect(await h.db.knex('products').where({ id: theirs }).first('name', 'version')).to.deep.equal(theirsBefore);
      expect((await as('PATCH', `/merchant/products/${mine1}`, {})).status).to.equal(400);
      expect((await as('PATCH', '/merchant/products/nope', { name: 'x' })).status).to.equal(400);
      expect((await h.call('PATCH', `/merchant/products/${theirs}`, { token: other.token, body: { name: '그쪽 코트' } })).status).to.equal(200);
    });
  });

  describe('stats', () => {
    before(async () => {
      const u1 = await h.fx.user(); const u2 = await h.fx.user();
      for (const at of ['2024-03-05 10:00:00.000000', '2024-03-06 10:00:00.000000', '2024-03-09 23:59:59.999999']) {
        await h.fx.log({ type: 'view', product_id: mine1, shop_id: shop, created_at: at });
      }
      await h.fx.log({ type: 'click', product_id: mine1, shop_id: shop, created_at: '2024-03-06 11:00:00.000000' });
      await h.fx.log({ type: 'view', product_id: mine2, shop_id: shop, created_at: '2024-03-07 10:00:00.000000' });
      await h.fx.log({ type: 'view', product_id: mine1, shop_id: shop, created_at: '2023-01-01 00:00:00.000000' });
      await h.fx.log({ type: 'view', product_id: theirs, shop_id: otherShop, created_at: '2024-03-07 10:00:00.000000' });
      await h.db.knex('likes').insert([
        { user_id: u1.id, product_id: mine2, created_at: '2024-03-08 00:00:00.000000' },
        { user_id: u2.id, product_id: mine2, created_at: '2024-03-08 00:00:01.000000' },
        { user_id: u1.id, product_id: theirs, created_at: '2024-03-08 00:00:00.000000' },
      ]);
      await h.db.knex('products').where({ id: mine2 }).update({ like_count: 2 });
    });

    it('reports views, clicks and likes per own product over the default 30 days ending today', async () => {
      const r = await as('GET', '/merchant/stats');
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.include({ shopId: shop, from: '2024-02-10', to: '2024-03-10', totals: { views: 4, clicks: 1, likes: 2 } });
      const mine1Row = r.body.items.find((i: { productId: number }) => i.productId === mine1);
      expect(r.body.items[0]).to.deep.equal(mine1Row);
      expect(mine1Row).to.deep.include({ views: 3, clicks: 1, likes: 0 });
      expect(r.body.items.find((i: { productId: number }) => i.productId === mine2)).to.deep.include({ views: 1, clicks: 0, likes: 2, likeCount: 2, status: 'hidden' });
      expect(r.body.items.map((i: { productId: number }) => i.productId)).to.not.include(theirs);
      expect(r.body.page.total).to.equal(3);
    });

    it('honours from/to and paging; refuses bad ranges', async () => {
      const r = await as('GET', '/merchant/stats?from=2024-03-06&to=2024-03-06&size=1');
      expect(r.body.totals).to.deep.equal({ views: 1, clicks: 1, likes: 0 });
      expect(r.body.items).to.have.length(1);
      expect(r.body.page).to.deep.equal({ page: 1, size: 1, total: 3, hasNext: true });
      expect((await as('GET', '/merchant/stats?from=2024-03-06&to=2024-03-01')).status).to.equal(400);
      expect((await as('GET', '/merchant/stats?from=2020-01-01&to=2024-03-01')).status).to.equal(400);
      expect((await as('GET', '/merchant/stats?to=march')).status).to.equal(400);
      expect((await h.call('GET', '/merchant/stats')).status).to.equal(401);
    });

    it('the report assembled from parts (no join: what the seam does once products or users moved) equals the SQL join', async () => {
      const k = h.db.knex;
      await h.fx.log({ type: 'view', product_id: 999_999, shop_id: shop, created_at: '2024-03-07 00:00:00.000000' }); // a deleted product's view: totals only
      const logs = new LegacyViewCounts(k);
      const parts: MerchantStatsSources = {
        shopProducts: (id) => shopStatsProducts(k, id),
        shopEvents: (id, w) => logs.inShopWindow(id, w),
        newLikes: (ids, w) => newLikesByProduct(k, ids, w.from, w.to),
      };
      const cases = [
        [{ from: '2024-02-10', to: '2024-03-10' }, { page: 1, size: 20 }], [{ from: '2024-03-06', to: '2024-03-06' }, { page: 1, size: 1 }],
        [{ from: '2024-03-08', to: '2024-03-09' }, { page: 2, size: 1 }], [{ from: '2022-12-31', to: '2023-01-01' }, { page: 1, size: 2 }],
        [{ from: '2024-03-09', to: '2024-03-09' }, { page: 9, size: 5 }],
      ] as const;
      for (const [w, paging] of cases) {
        const sql = await merchantStats(k, shop, w, paging); // no seam attached: the join
        expect(await gatherMerchantStats(parts, shop, w, paging), JSON.stringify(w)).to.deep.equal(sql);
      }
      expect((await merchantStats(k, shop, cases[0][0], cases[0][1])).totals).to.deep.equal({ views: 5, clicks: 1, likes: 2 });
    });
  });
});
