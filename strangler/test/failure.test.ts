import { expect } from 'chai';
import { createServer as createNetServer, connect, type Server as NetServer, type Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { request as httpRequest } from 'node:http';
import { waitFor } from '../../test/helpers/wait.ts';
import { json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function listenNet(handler: (s: Socket) => void): Promise<{ server: NetServer; url: string }> {
  return new Promise((resolve) => {
    const server = createNetServer(handler);
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
  });
}

describe('strangler failure behaviour @integration', () => {
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade;
  let garbage: { server: NetServer; url: string };
  let silent: { server: NetServer; url: string };
  const held: Socket[] = [];
  let legacyMode: 'ok' | 'cut-after-headers' | 'cut-before-headers' | 'hang' = 'ok';
  let svcDelayMs = 0;

  before(async () => {
    legacy = await startStandIn((req, res, body) => {
      if (legacyMode === 'hang') return; // never answers
      if (legacyMode === 'cut-before-headers') return req.socket.destroy();
      if (legacyMode === 'cut-after-headers') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
        res.write('{"partial":');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      json(res, 200, { from: 'legacy', url: req.url, body, at: Date.now() });
    });
    svc = await startStandIn((req, res, body) => {
      setTimeout(() => json(res, 200, { from: 'service', url: req.url, body }), svcDelayMs);
    });
    garbage = await listenNet((s) => {
      s.on('data', () => s.end('THIS IS NOT HTTP\r\n\r\n'));
      s.on('error', () => undefined);
    });
    silent = await listenNet((s) => {
      held.push(s);
      s.on('error', () => undefined);
    });
    const doc = table(legacy.url, svc.url, [
      { id: 'plain', path: '/api/plain', legacy: 'legacy' },
      { id: 'garbage', path: '/api/garbage', legacy: 'garbage' },
      { id: 'silent', path: '/api/silent', legacy: 'silent' },
      { id: 'refused', path: '/api/refused', legacy: 'refused' },
      { id: 'shadowed', path: '/api/shadowed', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { timeoutMs: 300, writes: 'dark-copy', noiseSample: 0 } },
    ]);
    doc.upstreams.garbage = { url: garbage.url, timeoutMs: 1000 };
    doc.upstreams.silent = { url: silent.url, timeoutMs: 300 };
    doc.upstreams.refused = { url: 'http://127.0.0.1:1', timeoutMs: 1000, connectTimeoutMs: 300 };
    f = await startTestFacade(doc, { config: { bodyLimit: 1024 } });
  });
  after(async () => {
    for (const s of held) s.destroy();
    await f.stop();
    await legacy.close();
    await svc.close();
    garbage.server.close();
    silent.server.close();
  });
  afterEach(() => {
    legacyMode = 'ok';
    svcDelayMs = 0;
  });

  it('an upstream that never answers becomes a 504 JSON error within its timeout', async () => {
    const t0 = Date.now();
    const r = await send(`${f.url}/api/silent`, { headers: { 'x-request-id': 'rid-504' } });
    expect(r.status).to.equal(504);
    expect(r.json()).to.deep.equal({ error: { code: 'GATEWAY_TIMEOUT', message: 'The upstream service did not answer in time', requestId: 'rid-504' } });
    expect(Date.now() - t0).to.be.within(250, 1500);
  });

  it('a garbage response becomes a 502 JSON error', async () => {
    const r = await send(`${f.url}/api/garbage`);
    expect(r.status).to.equal(502);
    expect(r.json().error.code).to.equal('BAD_GATEWAY');
  });

  it('a refused connection becomes a 502 JSON error', async () => {
    const r = await send(`${f.url}/api/refused`);
    expect(r.status).to.equal(502);
    expect(r.json().error).to.include({ code: 'BAD_GATEWAY', message: 'The upstream service is unreachable' });
    expect(r.headers['x-strangler-route']).to.equal('refused; upstream=refused');
  });

  it('an upstream killed before answering gives 502; killed mid-body cuts the client connection; the facade keeps serving', async () => {
    legacyMode = 'cut-before-headers';
    const r = await send(`${f.url}/api/plain`);
    expect(r.status).to.equal(502);
    legacyMode = 'cut-after-headers';
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest(`${f.url}/api/plain`, { agent: false }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve('complete'));
        res.on('aborted', () => resolve('aborted'));
        res.on('error', () => resolve('aborted'));
      });
      req.on('error', () => resolve('aborted'));
      req.end();
    });
    expect(outcome).to.equal('aborted');
    legacyMode = 'ok';
    expect((await send(`${f.url}/api/plain`)).status).to.equal(200);
    expect(f.stats.get('plain').upstreamErrors).to.be.greaterThan(0);
  });

  it('a body over the limit gets 413 (declared length, and when buffered for a shadow copy)', async () => {
    const big = 'x'.repeat(2048);
    const r = await send(`${f.url}/api/plain`, { method: 'POST', body: big });
    expect(r.status).to.equal(413);
    expect(r.json().error.code).to.equal('PAYLOAD_TOO_LARGE');
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${f.url}/api/shadowed`, { method: 'POST', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.write(big.slice(0, 1000));
      req.end(big.slice(1000));
    });
    expect(chunked).to.equal(413);
    expect((await send(`${f.url}/api/plain`, { method: 'POST', body: 'small' })).json().body).to.equal('small');
  });

  it('a slow shadow target does not delay the primary answer', async () => {
    svcDelayMs = 1500;
    const before = f.stats.get('shadowed').shadow.errors;
    const t0 = Date.now();
    const r = await send(`${f.url}/api/shadowed`);
    const took = Date.now() - t0;
    expect(r.status).to.equal(200);
    expect(r.json().from).to.equal('legacy');
    expect(took).to.be.lessThan(250);
    await waitFor(() => f.stats.get('shadowed').shadow.errors > before, { what: 'shadow timeout recorded', timeoutMs: 3000 });
    const diffs = f.stats.get('shadowed').diffs.list(1);
    expect(diffs[0].service).to.deep.equal({ error: 'timeout' });
  });

  it('a dark-copy write is buffered once and sent to both', async () => {
    const r = await send(`${f.url}/api/shadowed`, { method: 'POST', body: '{"like":1}', headers: { 'content-type': 'application/json' } });
    expect(r.json()).to.include({ from: 'legacy', body: '{"like":1}' });
    await waitFor(() => svc.hits.some((h) => h.method === 'POST' && h.body === '{"like":1}' && h.headers['x-strangler-shadow'] === 'service'), { what: 'shadow write' });
  });

  it('10,000 client aborts leave no open upstream sockets and no heap growth', async function () {
    this.timeout(60_000);
    const holder = await startStandIn(() => undefined, { readBody: false }); // never answers
    const doc = JSON.parse(JSON.stringify(f.controller.table));
    doc.version++;
    doc.upstreams.holder = { url: holder.url, timeoutMs: 30_000, pool: 250 };
    doc.routes.push({ id: 'aborts', path: '/api/aborts', legacy: 'holder' });
    expect(f.controller.apply(doc).ok).to.equal(true);
    const port = f.port;
    const raw = `GET /api/aborts HTTP/1.1\r\nhost: x\r\n\r\n`;
    const batch = async (n: number) => {
      const seen = holder.hits.length;
      const sockets: Socket[] = [];
      await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.write(raw);
          resolve();
        });
        s.on('error', () => undefined);
        sockets.push(s);
      })));
      await waitFor(() => holder.hits.length >= seen + n, { what: 'requests reached the upstream', timeoutMs: 10_000, intervalMs: 2 });
      for (const s of sockets) s.destroy();
    };
    const connections = () => new Promise<number>((r) => f.server.getConnections((_e, c) => r(c)));
    for (let i = 0; i < 2; i++) await batch(250); // warm-up
    // aborted upstream requests have their sockets destroyed; undici may reopen idle ones, never more than the pool
    // both upstream clients (the lean one carries these bodiless requests; undici the rest)
    const holderUp = f.controller.active().upstreams.get('holder')!;
    const pools = [holderUp.pool, ...(holderUp.lean !== null ? [holderUp.lean] : [])];
    const released = () => pools.every((p) => p.stats.running === 0 && p.stats.pending === 0);
    await waitFor(released, { what: 'warm-up requests released' });
    const socketsBefore = holder.sockets.size;
    expect(socketsBefore).to.be.at.most(250);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 40; i++) await batch(250);
    await waitFor(() => released() && holder.sockets.size <= Math.max(socketsBefore, 250), { what: 'upstream sockets freed', timeoutMs: 10_000 });
    for (const p of pools) expect(p.stats.connected).to.be.at.most(250);
    await waitFor(async () => (await connections()) === 0, { what: 'client connections closed' });
    gc();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    expect(holder.hits.length).to.be.at.least(10_500);
    expect(f.stats.get('aborts').aborted).to.be.at.least(10_000);
    expect(growth, `heap grew ${Math.round(growth / 1024)} KiB`).to.be.lessThan(8 * 1024 * 1024);
    await holder.close();
  });

  it('an invalid route file is rejected with reasons and the old table keeps serving; a valid one is applied', async () => {
    const v = f.controller.table.version;
    await writeFile(f.routesFile, '{ "version": 99, "upstreams": { "a": { "url": "nope" } }, "routes": [ { "id": "x" } ] }');
    await waitFor(() => f.controller.lastRejection !== null, { what: 'rejection' });
    expect(f.controller.lastRejection!.errors.join('\n')).to.contain('upstreams.a.url').and.contain('routes.0.path');
    expect(f.controller.table.version).to.equal(v);
    expect((await send(`${f.url}/api/plain`)).status).to.equal(200);
    await writeFile(f.routesFile, '{ not json');
    await waitFor(() => /not valid JSON/.test(f.controller.lastRejection!.errors[0]), { what: 'parse rejection' });
    expect((await send(`${f.url}/api/plain`)).status).to.equal(200);
    const good = JSON.parse(JSON.stringify(f.controller.table));
    good.version = v + 1;
    good.routes = good.routes.filter((r: { id: string }) => r.id !== 'plain');
    await writeFile(f.routesFile, JSON.stringify(good));
    await waitFor(() => f.controller.table.version === v + 1, { what: 'valid table applied' });
    expect((await send(`${f.url}/api/plain`)).headers['x-strangler-route']).to.equal('fallback:/api; upstream=legacy');
  });
});
