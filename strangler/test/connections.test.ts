/**
 * strangler connections: deadlines, caps, parser errors and shutdown on real sockets. Every peer here is a raw TCP
 * socket the test drives byte by byte; the checks are the bytes on the wire, the facade's open-connection count
 * (`server.getConnections`) and this process's open file descriptors.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';
import { fdCount, metricValue, parseResponses, rawConnect, type RawConn } from './raw.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import type { ConnectionLimits } from '../connections.ts';

function connections(f: TestFacade): Promise<number> {
  return new Promise((resolve, reject) => f.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

const FAST: Partial<ConnectionLimits> = {
  firstByteTimeoutMs: 300, headersTimeoutMs: 400, requestTimeoutMs: 800, keepAliveTimeoutMs: 500,
};

describe('strangler connections', function () {
  this.timeout(20_000);
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade | null = null;

  before(async () => {
    legacy = await startStandIn((req, res) => {
      if (req.url === '/api/chunked') {
        // a chunked answer in three pieces with pauses, so a pipelined request arrives while it is in flight
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first-piece;');
        setTimeout(() => res.write('second-piece;'), 150);
        setTimeout(() => res.end('last-piece'), 300);
        return;
      }
      if (req.url === '/api/slow') {
        setTimeout(() => json(res, 200, { slow: true }), 400);
        return;
      }
      json(res, 200, { ok: true, url: req.url });
    });
    svc = await startStandIn((_req, res) => json(res, 200, { svc: true }));
  });
  after(async () => {
    await legacy.close();
    await svc.close();
  });
  afterEach(async () => {
    await f?.stop();
    f = null;
  });

  async function start(limits: Partial<ConnectionLimits>, extra: Record<string, unknown> = {}): Promise<TestFacade> {
    f = await startTestFacade(table(legacy.url, svc.url, []), { config: { connections: limits, ...extra } });
    return f;
  }

  it('reaps connections that never send a byte, and the fd count returns to baseline', async () => {
    const fac = await start(FAST);
    const base = fdCount();
    const t0 = Date.now();
    const conns: RawConn[] = [];
    for (let i = 0; i < 30; i++) conns.push(await rawConnect(fac.port));
    await waitFor(() => conns.every((c) => c.isClosed()), { timeoutMs: 3000, what: 'the facade to close never-sending sockets' });
    const took = Date.now() - t0;
    expect(took).to.be.greaterThanOrEqual(250);
    await waitFor(async () => (await connections(fac)) === 0, { timeoutMs: 2000, what: 'server connections to drop to 0' });
    await waitFor(() => fdCount() <= base, { timeoutMs: 2000, what: `fd count back to ${base}` });
    expect(await metricValue(fac.metrics.registry, 'strangler_connection_timeouts_total', { kind: 'first-byte' })).to.equal(30);
    expect(await metricValue(fac.metrics.registry, 'strangler_client_connections')).to.equal(0);
  });

  it('reaps a slowloris header drip at the headers timeout with a 408', async () => {
    const fac = await start(FAST);
    const c = await rawConnect(fac.port);
    c.socket.write('GET /api/x HTTP/1.1\r\nHost: a\r\n');
    const drip = setInterval(() => c.socket.writable && c.socket.write(`x-drip-${Math.random().toString(36).slice(2)}: 1\r\n`), 50);
    const t0 = Date.now();
    try {
      await waitFor(() => c.isClosed(), { timeoutMs: 4000, what: 'the facade to cut the drip' });
    } finally {
      clearInterval(drip);
    }
    expect(Date.now() - t0).to.be.lessThan(3000);
    const { responses } = parseResponses(c.received());
    expect(responses).to.have.length(1);
    expect(responses[0].status).to.equal(408);
    expect(JSON.parse(responses[0].body.toString()).error.code).to.equal('REQUEST_TIMEOUT');
    expect(legacy.hits.filter((h) => h.url === '/api/x')).to.have.length(0);
    expect(await metricValue(fac.metrics.registry, 'strangler_connection_timeouts_total', { kind: 'headers' })).to.equal(1);
  });

  it('answers a request whose body never completes with 408 (not 400) and closes the socket', async () => {
    const fac = await start(FAST);
    const c = await rawConnect(fac.port);
    c.socket.write('POST /api/upload HTTP/1.1\r\nHost: a\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\n0123456789');
    const drip = setInterval(() => c.socket.writable && c.socket.write('x'), 50);
    try {
      await waitFor(() => c.isClosed(), { timeoutMs: 4000, what: 'the facade to cut the slow upload' });
    } finally {
      clearInterval(drip);
    }
    const { responses } = parseResponses(c.received());
    expect(responses.map((r) => r.status)).to.deep.equal([408]);
    expect(await metricValue(fac.metrics.registry, 'strangler_connection_timeouts_total', { kind: 'request' })).to.equal(1);
  });

  it('a request timeout answered 408 stays one clean response when the upstream answers just after it', async () => {
    let answered = false;
    // answers 900 ms after the head arrives, around the facade's 800 ms request deadline, without waiting for the body
    const late = await startStandIn((_req, res) => setTimeout(() => {
      json(res, 200, { late: true });
      answered = true;
    }, 900), { readBody: false });
    try {
      f = await startTestFacade(table(late.url, svc.url, []), { config: { connections: FAST } });
      const c = await rawConnect(f.port);
      c.socket.write('POST /api/late-answer HTTP/1.1\r\nHost: a\r\ncontent-length: 100\r\n\r\n0123456789');
      await waitFor(() => c.isClosed(), { timeoutMs: 4000, what: 'the facade to cut the unfinished request' });
      const { responses, rest } = parseResponses(c.received());
      expect(responses.map((r) => r.status)).to.deep.equal([408]);
      expect(rest.length).to.equal(0);
      await waitFor(() => answered, { timeoutMs: 3000, what: 'the late upstream answer' });
      expect((await send(f.url + '/api/after-late')).status).to.equal(200);
    } finally {
      await late.close();
    }
  });

  it('destroys a socket that failed parsing even when the peer never reads and never closes', async () => {
    const fac = await start({ ...FAST, firstByteTimeoutMs: 10_000, keepAliveTimeoutMs: 10_000 });
    const conns: RawConn[] = [];
    for (let i = 0; i < 10; i++) {
      const c = await rawConnect(fac.port, { read: false, allowHalfOpen: true });
      c.socket.write('THIS IS NOT HTTP\r\n\r\n');
      conns.push(c);
    }
    await waitFor(async () => (await connections(fac)) === 0, { timeoutMs: 3000, what: 'the facade to drop sockets that failed parsing' });
    expect(await metricValue(fac.metrics.registry, 'strangler_client_errors_total', { code: 'HPE_INVALID_METHOD' })).to.equal(10);
    for (const c of conns) c.socket.destroy();
  });

  it('closes idle keep-alive connections at the keep-alive timeout', async () => {
    const fac = await start(FAST);
    const c = await rawConnect(fac.port);
    c.socket.write('GET /api/ka HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor(() => parseResponses(c.received()).responses.length === 1, { what: 'the first response' });
    await waitFor(() => c.isClosed(), { timeoutMs: 3000, what: 'the idle keep-alive socket to be closed' });
    expect(await metricValue(fac.metrics.registry, 'strangler_connection_timeouts_total', { kind: 'idle' })).to.equal(1);
  });

  it('caps the number of open connections and counts the rejected ones', async () => {
    const fac = await start({ ...FAST, firstByteTimeoutMs: 10_000, maxConnections: 5 });
    const held: RawConn[] = [];
    for (let i = 0; i < 5; i++) held.push(await rawConnect(fac.port));
    await waitFor(async () => (await connections(fac)) === 5, { what: '5 open connections' });
    const extra: RawConn[] = [];
    for (let i = 0; i < 3; i++) extra.push(await rawConnect(fac.port));
    await waitFor(() => extra.every((c) => c.isClosed()), { timeoutMs: 2000, what: 'connections over the cap to be closed' });
    expect(held.some((c) => c.isClosed())).to.equal(false);
    expect(await metricValue(fac.metrics.registry, 'strangler_connections_rejected_total', { reason: 'max-connections' })).to.equal(3);
    held[0].socket.destroy();
    await waitFor(async () => (await connections(fac)) === 4, { what: 'a free slot' });
    const r = await send(fac.url + '/api/after-cap');
    expect(r.status).to.equal(200);
    for (const c of held) c.socket.destroy();
  });

  it('caps connections per client address without affecting other addresses', async () => {
    const fac = await start({ ...FAST, firstByteTimeoutMs: 10_000, maxConnectionsPerClient: 3 });
    const held: RawConn[] = [];
    for (let i = 0; i < 3; i++) held.push(await rawConnect(fac.port, { localAddress: '127.0.0.1' }));
    await waitFor(async () => (await connections(fac)) === 3, { what: '3 open connections' });
    const over = await rawConnect(fac.port, { localAddress: '127.0.0.1' });
    await waitFor(() => over.isClosed(), { timeoutMs: 2000, what: 'the 4th connection from one address to be closed' });
    const other = await rawConnect(fac.port, { localAddress: '127.0.0.2' });
    other.socket.write('GET /api/other HTTP/1.1\r\nHost: a\r\nconnection: close\r\n\r\n');
    await other.closed;
    expect(parseResponses(other.received()).responses.map((r) => r.status)).to.deep.equal([200]);
    expect(held.some((c) => c.isClosed())).to.equal(false);
    expect(await metricValue(fac.metrics.registry, 'strangler_connections_rejected_total', { reason: 'per-client' })).to.equal(1);
    for (const c of held) c.socket.destroy();
  });

  it('never writes into an in-flight chunked response when a malformed request is pipelined after it', async () => {
    const fac = await start(FAST);
    const c = await rawConnect(fac.port);
    c.socket.write('GET /api/chunked HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE GARBAGE\r\n\r\n');
    await waitFor(() => c.isClosed(), { timeoutMs: 4000, what: 'the connection to close after the in-flight response' });
    const { responses, rest } = parseResponses(c.received());
    expect(responses).to.have.length.greaterThanOrEqual(1);
    expect(responses[0].status).to.equal(200);
    expect(responses[0].body.toString()).to.equal('first-piece;second-piece;last-piece');
    // nothing but (at most) a complete error response may follow the first one; never bytes inside it
    for (const r of responses.slice(1)) expect(r.status).to.equal(400);
    expect(rest.length).to.equal(0);
  });

  it('refuses duplicate Host headers with a JSON 400', async () => {
    const fac = await start(FAST);
    const before = legacy.hits.length;
    const c = await rawConnect(fac.port);
    c.socket.write('GET /api/dup HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n');
    await waitFor(() => parseResponses(c.received()).responses.length === 1, { what: 'a response' });
    const r = parseResponses(c.received()).responses[0];
    expect(r.status).to.equal(400);
    expect(JSON.parse(r.body.toString()).error.code).to.equal('BAD_REQUEST');
    expect(legacy.hits.length).to.equal(before);
    c.socket.destroy();
  });

  it('refuses an HTTP/2.0 request line with a JSON 505', async () => {
    const fac = await start(FAST);
    const before = legacy.hits.length;
    const c = await rawConnect(fac.port);
    c.socket.write('GET /api/h2 HTTP/2.0\r\nHost: a\r\n\r\n');
    await waitFor(() => parseResponses(c.received()).responses.length === 1 || c.isClosed(), { what: 'a response' });
    const r = parseResponses(c.received()).responses[0];
    expect(r?.status).to.equal(505);
    expect(JSON.parse(r.body.toString()).error.code).to.equal('HTTP_VERSION_NOT_SUPPORTED');
    expect(legacy.hits.length).to.equal(before);
    c.socket.destroy();
  });

  it('takes no new keep-alive requests during the shutdown grace', async () => {
    const fac = await start(FAST, { shutdownGraceMs: 3000 });
    const c = await rawConnect(fac.port);
    c.socket.write('GET /api/slow HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor(() => legacy.hits.some((h) => h.url === '/api/slow'), { what: 'the slow request to reach legacy' });
    const hitsBefore = legacy.hits.length;
    const closing = fac.close();
    // a new request on the same keep-alive connection after shutdown began
    c.socket.write('GET /api/after-shutdown HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor(() => c.isClosed(), { timeoutMs: 4000, what: 'the connection to close after its in-flight response' });
    await closing;
    const { responses } = parseResponses(c.received());
    expect(responses[0].status).to.equal(200);
    expect(responses[0].headers.connection).to.deep.equal(['close']);
    for (const r of responses.slice(1)) expect(r.status).to.equal(503);
    expect(legacy.hits.length).to.equal(hitsBefore);
    f = null;
    await fac.stop().catch(() => undefined);
  });

  it('still serves ordinary keep-alive traffic across many requests', async () => {
    const fac = await start(FAST);
    const c = await rawConnect(fac.port);
    for (let i = 0; i < 20; i++) c.socket.write(`GET /api/seq-${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
    await waitFor(() => parseResponses(c.received()).responses.length === 20, { what: '20 pipelined responses' });
    const urls = parseResponses(c.received()).responses.map((r) => JSON.parse(r.body.toString()).url);
    expect(urls).to.deep.equal(Array.from({ length: 20 }, (_, i) => `/api/seq-${i}`));
    c.socket.end();
    await once(c.socket, 'close');
  });
});
