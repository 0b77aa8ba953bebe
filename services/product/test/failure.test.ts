import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { seedFixture } from '../../../test/parity/fixture.ts';
import { startServiceStack, type ServiceStack } from '../../../test/parity/stack.ts';
import { MemorySearchIndex } from '../../shop/close-shop.ts';
import { waitFor } from '../../../test/helpers/wait.ts';

/** Service-level failure behaviour: a peer that is down gives a clear 503/504 JSON error within the deadline, never a hang. */
describe('services: peer down @integration', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let stack: ServiceStack;

  before(async () => {
    db = await createTestDatabase('svc_fail');
    await seedFixture(db.knex);
    stack = await startServiceStack({ legacyDsn: db.dsn, search: new MemorySearchIndex(), callTimeoutMs: 800 });
  });
  after(async () => {
    await stack?.close();
    await db?.drop();
  });

  it('product listing embeds shop names while the shop service is up', async () => {
    const res = await fetch(`${stack.product.httpUrl}/api/products?size=3`);
    expect(res.status).to.equal(200);
    const body = await res.json() as { items: { shop: { name: string } }[] };
    expect(body.items[0].shop.name).to.be.a('string').and.not.equal('');
  });

  it('with the shop service stopped, the listing answers 503 JSON with the request id, quickly', async () => {
    await stack.shop.close();
    const started = Date.now();
    const res = await fetch(`${stack.product.httpUrl}/api/products?size=3`, { headers: { 'x-request-id': 'down-1' } });
    const elapsed = Date.now() - started;
    expect(res.status).to.be.oneOf([503, 504]);
    expect(res.headers.get('content-type')).to.match(/application\/json/);
    const body = await res.json() as { error: { code: string; message: string; requestId: string } };
    expect(body.error.requestId).to.equal('down-1');
    expect(body.error.code).to.be.oneOf(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'SERVICE_UNAVAILABLE']);
    expect(body.error.message).to.not.match(/ECONNREFUSED|at .*\.ts/);
    expect(elapsed).to.be.below(3000);
  });

  it('after the shop service comes back on its port, the product service reconnects and the listing works again', async () => {
    await stack.restartShop();
    const ok = await waitFor(async () => (await fetch(`${stack.product.httpUrl}/api/products?size=3`)).status === 200, { timeoutMs: 10_000, what: 'listing to recover' });
    expect(ok).to.equal(true);
  });

  it('the user edge answers 503 (not 401) when it cannot ask the product service about a like', async () => {
    await stack.product.close();
    const login = await fetch(`${stack.user.httpUrl}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'mina@example.com', password: 'user-pass-1' }) });
    expect(login.status).to.equal(200);
    const { token } = await login.json() as { token: string };
    const res = await fetch(`${stack.user.httpUrl}/api/me/likes`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ productId: 7 }) });
    expect(res.status).to.be.oneOf([503, 504]);
    expect(await db.knex('likes').where({ user_id: 1, product_id: 7 }).first()).to.equal(undefined);
  });

  it('unliking while the product service is down answers 503 and keeps both the like and the like count', async () => {
    const login = await fetch(`${stack.user.httpUrl}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'mina@example.com', password: 'user-pass-1' }) });
    const { token } = await login.json() as { token: string };
    await db.knex('likes').insert({ user_id: 1, product_id: 7 });
    const before = await db.knex('products').where({ id: 7 }).first('like_count');
    const res = await fetch(`${stack.user.httpUrl}/api/me/likes/7`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).to.be.oneOf([503, 504]);
    expect(await db.knex('likes').where({ user_id: 1, product_id: 7 }).first()).to.not.equal(undefined);
    expect(await db.knex('products').where({ id: 7 }).first('like_count')).to.deep.equal(before);
  });
});

describe('services: start-up failure @integration', function () {
  this.timeout(30_000);
  it('a Thrift port in use fails start with EADDRINUSE, after closing what it had opened', async () => {
    const db = await createTestDatabase('svc_port');
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const { startProductService } = await import('../index.ts');
    const { silentLogger } = await import('../../../lib/logger.ts');
    let code = '';
    try {
      await startProductService({ service: 'product', host: '127.0.0.1', httpPort: 0, thriftPort: port, mysqlUrl: db.dsn, ownDbUrl: db.dsn, dbMode: 'legacy',
        redisUrl: undefined, peers: { shop: { host: '127.0.0.1', port: 1 }, user: { host: '127.0.0.1', port: 1 } }, callTimeoutMs: 500, logLevel: 'silent' }, { logger: silentLogger() });
    } catch (err) {
      code = (err as { code?: string }).code ?? '';
    } finally {
      blocker.close();
      await db.drop();
    }
    expect(code).to.equal('EADDRINUSE');
  });
});
