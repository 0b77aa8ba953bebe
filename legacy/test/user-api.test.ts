import { expect } from 'chai';
import { createUserApp } from '../user-api/app.ts';
import { startHarness, type Harness } from './harness.ts';

const TOKEN_RE = /^\d+\.[A-Za-z0-9_-]{43}$/;
const TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

describe('legacy user API @integration', () => {
  let h: Harness;
  let shopA: number; let shopB: number; let pendingShop: number; let cat: number;
  let p1: number; let p2: number; let p3: number; let hidden: number; let soldOut: number;
  let alice: { id: number; token: string; email: string; password: string };

  before(async () => {
    h = await startHarness('user_api', createUserApp);
    const fx = h.fx;
    shopA = await fx.shop({ name: '무신사 스토어 🛍️' });
    shopB = await fx.shop({ name: 'Bravo Shop', status: 'closed' });
    pendingShop = await fx.shop({ contract_status: 'pending' });
    cat = await fx.category();
    p1 = await fx.product(shopA, { name: '린넨 셔츠 👕', price: '39000.00', sale_price: '29250.00', category_id: cat, attributes: JSON.stringify({ color: '검정', sizes: ['S', 'M'] }), created_at: '2024-01-01 00:00:00.000001', popularity_score: 5 },
      ['https://img.example/2.jpg', 'https://img.example/1.jpg']);
    await h.db.knex('product_images').where({ product_id: p1, url: 'https://img.example/1.jpg' }).update({ position: 0 });
    await h.db.knex('product_images').where({ product_id: p1, url: 'https://img.example/2.jpg' }).update({ position: 1 });
    p2 = await fx.product(shopA, { name: 'Denim Jacket 100%', price: '89000.50', created_at: '2024-01-02 00:00:00.000000', popularity_score: 9 });
    p3 = await fx.product(shopB, { name: '셔츠 원피스', price: '15000.00', category_id: cat, created_at: '2024-01-03 00:00:00.000000', popularity_score: 1 });
    hidden = await fx.product(shopA, { name: '숨김 셔츠', status: 'hidden', created_at: '2024-01-04 00:00:00.000000' });
    soldOut = await fx.product(shopB, { name: '품절 셔츠', status: 'sold_out', created_at: '2024-01-05 00:00:00.000000' });
    alice = await fx.user({ email: 'alice@example.com' });
  });
  after(async () => { await h?.close(); });

  describe('frame', () => {
    it('echoes a given x-request-id and makes one otherwise', async () => {
      const given = await h.call('GET', '/api/shops', { headers: { 'x-request-id': 'req-123' } });
      expect(given.headers.get('x-request-id')).to.equal('req-123');
      const made = await h.call('GET', '/api/shops');
      expect(made.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    });

    it('answers unknown routes with 404 in the error shape', async () => {
      const r = await h.call('GET', '/api/nope', { headers: { 'x-request-id': 'r-404' } });
      expect(r.status).to.equal(404);
      expect(r.body).to.deep.equal({ error: { code: 'ROUTE_NOT_FOUND', message: 'No route for GET /api/nope', requestId: 'r-404' } });
    });

    it('rejects malformed JSON with 400 and a body over 1 MB with 413', async () => {
      const bad = await h.call('POST', '/api/users', { raw: '{"email":' });
      expect(bad.status).to.equal(400);
      expect(bad.body.error.code).to.equal('BAD_REQUEST');
      const big = await h.call('POST', '/api/users', { raw: JSON.stringify({ name: 'x'.repeat(1_100_000) }) });
      expect(big.status).to.equal(413);
      expect(big.body.error.code).to.equal('PAYLOAD_TOO_LARGE');
    });
  });

  describe('sign-up, login, me', () => {
    it('signs up (201) with a normalised email and no password in the answer', async () => {
      const r = await h.call('POST', '/api/users', { body: { email: ' Bob@Example.com ', password: 'secret-pass', name: '밥 Bob', gender: 'male', birthYear: 1995 } });
      expect(r.status).to.equal(201);
      expect(r.body).to.include({ email: 'bob@example.com', name: '밥 Bob', gender: 'male', birthYear: 1995 });
      expect(r.body.id).to.be.a('number');
      expect(r.body.createdAt).to.match(TS_RE);
      expect(r.body).to.not.have.property('password');
      expect(r.body).to.not.have.property('passwordHash');
    });

    it('refuses a duplicate email with 409', async () => {
      const r = await h.call('POST', '/api/users', { body: { email: 'ALICE@example.com', password: 'whatever1', name: 'A' } });
      expect(r.status).to.equal(409);
      expect(r.body.error.code).to.equal('CONFLICT');
    });

    it('reports every bad field with 400 VALIDATION_FAILED', async () => {
      const r = await h.call('POST', '/api/users', { body: { email: 'not-an-email', password: 'short', name: '', extra: 1 } });
      expect(r.status).to.equal(400);
      expect(r.body.error.code).to.equal('VALIDATION_FAILED');
      const fields = r.body.error.details.map((d: { field: string }) => d.field);
      expect(fields).to.include.members(['body.email', 'body.password', 'body.name']);
      const none = await h.call('POST', '/api/users');
      expect(none.status).to.equal(400);
      expect(none.body.error.code).to.equal('VALIDATION_FAILED');
    });

    it('logs in with a <userId>.<random> bearer token and returns the user', async () => {
      const r = await h.call('POST', '/api/sessions', { body: { email: 'alice@example.com', password: alice.password } });
      expect(r.status).to.equal(200);
      expect(r.body.token).to.match(TOKEN_RE);
      expect(r.body.token.split('.')[0]).to.equal(String(alice.id));
      expect(r.body.user).to.include({ id: alice.id, email: 'alice@example.com' });
      const me = await h.call('GET', '/api/me', { token: r.body.token });
      expect(me.status).to.equal(200);
      expect(me.body.id).to.equal(alice.id);
    });

    it('refuses a wrong password or unknown email with 401 INVALID_CREDENTIALS', async () => {
      const wrong = await h.call('POST', '/api/sessions', { body: { email: 'alice@example.com', password: 'nope nope' } });
      expect(wrong.status).to.equal(401);
      expect(wrong.body.error.code).to.equal('INVALID_CREDENTIALS');
      const unknown = await h.call('POST', '/api/sessions', { body: { email: 'ghost@example.com', password: 'nope nope' } });
      expect(unknown.status).to.equal(401);
      const bad = await h.call('POST', '/api/sessions', { body: { email: 'alice@example.com' } });
      expect(bad.status).to.equal(400);
    });

    it('GET /api/me: 401 without a token, with a forged, malformed or expired token, or a staff token', async () => {
      expect((await h.call('GET', '/api/me')).status).to.equal(401);
      expect((await h.call('GET', '/api/me', { token: `${alice.id}.${'A'.repeat(43)}` })).status).to.equal(401);
      expect((await h.call('GET', '/api/me', { headers: { authorization: 'Basic abc' } })).status).to.equal(401);
      const other = await h.fx.user();
      expect((await h.call('GET', '/api/me', { token: `${other.id}.${alice.token.split('.')[1]}` })).status).to.equal(401);
      await h.db.knex('sessions').where({ user_id: other.id }).update({ expires_at: '2000-01-01 00:00:00.000000' });
      const expired = await h.call('GET', '/api/me', { token: other.token });
      expect(expired.status).to.equal(401);
      expect(expired.body.error.code).to.equal('UNAUTHENTICATED');
      const adm = await h.fx.admin();
      expect((await h.call('GET', '/api/me', { token: adm.token })).status).to.equal(401);
    });
  });

  describe('products', () => {
    it('lists active products newest first with the shop embedded and exact formats', async () => {
      const r = await h.call('GET', '/api/products');
      expect(r.status).to.equal(200);
      expect(r.body.items.map((i: { id: number }) => i.id)).to.deep.equal([p3, p2, p1]);
      expect(r.body.page).to.deep.equal({ page: 1, size: 20, total: 3, hasNext: false });
      const first = r.body.items.find((i: { id: number }) => i.id === p1);
      expect(first).to.deep.equal({
        id: p1, name: '린넨 셔츠 👕', price: '39000.00', salePrice: '29250.00', discountRate: '25.00', currency: 'KRW', status: 'active',
        imageUrl: 'https://img.example/1.jpg', likeCount: 0, categoryId: cat, shop: { id: shopA, name: '무신사 스토어 🛍️' },
        createdAt: '2024-01-01T00:00:00.000001Z',
      });
    });

    it('filters by shop, category and price range', async () => {
      const byShop = await h.call('GET', `/api/products?shopId=${shopA}`);
      expect(byShop.body.items.map((i: { id: number }) => i.id)).to.deep.equal([p2, p1]);
      const byCat = await h.call('GET', `/api/products?categoryId=${cat}`);
      expect(byCat.body.items.map((i: { id: number }) => i.id)).to.deep.equal([p3, p1]);
      const byPrice = await h.call('GET', '/api/products?minPrice=15000&maxPrice=39000.00');
      expect(byPrice.body.items.map((i: { id: number }) => i.id)).to.deep.equal([p3, p1]);
      expect(byPrice.body.page.total).to.equal(2);
    });

    it('sorts by price both ways and by popularity', async () => {
      const ids = async (sort: string) => (await h.call('GET', `/api/products?sort=${sort}`)).body.items.map((i: { id: number }) => i.id);
      expect(await ids('price_asc')).to.deep.equal([p3, p1, p2]);
      expect(await ids('price_desc')).to.deep.equal([p2, p1, p3]);
      expect(await ids('popularity')).to.deep.equal([p2, p1, p3]);
    });

    it('pages with page/size and hasNext', async () => {
      const r = await h.call('GET', '/api/products?page=2&size=2');
      expect(r.body.items.map((i: { id: number }) => i.id)).to.deep.equal([p1]);
      expect(r.body.page).to.deep.equal({ page: 2, size: 2, total: 3, hasNext: false });
      const first = await h.call('GET', '/api/products?page=1&size=2');
      expect(first.body.page.hasNext).to.equal(true);
    });

    it('rejects bad list parameters with 400', async () => {
      for (const qs of ['size=101', 'size=0', 'page=0', 'sort=cheapest', 'minPrice=abc', 'minPrice=10&maxPrice=5', 'shopId=-1', 'maxPrice=1.234']) {
        const r = await h.call('GET', `/api/products?${qs}`);
        expect(r.status, qs).to.equal(400);
        expect(r.body.error.code, qs).to.equal('VALIDATION_FAILED');
        expect(r.body.error.details[0].field, qs).to.match(/^query\./);
      }
    });

    it('shows one product with images in order, attributes and all fields, and logs the view', async () => {
      const r = await h.call('GET', `/api/products/${p1}`, { token: alice.token });
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.include({
        id: p1, shopId: shopA, shop: { id: shopA, name: '무신사 스토어 🛍️' }, categoryId: cat, name: '린넨 셔츠 👕', description: null,
        price: '39000.00', salePrice: '29250.00', discountRate: '25.00', currency: 'KRW', status: 'active',
        attributes: { color: '검정', sizes: ['S', 'M'] },
        images: [{ url: 'https://img.example/1.jpg', position: 0 }, { url: 'https://img.example/2.jpg', position: 1 }],
        likeCount: 0, viewCount: 0, popularityScore: 5, version: 1, createdAt: '2024-01-01T00:00:00.000001Z',
      });
      expect(r.body.externalId).to.be.a('string');
      expect(r.body.updatedAt).to.match(TS_RE);
      const log = await h.db.knex('logs').where({ type: 'view', product_id: p1 }).first();
      expect(log).to.include({ user_id: alice.id, shop_id: shopA });
    });

    it('opens a sold-out product, but a hidden or missing one is 404 and a bad id 400', async () => {
      expect((await h.call('GET', `/api/products/${soldOut}`)).status).to.equal(200);
      const hid = await h.call('GET', `/api/products/${hidden}`);
      expect(hid.status).to.equal(404);
      expect(hid.body.error.code).to.equal('NOT_FOUND');
      expect((await h.call('GET', '/api/products/999999')).status).to.equal(404);
      const bad = await h.call('GET', '/api/products/abc');
      expect(bad.status).to.equal(400);
      expect(bad.body.error.details[0].field).to.equal('params.id');
    });

    it('records clicks (204) and refuses unknown products and bad bodies', async () => {
      const r = await h.call('POST', `/api/products/${p2}/clicks`, { body: { source: 'home' } });
      expect(r.status).to.equal(204);
      const log = await h.db.knex('logs').where({ type: 'click', product_id: p2 }).first();
      expect(log.user_id).to.equal(null);
      expect(typeof log.meta === "string" ? JSON.parse(log.meta) : log.meta).to.deep.equal({ source: 'home' });
      expect((await h.call('POST', `/api/products/${p2}/clicks`)).status).to.equal(204);
      expect((await h.call('POST', `/api/products/${hidden}/clicks`)).status).to.equal(404);
      expect((await h.call('POST', `/api/products/${p2}/clicks`, { body: { source: 5 } })).status).to.equal(400);
    });
  });

  describe('shops', () => {
    it('lists only shops with an active contract, public fields only', async () => {
      const r = await h.call('GET', '/api/shops');
      expect(r.status).to.equal(200);
      expect(r.body.items.map((s: { id: number }) => s.id)).to.deep.equal([shopA, shopB]);
      expect(r.body.items[1]).to.deep.include({ id: shopB, name: 'Bravo Shop', status: 'closed', url: null, description: null, followerCount: 0 });
      expect(r.body.items[0]).to.not.have.property('commissionRate');
      expect(r.body.items[0]).to.not.have.property('contractStatus');
      expect((await h.call('GET', '/api/shops?size=500')).status).to.equal(400);
    });

    it('shows one shop; pending, missing → 404; bad id → 400', async () => {
      const r = await h.call('GET', `/api/shops/${shopA}`);
      expect(r.status).to.equal(200);
      expect(r.body.slug).to.be.a('string');
      expect((await h.call('GET', `/api/shops/${pendingShop}`)).status).to.equal(404);
      expect((await h.call('GET', '/api/shops/424242')).status).to.equal(404);
      expect((await h.call('GET', '/api/shops/1.5')).status).to.equal(400);
    });
  });

  describe('search', () => {
    it('matches product names with LIKE, pages and logs the query', async () => {
      const r = await h.call('GET', `/api/search?q=${encodeURIComponent('셔츠')}&size=1`, { token: alice.token });
      expect(r.status).to.equal(200);
      expect(r.body.items.map((i: { id: number }) => i.id)).to.deep.equal([p3]);
      expect(r.body.items[0].shop).to.deep.equal({ id: shopB, name: 'Bravo Shop' });
      expect(r.body.page).to.deep.equal({ page: 1, size: 1, total: 2, hasNext: true });
      const log = await h.db.knex('logs').where({ type: 'search', query: '셔츠' }).first();
      expect(log.user_id).to.equal(alice.id);
      expect(typeof log.meta === "string" ? JSON.parse(log.meta) : log.meta).to.deep.equal({ total: 2, page: 1 });
    });

    it('treats % and _ literally', async () => {
      const pct = await h.call('GET', '/api/search?q=100%25');
      expect(pct.body.items.map((i: { id: number }) => i.id)).to.deep.equal([p2]);
      const all = await h.call('GET', '/api/search?q=%25');
      expect(all.body.items.map((i: { id: number }) => i.id)).to.deep.equal([p2]);
      const under = await h.call('GET', '/api/search?q=_');
      expect(under.body.page.total).to.equal(0);
    });

    it('requires q', async () => {
      const r = await h.call('GET', '/api/search');
      expect(r.status).to.equal(400);
      expect(r.body.error.details[0].field).to.equal('query.q');
      expect((await h.call('GET', '/api/search?q=%20%20')).status).to.equal(400);
    });
  });

  describe('likes', () => {
    it('needs a session', async () => {
      expect((await h.call('POST', '/api/me/likes', { body: { productId: p1 } })).status).to.equal(401);
      expect((await h.call('GET', '/api/me/likes')).status).to.equal(401);
      expect((await h.call('DELETE', `/api/me/likes/${p1}`)).status).to.equal(401);
    });

    it('likes once (201), again is 200, keeps like_count in step and leaves version alone', async () => {
      const before = await h.db.knex('products').where({ id: p1 }).first('version', 'updated_at');
      const r = await h.call('POST', '/api/me/likes', { token: alice.token, body: { productId: p1 } });
      expect(r.status).to.equal(201);
      expect(r.body.productId).to.equal(p1);
      expect(r.body.likedAt).to.match(TS_RE);
      expect(r.body.product).to.include({ id: p1, likeCount: 1 });
      const again = await h.call('POST', '/api/me/likes', { token: alice.token, body: { productId: p1 } });
      expect(again.status).to.equal(200);
      const row = await h.db.knex('products').where({ id: p1 }).first('like_count', 'version', 'updated_at');
      expect(row).to.deep.equal({ like_count: 1, version: before.version, updated_at: before.updated_at });
      expect(await h.db.knex('logs').where({ type: 'like', product_id: p1 }).count({ n: '*' }).first()).to.deep.equal({ n: 1 });
    });

    it('404 for unknown or hidden products, 400 for a bad body', async () => {
      expect((await h.call('POST', '/api/me/likes', { token: alice.token, body: { productId: 987654 } })).status).to.equal(404);
      expect((await h.call('POST', '/api/me/likes', { token: alice.token, body: { productId: hidden } })).status).to.equal(404);
      const bad = await h.call('POST', '/api/me/likes', { token: alice.token, body: { productId: 'x' } });
      expect(bad.status).to.equal(400);
      expect(bad.body.error.details[0].field).to.equal('body.productId');
    });

    it('lists likes newest first and unlikes (204, then 404)', async () => {
      await h.call('POST', '/api/me/likes', { token: alice.token, body: { productId: soldOut } });
      const list = await h.call('GET', '/api/me/likes', { token: alice.token });
      expect(list.status).to.equal(200);
      expect(list.body.items.map((l: { productId: number }) => l.productId)).to.deep.equal([soldOut, p1]);
      expect(list.body.page.total).to.equal(2);
      expect(list.body.items[0].product.status).to.equal('sold_out');
      const del = await h.call('DELETE', `/api/me/likes/${soldOut}`, { token: alice.token });
      expect(del.status).to.equal(204);
      expect((await h.call('DELETE', `/api/me/likes/${soldOut}`, { token: alice.token })).status).to.equal(404);
      expect((await h.db.knex('products').where({ id: soldOut }).first('like_count')).like_count).to.equal(0);
      expect((await h.call('DELETE', '/api/me/likes/abc', { token: alice.token })).status).to.equal(400);
    });

    it('counts concurrent likes of one product exactly', async () => {
      const users = await Promise.all([1, 2, 3, 4, 5].map(() => h.fx.user()));
      const results = await Promise.all(users.map((u) => h.call('POST', '/api/me/likes', { token: u.token, body: { productId: p3 } })));
      expect(results.map((r) => r.status)).to.deep.equal([201, 201, 201, 201, 201]);
      expect((await h.db.knex('products').where({ id: p3 }).first('like_count')).like_count).to.equal(5);
    });
  });

  describe('shop bookmarks', () => {
    it('needs a session', async () => {
      expect((await h.call('POST', '/api/me/bookmarks', { body: { shopId: shopA } })).status).to.equal(401);
      expect((await h.call('GET', '/api/me/bookmarks')).status).to.equal(401);
      expect((await h.call('DELETE', `/api/me/bookmarks/${shopA}`)).status).to.equal(401);
    });

    it('bookmarks (201, then 200), lists, counts followers and removes (204, then 404)', async () => {
      const r = await h.call('POST', '/api/me/bookmarks', { token: alice.token, body: { shopId: shopA } });
      expect(r.status).to.equal(201);
      expect(r.body).to.deep.include({ shopId: shopA });
      expect(r.body.shop).to.include({ id: shopA, followerCount: 1 });
      expect((await h.call('POST', '/api/me/bookmarks', { token: alice.token, body: { shopId: shopA } })).status).to.equal(200);
      const list = await h.call('GET', '/api/me/bookmarks', { token: alice.token });
      expect(list.body.items.map((b: { shopId: number }) => b.shopId)).to.deep.equal([shopA]);
      expect(list.body.page).to.deep.equal({ page: 1, size: 20, total: 1, hasNext: false });
      expect((await h.call('DELETE', `/api/me/bookmarks/${shopA}`, { token: alice.token })).status).to.equal(204);
      expect((await h.call('DELETE', `/api/me/bookmarks/${shopA}`, { token: alice.token })).status).to.equal(404);
      expect((await h.db.knex('shops').where({ id: shopA }).first('follower_count')).follower_count).to.equal(0);
    });

    it('404 for a pending or unknown shop, 400 for a bad body', async () => {
      expect((await h.call('POST', '/api/me/bookmarks', { token: alice.token, body: { shopId: pendingShop } })).status).to.equal(404);
      expect((await h.call('POST', '/api/me/bookmarks', { token: alice.token, body: { shopId: 777777 } })).status).to.equal(404);
      expect((await h.call('POST', '/api/me/bookmarks', { token: alice.token, body: {} })).status).to.equal(400);
    });
  });
});
