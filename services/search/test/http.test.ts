import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { createKnex } from '../../../lib/db.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { MysqlFulltextBackend } from '../backends/mysql-fulltext.ts';
import { createSearchEdge, type SearchLog } from '../http.ts';
import { fixtureDocuments } from './fixtures.ts';

async function listen(app: ReturnType<typeof createSearchEdge>): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('search HTTP edge GET /api/search @integration', function () {
  let db: TestDatabase;
  let server: Server;
  let base: string;
  const logged: Parameters<SearchLog['write']>[0][] = [];
  const sessions = { verify: async (t: string) => (t === '7.good' ? 7 : null) };

  before(async () => {
    db = await createTestDatabase('search_http', ['search']);
    const backend = new MysqlFulltextBackend(db.knex);
    await backend.upsert(fixtureDocuments());
    ({ server, base } = await listen(createSearchEdge({ backend, sessions, logger: silentLogger(), registry: new Registry(), searchLog: { write: async (e) => { logged.push(e); } } })));
  });
  after(async () => {
    server?.close();
    await db?.drop();
  });

  it('answers in the legacy shape: { items: list items, page: { page, size, total, hasNext } }', async () => {
    const res = await fetch(`${base}/api/search?q=${encodeURIComponent('롱 원피스')}&size=1`, { headers: { authorization: 'Bearer 7.good' } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-request-id')).to.be.a('string');
    const body = (await res.json()) as any;
    expect(body.page).to.deep.equal({ page: 1, size: 1, total: 2, hasNext: true });
    expect(body.items).to.have.length(1);
    expect(Object.keys(body.items[0])).to.deep.equal(['id', 'name', 'price', 'salePrice', 'discountRate', 'currency', 'status', 'imageUrl', 'likeCount', 'categoryId', 'shop', 'createdAt']);
    expect(body.items[0].createdAt).to.match(/^2026-01-0[12]T10:00:00\.000000Z$/);
    expect(logged.at(-1)).to.deep.equal({ userId: 7, query: '롱 원피스', total: 2, page: 1 });
  });

  it('accepts sort and filters on top of the legacy parameters', async () => {
    const body = await (await fetch(`${base}/api/search?q=${encodeURIComponent('니트')}&sort=price_asc&maxPrice=70000`)).json() as any;
    expect(body.items.map((i: { id: number }) => i.id)).to.deep.equal([8, 7]);
  });

  it('rejects bad input with VALIDATION_FAILED and one detail per field', async () => {
    const res = await fetch(`${base}/api/search?q=&size=1000&sort=best`);
    expect(res.status).to.equal(400);
    const body = (await res.json()) as any;
    expect(body.error.code).to.equal('VALIDATION_FAILED');
    expect(body.error.details.map((d: { field: string }) => d.field).sort()).to.deep.equal(['query.q', 'query.size', 'query.sort']);
  });

  it('a present but invalid bearer token is a 401, as in legacy', async () => {
    const res = await fetch(`${base}/api/search?q=bag`, { headers: { authorization: 'Bearer 1.bad' } });
    expect(res.status).to.equal(401);
  });

  it('a query with no searchable word is an empty page, not an error', async () => {
    const body = await (await fetch(`${base}/api/search?q=${encodeURIComponent('!!!')}`)).json() as any;
    expect(body).to.deep.equal({ items: [], page: { page: 1, size: 20, total: 0, hasNext: false } });
  });

  it('exports the metrics registry', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).to.equal(200);
  });

  it('answers 503 SERVICE_UNAVAILABLE JSON with Retry-After when the backend is down; /health says degraded', async () => {
    const dead = createKnex('mysql://root@127.0.0.1:1/nothing', { pool: { min: 0, max: 1 } });
    const edge = await listen(createSearchEdge({ backend: new MysqlFulltextBackend(dead), sessions, logger: silentLogger() }));
    try {
      const res = await fetch(`${edge.base}/api/search?q=bag`, { headers: { 'x-request-id': 'req-503' } });
      expect(res.status).to.equal(503);
      expect(res.headers.get('retry-after')).to.equal('5');
      const body = (await res.json()) as any;
      expect(body).to.deep.equal({ error: { code: 'SERVICE_UNAVAILABLE', message: 'Search is temporarily unavailable; try again shortly', requestId: 'req-503' } });
      const health = await fetch(`${edge.base}/health`);
      expect(health.status).to.equal(503);
      expect(((await health.json()) as any).checks).to.deep.equal({ mysql: 'down' });
    } finally {
      edge.server.close();
      await dead.destroy();
    }
  });
});
