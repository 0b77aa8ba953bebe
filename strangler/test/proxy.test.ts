import { expect } from 'chai';
import { createServer } from 'node:http';
import { request as httpRequest } from 'node:http';
import { waitFor } from '../../test/helpers/wait.ts';
import { json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';

describe('strangler facade proxying @integration', () => {
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade;
  let svcMode: 'ok' | 'fail' = 'ok';

  before(async () => {
    legacy = await startStandIn((req, res, body) => json(res, 200, { from: 'legacy', method: req.method, url: req.url, body }));
    svc = await startStandIn((req, res, body) => {
      if (svcMode === 'fail') return json(res, 503, { error: 'down' });
      json(res, req.method === 'POST' && req.url === '/api/fail' ? 500 : 200, { from: 'service', method: req.method, url: req.url, body });
    });
    f = await startTestFacade(table(legacy.url, svc.url, [
      { id: 'p.list', methods: ['GET'], path: '/api/products', legacy: 'legacy', service: 'svc', mode: 'legacy' },
      { id: 'p.get', methods: ['GET'], path: '/api/products/:id', legacy: 'legacy', service: 'svc', mode: 'service' },
      { id: 'p.write', methods: ['POST', 'GET'], path: '/api/fail', legacy: 'legacy', service: 'svc', mode: 'service' },
      { id: 'echo', path: '/api/echo', legacy: 'legacy', service: 'svc', mode: 'legacy' },
      { id: 'fragile', methods: ['GET'], path: '/api/fragile', legacy: 'legacy', service: 'svc', mode: 'service', breaker: { consecutiveFailures: 2, openMs: 60_000 } },
    ]));
  });
  after(async () => {
    await f.stop();
    await legacy.close();
    await svc.close();
  });
  beforeEach(() => {
    svcMode = 'ok';
  });

  it('passes a legacy-mode route through with request id, traceparent, x-forwarded-* and the route header', async () => {
    const r = await send(`${f.url}/api/products?page=2`, { headers: { 'x-request-id': 'abc-123' } });
    expect(r.status).to.equal(200);
    expect(r.json()).to.include({ from: 'legacy', url: '/api/products?page=2' });
    expect(r.headers['x-request-id']).to.equal('abc-123');
    expect(r.headers['x-strangler-route']).to.equal('p.list; upstream=legacy');
    const hit = legacy.hits.at(-1)!;
    expect(hit.headers['x-request-id']).to.equal('abc-123');
    expect(hit.headers.traceparent).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(hit.headers['x-forwarded-for']).to.equal('127.0.0.1');
    expect(hit.headers['x-forwarded-proto']).to.equal('http');
    expect(hit.headers['x-forwarded-host']).to.match(/^127\.0\.0\.1:\d+$/);
  });

  it('replaces a client\'s own x-forwarded-host and -proto (no trusted proxy configured)', async () => {
    const r = await send(`${f.url}/api/products`, { headers: { 'x-forwarded-host': 'admin.example.com', 'x-forwarded-proto': 'https' } });
    expect(r.status).to.equal(200);
    const hit = legacy.hits.at(-1)!;
    expect(hit.headers['x-forwarded-host']).to.match(/^127\.0\.0\.1:\d+$/);
    expect(hit.headers['x-forwarded-proto']).to.equal('http');
  });

  it('generates a request id and keeps a valid incoming traceparent', async () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const r = await send(`${f.url}/api/products`, { headers: { traceparent: tp, 'x-forwarded-for': '10.0.0.1' } });
    expect(r.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
    expect(legacy.hits.at(-1)!.headers.traceparent).to.equal(tp);
    expect(legacy.hits.at(-1)!.headers['x-forwarded-for']).to.equal('10.0.0.1, 127.0.0.1');
    const fresh = await send(`${f.url}/api/products`);
    const rid = String(fresh.headers['x-request-id']);
    expect(legacy.hits.at(-1)!.headers.traceparent).to.match(new RegExp(`^00-${rid.replaceAll('-', '')}-[0-9a-f]{16}-01$`));
  });

  it('streams request bodies unparsed (POST arrives intact, also chunked)', async () => {
    const payload = JSON.stringify({ a: 1, text: 'x'.repeat(5000) });
    const r = await send(`${f.url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    expect(r.json().body).to.equal(payload);
    const chunked = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${f.url}/api/echo`, { method: 'PUT', agent: false }, (res) => {
        let s = '';
        res.on('data', (c) => (s += c));
        res.on('end', () => resolve(s));
      });
      req.on('error', reject);
      req.write('part1-');
      setImmediate(() => req.end('part2'));
    });
    expect(JSON.parse(chunked).body).to.equal('part1-part2');
  });

  it('sends unmatched /api paths to legacy by prefix, and anything else gets a JSON 404', async () => {
    const r = await send(`${f.url}/api/other/thing`);
    expect(r.json()).to.include({ from: 'legacy', url: '/api/other/thing' });
    expect(r.headers['x-strangler-route']).to.equal('fallback:/api; upstream=legacy');
    const nf = await send(`${f.url}/nowhere`);
    expect(nf.status).to.equal(404);
    expect(nf.json().error).to.include({ code: 'ROUTE_NOT_FOUND' });
    expect(nf.json().error.requestId).to.be.a('string').and.not.equal('');
  });

  it('service mode answers from the service; a GET falls back to legacy on 5xx, a POST does not', async () => {
    const ok = await send(`${f.url}/api/products/7`);
    expect(ok.json()).to.include({ from: 'service' });
    expect(ok.headers['x-strangler-route']).to.equal('p.get; upstream=svc');
    svcMode = 'fail';
    const fb = await send(`${f.url}/api/products/7`);
    expect(fb.status).to.equal(200);
    expect(fb.json()).to.include({ from: 'legacy' });
    expect(fb.headers['x-strangler-route']).to.equal('p.get; upstream=legacy; fallback=status-5xx');
    svcMode = 'ok';
    const post = await send(`${f.url}/api/fail`, { method: 'POST', body: 'x' });
    expect(post.status).to.equal(500);
    expect(post.json()).to.include({ from: 'service' });
    expect(f.stats.get('p.get').fallbacks).to.be.greaterThan(0);
  });

  it('the breaker opens after consecutive service failures and then skips the service', async () => {
    svcMode = 'fail';
    for (let i = 0; i < 2; i++) expect((await send(`${f.url}/api/fragile`)).json().from).to.equal('legacy');
    const hits = svc.hits.length;
    const r = await send(`${f.url}/api/fragile`);
    expect(r.json().from).to.equal('legacy');
    expect(r.headers['x-strangler-route']).to.equal('fragile; upstream=legacy');
    expect(svc.hits.length).to.equal(hits);
    expect(f.stats.get('fragile').breaker!.state).to.equal('open');
    expect(f.stats.get('fragile').fallbacks).to.equal(3);
  });

  it('malformed paths get 400/414 and never crash the process', async () => {
    for (const p of ['/%', '/%zz', '//..', '/api/../admin', '/api/%2e%2e/x', '/api/' + 'a'.repeat(9000)]) {
      const r = await send(`${f.url}${p}`);
      expect(r.status, p).to.be.oneOf([400, 404, 414, 200]);
    }
    expect((await send(`${f.url}//..`)).status).to.equal(400);
    expect((await send(`${f.url}/api/${'a'.repeat(9000)}`)).status).to.equal(414);
    const ok = await send(`${f.url}/api/products`);
    expect(ok.status).to.equal(200);
  });

  it('passes WebSocket upgrades through', async () => {
    const ws = createServer();
    const upstreamSockets: import('node:stream').Duplex[] = [];
    ws.on('upgrade', (req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n');
      upstreamSockets.push(socket);
      socket.on('end', () => socket.end());
      socket.on('data', (d) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
    });
    await new Promise<void>((r) => ws.listen(0, '127.0.0.1', () => r()));
    const wsPort = (ws.address() as { port: number }).port;
    const doc = JSON.parse(JSON.stringify(f.controller.table));
    doc.version++;
    doc.upstreams.ws = { url: `http://127.0.0.1:${wsPort}` };
    doc.routes.push({ id: 'ws', path: '/api/ws', legacy: 'ws' });
    expect(f.controller.apply(doc).ok).to.equal(true);
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${f.url}/api/ws`, { headers: { connection: 'Upgrade', upgrade: 'websocket' }, agent: false });
      req.on('upgrade', (_res, socket) => {
        socket.once('data', (d) => {
          resolve(d.toString());
          socket.destroy();
        });
        socket.write('hello');
      });
      req.on('error', reject);
      req.end();
    });
    expect(echoed).to.equal('echo:hello');
    // the client went away: the facade closes the upstream side of the tunnel too
    await waitFor(() => upstreamSockets.every((s) => s.destroyed), { what: 'upstream websocket closed' });
    await new Promise((r) => ws.close(r));
  });

  it('answers its own readiness probe on the proxy port', async () => {
    const r = await send(`${f.url}/__strangler/health`);
    expect(r.status).to.equal(200);
    expect(r.json()).to.include({ status: 'ok' });
  });

  it('counts requests per route in live stats', async () => {
    await waitFor(() => f.stats.get('p.list').requests >= 2, { what: 'stats' });
    expect(f.stats.get('p.list').byClass['2xx']).to.be.greaterThan(0);
  });
});
