import { expect } from 'chai';
import { silentLogger } from '../../../lib/logger.ts';
import { MemoryOwnershipRegistry } from '../../../lib/ownership/index.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { closeServiceClients, createServiceClients } from '../../../rpc/index.ts';
import { seedFixture, FIXTURE_ADMIN, FIXTURE_PASSWORDS } from '../../../test/parity/fixture.ts';
import { startServiceStack, type ServiceStack } from '../../../test/parity/stack.ts';
import { MemorySearchIndex } from '../../../services/shop/close-shop.ts';
import { startAdminApi } from '../../admin-api/index.ts';
import type { RunningApi } from '../../http/server.ts';
import type { SeamApis, SeamConfig } from '../index.ts';

/**
 * The admin routes that were still legacy-only, through the seam: the same
 * requests to a legacy admin API on knex (database A) and to one whose
 * registry is flipped live to the services (database B, seeded the same);
 * status, content type and body must be byte-identical, errors included.
 */
describe('legacy seam: admin bulk upload and users list, knex === service byte for byte @integration', function () {
  this.timeout(60_000);
  let dbA: TestDatabase;
  let dbB: TestDatabase;
  let stack: ServiceStack;
  let clients: ReturnType<typeof createServiceClients<'product' | 'shop' | 'user'>>;
  let adminA: RunningApi;
  let adminB: RunningApi;
  const registry = new MemoryOwnershipRegistry();
  const runStart = Date.now();
  const calls = new Map<string, number>();
  const tokens: Record<string, string> = {};

  /** More users than a page, with LIKE metacharacters and mixed case in names and emails. */
  const moreUsers = Array.from({ length: 24 }, (_, i) => ({
    id: 10 + i, email: `User${i}${i % 4 === 0 ? '_x' : ''}@Example.com`.toLowerCase(), password_hash: 'x', name: i % 5 === 0 ? `100% 김 ${i}` : `Kim ${i}`,
    gender: i % 2 ? 'male' : null, birth_year: i % 3 ? 1990 + i : null, created_at: `2024-03-01 00:00:${String(i).padStart(2, '0')}.123456`, updated_at: '2024-03-02 00:00:00.000000',
  }));

  before(async () => {
    [dbA, dbB] = await Promise.all([createTestDatabase('seam_admin_a'), createTestDatabase('seam_admin_b')]);
    for (const db of [dbA, dbB]) {
      await seedFixture(db.knex);
      await db.knex('users').insert(moreUsers);
    }
    stack = await startServiceStack({ legacyDsn: dbB.dsn, registry, search: new MemorySearchIndex() });
    const at = (port: number) => ({ host: '127.0.0.1', port });
    const endpoints = { product: at(stack.product.thriftPort), shop: at(stack.shop.thriftPort), user: at(stack.user.thriftPort) };
    clients = createServiceClients(endpoints, { timeoutMs: 10_000 });
    // count what legacy calls, to prove the answers came over Thrift
    const counted = Object.fromEntries(Object.entries(clients).map(([svc, client]) => [svc, new Proxy(client, {
      get(target, key) {
        const v = Reflect.get(target, key);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls.set(`${svc}.${String(key)}`, (calls.get(`${svc}.${String(key)}`) ?? 0) + 1);
          return v.apply(target, args);
        };
      },
    })]));
    const seam: SeamConfig = { mode: 'registry', callTimeoutMs: 10_000, endpoints };
    adminA = await startAdminApi({ port: 0, host: '127.0.0.1', mysqlUrl: dbA.dsn }, { logger: silentLogger(), knex: dbA.knex });
    adminB = await startAdminApi({ port: 0, host: '127.0.0.1', mysqlUrl: dbB.dsn }, { logger: silentLogger(), knex: dbB.knex, seam, registry, seamApis: counted as unknown as SeamApis });
    for (const [side, api] of [['a', adminA], ['b', adminB]] as const) {
      const res = await fetch(`${api.url}/admin/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: FIXTURE_ADMIN, password: FIXTURE_PASSWORDS.admin }) });
      tokens[side] = ((await res.json()) as { token: string }).token;
    }
  });

  after(async () => {
    await adminA?.close();
    await adminB?.close();
    if (clients) await closeServiceClients(clients);
    await stack?.close();
    await Promise.all([dbA?.drop(), dbB?.drop()]);
  });

  let step = 0;
  /** The same request to both sides (same request id); the raw answers. */
  async function both(method: string, path: string, body?: unknown): Promise<{ a: Answer; b: Answer; msA: number; msB: number }> {
    const id = `seam-admin-${step++}`;
    const send = async (api: RunningApi, token: string): Promise<Answer> => {
      const res = await fetch(api.url + path, { method, headers: { 'x-request-id': id, authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body) });
      return { path, status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    };
    const t0 = performance.now();
    const a = await send(adminA, tokens.a);
    const t1 = performance.now();
    const b = await send(adminB, tokens.b);
    return { a, b, msA: t1 - t0, msB: performance.now() - t1 };
  }
  interface Answer { path: string; status: number; type: string | null; text: string }

  const flip = async (domain: 'product' | 'shop' | 'user', owner: 'legacy' | 'service') => {
    await registry.set(domain, { owner }, { actor: 'test', reason: `${domain} → ${owner}` });
  };
  const item = (shopId: number, ext: string, over: Record<string, unknown> = {}) => ({ shopId, externalId: ext, name: `크롤 ${ext} 🧶`, price: '1000', ...over });

  it('POST /admin/products/bulk: created/updated/unchanged, interleaved shops, hidden stays hidden, and every refusal', async () => {
    await flip('product', 'service'); // shops stay legacy's: shop existence checked in legacy's table
    calls.clear();
    const steps: [string, string, unknown?][] = [
      ['POST', '/admin/products/bulk', { items: [ // only new products, shops interleaved
        item(1, 'c-1', { categoryId: 1, images: ['https://img.example/c1/0.jpg', 'https://img.example/c1/1.jpg'], attributes: { 색: '검정', n: [1, 2] } }),
        item(2, 'c-2', { price: 10000, salePrice: 9000, status: 'sold_out', attributes: { season: 'SS' } }),
        item(1, 'c-3', { images: [] }), item(3, 'c-4', { price: '1.5', currency: 'USD', description: null }), item(2, 'c-5'), item(2, 'c-6', { description: 'd' }),
      ] }],
      ['POST', '/admin/products/bulk', { items: [ // only existing products
        item(2, 'ext-2-1', { name: 'Linen Shirt 1 (crawled)', price: 10000, salePrice: 9000, status: 'sold_out' }),
        item(1, 'ext-1-3', { name: '플리츠 스커트 🌸 3', price: '34000', images: [] }), // hidden in the fixture: stays hidden
        item(1, 'c-1', { categoryId: 1, images: ['https://img.example/c1/1.jpg', 'https://img.example/c1/0.jpg'], attributes: { 색: '검정', n: [1, 2] } }), // image order only
        item(3, 'c-4', { price: '1.50', currency: 'USD' }), // same content
        item(2, 'c-5', { name: '크롤 C-5 🧶' }), // case-only name change
      ] }],
      ['POST', '/admin/products/bulk', { items: [item(2, 'c-2', { price: 10000, salePrice: 9000, status: 'sold_out', attributes: { season: 'SS' } }), item(2, 'c-7'), item(2, 'ext-2-1'), item(2, 'c-8')] }],
      ['POST', '/admin/products/bulk', { items: [item(1, 'c-9'), item(4, 'c-10'), item(4, 'c-6'), item(4, 'ext-1-3')] }],
      ['GET', '/admin/products/3'],
      ['GET', '/admin/products/31'],
      ['POST', '/admin/products/bulk', { items: [item(1, 'x'), item(1, 'x'), item(99, 'y'), item(2, 'z', { categoryId: 77 }), item(99, 'w', { categoryId: 3 })] }],
      ['POST', '/admin/products/bulk', { items: [item(2, 'z', { categoryId: 77 })] }],
      ['POST', '/admin/products/bulk', { items: [{ shopId: 1, externalId: '', name: 'x', price: 5, salePrice: 6, status: 'hidden' }] }],
      ['POST', '/admin/products/bulk', { items: [] }],
      ['POST', '/admin/products/bulk', { items: 'x' }],
    ];
    // a product written during the run has each side's own clock in createdAt/updatedAt: the only masked fields
    const written = (x: Answer) => ({ ...x, text: x.text.replace(/"(createdAt|updatedAt)":"([^"]+)"/g, (m, k: string, t: string) => (Date.parse(t) >= runStart - 1000 ? `"${k}":"(written)"` : m)) });
    for (const [method, path, body] of steps) {
      const { a, b } = await both(method, path, body);
      expect(written(b), `${method} ${path} ${JSON.stringify(body)?.slice(0, 80)}`).to.deep.equal(written(a));
      if (method === 'POST') expect(b).to.deep.equal(a);
      if (method === 'POST' && Array.isArray((body as { items?: unknown })?.items) && a.status === 200) expect(JSON.parse(a.text).items.length).to.be.above(0);
    }
    // one call per upload, refused ones included (the service checks, legacy only renames the fields)
    expect(calls.get('product.bulkUpsertItems')).to.equal(steps.filter(([m, , b]) => m === 'POST' && Array.isArray((b as { items?: unknown }).items) && (b as { items: unknown[] }).items.length > 0 && !JSON.stringify(b).includes('"externalId":""')).length);
  });

  it('new ids after an existing item of another shop are legacy\'s: one upsert, one transaction, as legacy\'s single INSERT', async () => {
    const { a, b } = await both('POST', '/admin/products/bulk', { items: [item(2, 'ext-2-1'), item(1, 'd-1'), item(1, 'd-2')] });
    expect(a.status).to.equal(200);
    expect(b).to.deep.equal(a);
  });

  it('with shops moved too (shop existence from the shop service), a 1,000-item upload answers the same', async () => {
    await flip('shop', 'service');
    calls.clear();
    const refs = await both('POST', '/admin/products/bulk', { items: [item(1, 'r-1'), item(4, 'r-2', { categoryId: 3 }), item(98, 'r-3'), item(2, 'r-4', { categoryId: 9 })] });
    expect(refs.b).to.deep.equal(refs.a);
    expect(JSON.parse(refs.a.text).error.details).to.have.length(2);
    // 1,000 items (over 1 MB), blocks of 100 per shop, in one call: new ids in request order as legacy's single INSERT gives them
    const many = Array.from({ length: 1000 }, (_, i) => item([1, 2, 4][Math.floor(i / 100) % 3], `m-${i}`, { description: '설명 '.repeat(300), images: [`https://img.example/m/${i}.jpg`] }));
    const big = await both('POST', '/admin/products/bulk', { items: many });
    expect(big.a.status).to.equal(200);
    expect(big.b).to.deep.equal(big.a);
    console.log(`      1,000 items: legacy on knex ${Math.round(big.msA)} ms, through the seam ${Math.round(big.msB)} ms (one bulkUpsertItems call)`);
    expect(calls.get('product.bulkUpsertItems')).to.equal(2); // the product service asked the shop service which shops exist
  });

  it('left the same products (content, status, version) and images in both databases', async () => {
    const snap = async (db: TestDatabase) => ({
      products: await db.knex('products').orderBy(['shop_id', 'external_id']).select('shop_id', 'category_id', 'external_id', 'name', 'description', 'price', 'sale_price', 'currency', 'status', 'attributes', 'version'),
      images: await db.knex('product_images as i').join('products as p', 'p.id', 'i.product_id').orderBy(['p.shop_id', 'p.external_id', 'i.position', 'i.url']).select('p.shop_id', 'p.external_id', 'i.url', 'i.position'),
    });
    const [a, b] = await Promise.all([snap(dbA), snap(dbB)]);
    expect(b.products.length).to.equal(a.products.length);
    expect(b).to.deep.equal(a);
  });

  it('GET /admin/users: the same pages, filters and refusals from knex and from the user service, flipped live', async () => {
    const paths = ['/admin/users', '/admin/users?size=5&page=2', '/admin/users?q=kim', '/admin/users?q=KIM&size=3&page=3', '/admin/users?q=100%25', '/admin/users?q=_x',
      '/admin/users?q=%EA%B9%80', '/admin/users?q=nobody', '/admin/users?page=1000000', '/admin/users?size=0', '/admin/users?q=', '/admin/users?size=101'];
    await flip('user', 'legacy');
    for (const p of paths) {
      const { a, b } = await both('GET', p);
      expect(b, p).to.deep.equal(a);
    }
    await flip('user', 'service');
    calls.clear();
    const statuses = [];
    for (const p of paths) {
      const { a, b } = await both('GET', p);
      expect(b, p).to.deep.equal(a);
      statuses.push(b.status);
    }
    expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 200, 200, 200, 200, 400, 400, 400]);
    expect(calls.get('user.listUsers')).to.equal(9);
  });
});
