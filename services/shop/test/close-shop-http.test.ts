import { expect } from 'chai';
import { silentLogger } from '../../../lib/logger.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { startAdminApi } from '../../../legacy/admin-api/index.ts';
import type { RunningApi } from '../../../legacy/http/server.ts';
import { FIXTURE_ADMIN, FIXTURE_OPERATOR, FIXTURE_PASSWORDS, seedFixture } from '../../../test/parity/fixture.ts';
import { startServiceStack, type ServiceStack } from '../../../test/parity/stack.ts';
import type { SearchIndex } from '../../../rpc/ports.ts';
import { MemorySearchIndex } from '../close-shop.ts';

/** The saga over HTTP and real Thrift: shop edge → product service (preview, hide, restore) → search port. */
describe('shop service: POST /admin/shops/:id/close @integration', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let stack: ServiceStack;
  let admin: RunningApi;
  let token = '';
  const index = new MemorySearchIndex();
  let searchDown = false;
  const search: SearchIndex = {
    remove: async (ids) => { if (searchDown) throw new Error('search service unavailable'); await index.remove(ids); },
    reindex: (items) => index.reindex(items),
  };

  const close = (shopId: number, auth = token) => fetch(`${stack.shop.httpUrl}/admin/shops/${shopId}/close`, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'x-request-id': 'close-1' } });
  const statuses = async (shopId: number) => (await db.knex('products').where({ shop_id: shopId }).orderBy('id').select('status')).map((r) => r.status as string);

  before(async () => {
    db = await createTestDatabase('close_http');
    await seedFixture(db.knex);
    stack = await startServiceStack({ legacyDsn: db.dsn, search });
    admin = await startAdminApi({ port: 0, host: '127.0.0.1', mysqlUrl: db.dsn }, { logger: silentLogger(), knex: db.knex });
    const login = async (email: string) => ((await (await fetch(`${admin.url}/admin/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: FIXTURE_PASSWORDS.admin }) })).json()) as { token: string }).token;
    token = await login(FIXTURE_ADMIN);
    expect(await login(FIXTURE_OPERATOR)).to.be.a('string');
    for (const p of await db.knex('products').where({ status: 'active' }).select('id')) index.indexed.add(Number(p.id));
  });
  after(async () => {
    await admin?.close();
    await stack?.close();
    await db?.drop();
  });

  it('needs an admin session', async () => {
    expect((await fetch(`${stack.shop.httpUrl}/admin/shops/1/close`, { method: 'POST' })).status).to.equal(401);
    expect((await close(1, `1.${'B'.repeat(43)}`)).status).to.equal(401);
  });

  it('404 for an unknown shop, 400 for a bad id', async () => {
    expect((await close(4242)).status).to.equal(404);
    expect((await fetch(`${stack.shop.httpUrl}/admin/shops/x/close`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).to.equal(400);
  });

  it('when search is down: 503 JSON, shop open again, products and index as before', async () => {
    const before = await statuses(2);
    const indexed = [...index.indexed].sort();
    searchDown = true;
    const res = await close(2);
    searchDown = false;
    expect(res.status).to.equal(503);
    const body = await res.json() as { error: { code: string; message: string; requestId: string; details: { status: string; failedStep: string } } };
    expect(body.error.requestId).to.equal('close-1');
    expect(body.error.details).to.include({ status: 'compensated', failedStep: 'remove from search' });
    expect((await db.knex('shops').where({ id: 2 }).first('status')).status).to.equal('open');
    expect(await statuses(2)).to.deep.equal(before);
    expect([...index.indexed].sort()).to.deep.equal(indexed);
  });

  it('closes shop 2 across services: shop closed, products hidden (over Thrift), gone from search and from listings', async () => {
    const active = (await db.knex('products').where({ shop_id: 2, status: 'active' }).select('id')).map((r) => Number(r.id));
    expect(active.length).to.be.greaterThan(0);
    const res = await close(2);
    expect(res.status).to.equal(200);
    const body = await res.json() as { saga: { status: string; hiddenProducts: number }; shop: { status: string; id: number } };
    expect(body.saga.status).to.equal('completed');
    expect(body.shop).to.include({ id: 2, status: 'closed' });
    expect(new Set(await statuses(2))).to.deep.equal(new Set(['hidden']));
    for (const id of active) expect(index.indexed.has(id)).to.equal(false);
    const list = await (await fetch(`${stack.product.httpUrl}/api/products?shopId=2`)).json() as { page: { total: number } };
    expect(list.page.total).to.equal(0);
    const log = await db.knex('saga_log').orderBy('id', 'desc').first();
    expect(log).to.include({ type: 'close_shop', saga_key: '2', status: 'completed' });
  });
});
