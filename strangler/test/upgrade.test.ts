/**
 * strangler upgrades on real sockets: forwarded headers, tunnelling both ways, teardown on either side, and floods to
 * an upstream that never answers the handshake (capped, timed out, nothing left open: the fd count is the judge).
 */
import { expect } from 'chai';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';
import { fdCount, metricValue, parseResponses, rawConnect, type RawConn } from './raw.ts';
import { waitFor } from '../../test/helpers/wait.ts';

interface WsUpstream {
  url: string;
  server: Server;
  seen: IncomingMessage['headers'][];
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/** An upgrade-speaking upstream: 101 then echoes every byte back upper-cased; `/api/refuse` gets a 403 JSON instead. */
async function startWsUpstream(): Promise<WsUpstream> {
  const seen: IncomingMessage['headers'][] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((_req, res) => {
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ refused: true }));
  });
  server.on('upgrade', (req, socket: Socket) => {
    seen.push(req.headers);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (req.url === '/api/refuse') {
      const body = JSON.stringify({ refused: true });
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      return;
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nx-up: yes\r\n\r\n');
    socket.on('data', (c: Buffer) => {
      const text = c.toString();
      if (text.includes('QUIT')) socket.destroy();
      else socket.write(text.toUpperCase());
    });
    // '/api/sticky' ignores a FIN (keeps its side open), like a server that only closes on a protocol close frame
    if (req.url !== '/api/sticky') socket.on('end', () => socket.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, server, seen, sockets,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** A TCP upstream that accepts and never answers (but closes when its peer goes away, as any real server would). */
async function startHangingUpstream(): Promise<{ url: string; open: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer({ allowHalfOpen: false }, (s) => {
    sockets.add(s);
    s.on('error', () => s.destroy());
    s.once('close', () => sockets.delete(s));
    s.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, open: () => sockets.size,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

function upgradeRequest(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`;
}

describe('strangler upgrades', function () {
  this.timeout(20_000);
  let svc: StandIn;
  let f: TestFacade | null = null;

  before(async () => {
    svc = await startStandIn((_req, res) => res.end('svc'));
  });
  after(async () => svc.close());
  afterEach(async () => {
    await f?.stop();
    f = null;
  });

  it('forwards upgrades with rewritten x-forwarded-for, a request id, and tunnels bytes both ways', async () => {
    const ws = await startWsUpstream();
    try {
      f = await startTestFacade(table(ws.url, svc.url, []));
      const c = await rawConnect(f.port);
      c.socket.write(upgradeRequest('/api/ws', 'X-Forwarded-For: 6.6.6.6\r\nx-request-id: up-test-1\r\nSec-WebSocket-Key: abc\r\n'));
      await waitFor(() => c.received().includes('\r\n\r\n'), { what: 'the 101 head' });
      expect(c.received().toString()).to.match(/^HTTP\/1\.1 101 /);
      expect(c.received().toString().toLowerCase()).to.include('x-up: yes');
      c.socket.write('hello');
      await waitFor(() => c.received().includes('HELLO'), { what: 'the echo through the tunnel' });
      expect(ws.seen).to.have.length(1);
      const h = ws.seen[0];
      expect(h['x-forwarded-for']).to.equal('6.6.6.6, 127.0.0.1');
      expect(h['x-request-id']).to.equal('up-test-1');
      expect(h.traceparent).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(h.upgrade).to.equal('websocket');
      expect(h['sec-websocket-key']).to.equal('abc');
      c.socket.destroy();
      await waitFor(() => ws.sockets.size === 0, { what: 'the upstream side to close when the client goes away' });
    } finally {
      await ws.close();
    }
  });

  it('tears the client side down when the upstream closes, and leaves nothing half-open when the client half-closes', async () => {
    const ws = await startWsUpstream();
    try {
      f = await startTestFacade(table(ws.url, svc.url, []));
      const a = await rawConnect(f.port);
      a.socket.write(upgradeRequest('/api/ws'));
      await waitFor(() => a.received().includes('\r\n\r\n'), { what: 'the 101 head' });
      a.socket.write('QUIT');
      await waitFor(() => a.isClosed(), { what: 'the client side to close after the upstream closed' });

      const b = await rawConnect(f.port, { allowHalfOpen: true });
      b.socket.write(upgradeRequest('/api/sticky'));
      await waitFor(() => b.received().includes('\r\n\r\n'), { what: 'the 101 head' });
      b.socket.end(); // FIN only: the facade must not keep either side half-open
      const fac = f;
      await waitFor(() => new Promise((r) => fac.server.getConnections((_e, n) => r(n === 0))), { timeoutMs: 3000, what: 'no facade connections left half-open' });
      await waitFor(() => b.isClosed(), { timeoutMs: 3000, what: 'the client side closed after its FIN' });
    } finally {
      await ws.close();
    }
  });

  it('caps and times out an upgrade flood to a hanging upstream and leaves no socket behind', async () => {
    const hang = await startHangingUpstream();
    try {
      f = await startTestFacade(table(hang.url, svc.url, []), { config: { connections: { upgradeTimeoutMs: 500, maxUpgradesPerUpstream: 10 } } });
      const base = fdCount();
      const conns: RawConn[] = [];
      for (let i = 0; i < 30; i++) {
        const c = await rawConnect(f.port);
        c.socket.write(upgradeRequest(`/api/flood-${i}`));
        conns.push(c);
      }
      await waitFor(() => conns.every((c) => c.isClosed()), { timeoutMs: 5000, what: 'every flood connection to be answered and closed' });
      const statuses = conns.map((c) => parseResponses(c.received()).responses[0]?.status);
      expect(statuses.filter((s) => s === 503)).to.have.length(20);
      expect(statuses.filter((s) => s === 504)).to.have.length(10);
      const err = JSON.parse(parseResponses(conns[conns.length - 1].received()).responses[0].body.toString()).error;
      expect(err.code).to.equal('UPGRADE_LIMIT');
      await waitFor(() => hang.open() === 0, { timeoutMs: 3000, what: 'the upstream sockets to close' });
      await waitFor(() => fdCount() <= base, { timeoutMs: 3000, what: `fd count back to ${base}` });
      const reg = f.metrics.registry;
      expect(await metricValue(reg, 'strangler_upgrades_total', { upstream: 'legacy', result: 'capped' })).to.equal(20);
      expect(await metricValue(reg, 'strangler_upgrades_total', { upstream: 'legacy', result: 'timeout' })).to.equal(10);
      expect(await metricValue(reg, 'strangler_upgrades_open', { upstream: 'legacy' })).to.equal(0);
      expect(await metricValue(reg, 'strangler_connection_timeouts_total', { kind: 'upgrade' })).to.equal(10);
    } finally {
      await hang.close();
    }
  });

  it('passes an upstream refusal on, answers unmatched upgrades 404 and duplicate Host 400, all as JSON', async () => {
    const ws = await startWsUpstream();
    try {
      f = await startTestFacade(table(ws.url, svc.url, []));
      const refused = await rawConnect(f.port);
      refused.socket.write(upgradeRequest('/api/refuse'));
      await waitFor(() => refused.isClosed(), { what: 'the refused upgrade to close' });
      const r = parseResponses(refused.received()).responses[0];
      expect(r.status).to.equal(403);
      expect(JSON.parse(r.body.toString())).to.deep.equal({ refused: true });

      const unmatched = await rawConnect(f.port);
      unmatched.socket.write(upgradeRequest('/nowhere'));
      await waitFor(() => unmatched.isClosed(), { what: 'the unmatched upgrade to close' });
      const u = parseResponses(unmatched.received()).responses[0];
      expect(u.status).to.equal(404);
      expect(JSON.parse(u.body.toString()).error.code).to.equal('ROUTE_NOT_FOUND');

      const dup = await rawConnect(f.port);
      dup.socket.write('GET /api/ws HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      await waitFor(() => dup.isClosed(), { what: 'the duplicate-Host upgrade to close' });
      const d = parseResponses(dup.received()).responses[0];
      expect(d.status).to.equal(400);
      expect(JSON.parse(d.body.toString()).error.code).to.equal('BAD_REQUEST');
      expect(ws.seen.length).to.equal(1); // only the refused one reached the upstream
    } finally {
      await ws.close();
    }
  });
});
