import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import thrift from 'thrift';
import ProductService from '../../thrift/gen-nodejs/ProductService.js';
import { AppError } from '../../lib/errors.ts';
import { createLogger } from '../../lib/logger.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { createThriftClient, createThriftServer, currentCall, newRegistry, type ThriftServer } from '../index.ts';
import { FastBinaryProtocol, ReadBuffer, WriteBuffer } from '../protocol.ts';

const here = dirname(fileURLToPath(import.meta.url));
const NODE = process.execPath;

function product(id: string, name = `p${id}`) {
  return { id, shopId: '1', externalId: `e${id}`, name, price: '1.00', currency: 'KRW', status: 'active', likeCount: 0, viewCount: 0, popularityScore: 0, version: 1, discountRate: '0.00', createdAt: 't', updatedAt: 't' };
}

/** Test handler: ids drive behaviour ("slow:<ms>", "hang", "sync-conflict", "sync-boom", "async-boom"). */
function testHandler(seen: { requestIds: string[] } = { requestIds: [] }) {
  return {
    getProduct(ctx: { requestId?: string }, id: string) {
      seen.requestIds.push(ctx.requestId ?? '');
      if (id === 'sync-conflict') throw new AppError('CONFLICT', 'version 3 is stale');
      if (id === 'sync-boom') throw new TypeError("Cannot read properties of undefined (reading 'password')");
      if (id === 'hang') return new Promise(() => undefined);
      if (id === 'bad-shape') return { ...product(id), name: 42 };
      const m = /^slow:(\d+)$/.exec(id);
      if (m) return new Promise((r) => setTimeout(() => r(product(id)), Number(m[1])));
      return product(id);
    },
    async getMany(_ctx: unknown, ids: string[]) {
      if (ids[0] === 'async-boom') throw new Error('ER_ACCESS_DENIED_ERROR: Access denied for user root@10.1.2.3 using password secret');
      return ids.map((id) => product(id));
    },
  };
}

async function errorOf(p: Promise<unknown>): Promise<AppError & { exception?: string }> {
  try {
    await p;
  } catch (err) {
    return err as AppError & { exception?: string };
  }
  throw new Error('expected the call to fail');
}

function startChild(port: number): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [join(here, 'fixtures', 'product-server.ts'), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`fixture server exited early (${code})`)));
  });
}

function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('thrift plumbing failure behaviour @integration', function () {
  this.timeout(15_000);
  let server: ThriftServer;
  const seen = { requestIds: [] as string[] };
  const logs: string[] = [];
  const registry = newRegistry();
  const clients: { $close(): Promise<void> }[] = [];
  const children: ChildProcess[] = [];

  function client(opts: Partial<Parameters<typeof createThriftClient>[1]> = {}) {
    const c = createThriftClient(ProductService, { service: 'product', port: server.port, timeoutMs: 1000, registry, ...opts });
    clients.push(c);
    return c;
  }

  before(async () => {
    const destination = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
    server = await createThriftServer({
      service: 'product', module: ProductService, handler: testHandler(seen), registry,
      logger: createLogger('test', { level: 'debug', destination }), maxFrameBytes: 64 * 1024,
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.$close()));
    await Promise.all(children.splice(0).map(killChild));
  });
  after(() => server.close());

  it('multiplexes calls on one connection and matches out-of-order replies by seqid', async () => {
    const c = client({ poolSize: 1 });
    const done: string[] = [];
    const calls = ['slow:300', 'slow:10', 'slow:150', 'plain'].map((id) => c.getProduct({}, id, {}).then((p) => { done.push(p.id); return p; }));
    expect(c.$stats().inFlight + c.$stats().queued).to.equal(4);
    const got = await Promise.all(calls);
    expect(got.map((p) => p.id)).to.deep.equal(['slow:300', 'slow:10', 'slow:150', 'plain']);
    // Serial calls would finish in call order; multiplexed ones finish in the order the server answers.
    expect(done).to.deep.equal(['plain', 'slow:10', 'slow:150', 'slow:300']);
    expect(c.$stats()).to.include({ size: 1, ready: 1, inFlight: 0 });
  });

  it('the pool grows with load: one connection until every open one carries targetInFlightPerConnection calls', async () => {
    const s = await createThriftServer({ service: 'product', module: ProductService, handler: testHandler() });
    try {
      const c = client({ port: s.port, poolSize: 4, targetInFlightPerConnection: 4 });
      await c.ping();
      for (let i = 0; i < 5; i++) await c.getProduct({}, String(i), {});
      expect(s.connections().accepted).to.equal(1);
      // Four callers at once still fit on the one connection.
      await Promise.all(Array.from({ length: 4 }, () => c.getProduct({}, 'slow:50', {})));
      expect(s.connections().accepted).to.equal(1);
      // Sixteen need four connections of about four calls each; never more than poolSize.
      await Promise.all(Array.from({ length: 16 }, () => c.getProduct({}, 'slow:100', {})));
      expect(s.connections().accepted).to.equal(4);
      await Promise.all(Array.from({ length: 40 }, () => c.getProduct({}, 'slow:50', {})));
      expect(s.connections().accepted).to.equal(4);
      expect(c.$stats()).to.include({ size: 4, ready: 4, inFlight: 0, queued: 0 });
    } finally {
      await s.close();
    }
  });

  it('the pool shrinks when idle: connections the server closes for idleness reopen only when load needs them', async () => {
    const s = await createThriftServer({ service: 'product', module: ProductService, handler: testHandler(), idleTimeoutMs: 1200 });
    try {
      const c = client({ port: s.port, poolSize: 4, targetInFlightPerConnection: 1 });
      await Promise.all(Array.from({ length: 4 }, () => c.getProduct({}, 'slow:50', {})));
      expect(s.connections().accepted).to.equal(4);
      // All four go idle and the server closes them; only the last one to close reconnects at once.
      await waitFor(() => s.connections().accepted >= 5, { timeoutMs: 8000, what: 'idle connections closed and one reopened' });
      await waitFor(() => { const st = c.$stats(); return st.ready === 1 && st.connecting === 0 && st.backoff === 0; }, { timeoutMs: 4000, what: 'one ready connection, the other slots idle' });
      expect(c.$stats().size).to.equal(4);
      // Load grows the pool again.
      const before = s.connections().accepted;
      await Promise.all(Array.from({ length: 4 }, () => c.getProduct({}, 'slow:50', {})));
      expect(s.connections().accepted - before).to.equal(3);
    } finally {
      await s.close();
    }
  });

  it('calls with different deadlines on one connection each reject at their own deadline', async () => {
    const c = client({ poolSize: 1, timeoutMs: 5000 });
    await c.ping();
    const t0 = Date.now();
    const settledAt = (p: Promise<unknown>) => errorOf(p).then((e) => ({ code: e.code, ms: Date.now() - t0 }));
    // The later deadline is armed first; the earlier one, added after it, must still fire on time.
    const late = settledAt(c.getProduct({ timeoutMs: 900 }, 'hang', {}));
    const early = settledAt(c.getProduct({ timeoutMs: 100 }, 'hang', {}));
    const mid = settledAt(c.getProduct({ timeoutMs: 400 }, 'hang', {}));
    const e = await early;
    expect(e.code).to.equal('DEADLINE_EXCEEDED');
    expect(e.ms).to.be.within(90, 380);
    expect(c.$stats().inFlight).to.equal(2);
    const m = await mid;
    expect(m.code).to.equal('DEADLINE_EXCEEDED');
    expect(m.ms).to.be.within(390, 880);
    const l = await late;
    expect(l.code).to.equal('DEADLINE_EXCEEDED');
    expect(l.ms).to.be.at.least(890);
    expect(c.$stats().inFlight).to.equal(0);
  });

  it('a service killed mid-call: the caller gets a typed UNAVAILABLE well within its deadline', async () => {
    const { child, port } = await startChild(0);
    children.push(child);
    const c = client({ port, timeoutMs: 5000 });
    expect((await c.getProduct({}, '1', {})).id).to.equal('1');
    const t0 = Date.now();
    const pending = errorOf(c.getProduct({}, 'slow:3000', {}));
    await waitFor(() => c.$stats().inFlight === 1, { what: 'call in flight' });
    await killChild(child);
    const err = await pending;
    expect(err.code).to.equal('UNAVAILABLE');
    expect(err.exception).to.equal('Unavailable');
    expect(err.status).to.equal(503);
    expect(Date.now() - t0).to.be.below(2000);
    // While it is down, calls fail fast instead of waiting out their deadline.
    const t1 = Date.now();
    expect((await errorOf(c.getProduct({}, '2', {}))).code).to.equal('UNAVAILABLE');
    expect(Date.now() - t1).to.be.below(1500);
  });

  it('a service restarted: the pool reconnects with backoff and later calls succeed', async () => {
    const first = await startChild(0);
    children.push(first.child);
    const c = client({ port: first.port, backoff: { initialMs: 20, maxMs: 200 } });
    expect((await c.getProduct({}, 'a', {})).id).to.equal('a');
    await killChild(first.child);
    await waitFor(() => c.$stats().ready === 0, { what: 'pool noticed the outage' });
    const second = await startChild(first.port);
    children.push(second.child);
    await waitFor(() => c.$stats().ready > 0, { timeoutMs: 5000, what: 'reconnect' });
    const results = await Promise.all(['b', 'c', 'd'].map((id) => c.getProduct({}, id, {})));
    expect(results.map((p) => p.id)).to.deep.equal(['b', 'c', 'd']);
  });

  it('a connection the server closes when idle reconnects at once; the next call does not fail', async () => {
    const s = await createThriftServer({ service: 'product', module: ProductService, handler: testHandler(), idleTimeoutMs: 1100 });
    try {
      const c = client({ port: s.port, poolSize: 1 });
      expect((await c.getProduct({}, '1', {})).id).to.equal('1');
      await waitFor(() => s.connections().accepted === 2, { timeoutMs: 4000, what: 'idle close and reconnect' });
      expect((await c.getProduct({}, '2', {})).id).to.equal('2');
    } finally {
      await s.close();
    }
  });

  it('a service that never answers: the call rejects with DEADLINE_EXCEEDED at its deadline', async () => {
    const c = client({ timeoutMs: 200 });
    const t0 = Date.now();
    const err = await errorOf(c.getProduct({}, 'hang', {}));
    const took = Date.now() - t0;
    expect(err.code).to.equal('DEADLINE_EXCEEDED');
    expect(err.status).to.equal(504);
    expect(took).to.be.within(180, 1000);
    // ctx.timeoutMs shortens the deadline per call.
    const slowDefault = client({ timeoutMs: 3000 });
    const t1 = Date.now();
    expect((await errorOf(slowDefault.getProduct({ timeoutMs: 50 }, 'hang', {}))).code).to.equal('DEADLINE_EXCEEDED');
    expect(Date.now() - t1).to.be.below(1500);
    // The connection stays usable; the late reply of an abandoned call is ignored.
    expect((await c.getProduct({}, 'ok', {})).id).to.equal('ok');
  });

  it('a peer that accepts TCP but never reads or answers: deadline, no hang', async () => {
    let accepted = 0;
    const sink = net.createServer(() => { accepted++; });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
    try {
      const c = client({ port: (sink.address() as net.AddressInfo).port, timeoutMs: 150 });
      const err = await errorOf(c.getProduct({}, '1', {}));
      expect(err.code).to.equal('DEADLINE_EXCEEDED');
      // A second silent timeout triggers a ping probe; no answer recycles the connection (half-open peers).
      expect((await errorOf(c.getProduct({}, '2', {}))).code).to.equal('DEADLINE_EXCEEDED');
      expect(accepted).to.equal(1);
      await waitFor(() => accepted === 2, { timeoutMs: 3000, what: 'black-holed connection recycled and reopened' });
    } finally {
      sink.close();
      // the pool's socket to the sink is closed by afterEach
    }
  });

  it('malformed frames (garbage, oversized and negative lengths) drop only that connection', async () => {
    const c = client();
    expect((await c.getProduct({}, 'before', {})).id).to.equal('before');
    const payloads = [
      Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]), // 2 GB frame length
      Buffer.from([0xff, 0xff, 0xff, 0xf0]), // negative length
      Buffer.concat([Buffer.from([0, 0, 0, 12]), Buffer.from('GET / HTTP/1')]), // in-limit frame, garbage inside
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), // HTTP to the Thrift port (length 0x47455420 > limit)
    ];
    for (const bytes of payloads) {
      const sock = net.connect(server.port, '127.0.0.1');
      const closed = new Promise<void>((r) => sock.once('close', () => r()));
      sock.on('error', () => undefined);
      sock.write(bytes);
      await closed;
    }
    const results = await Promise.all(['x', 'y'].map((id) => c.getProduct({}, id, {})));
    expect(results.map((p) => p.id)).to.deep.equal(['x', 'y']);
    expect(logs.join('')).to.include('malformed frame');
  });

  it('a flood beyond pool capacity: bounded queue, clear POOL_EXHAUSTED at once for the rest', async () => {
    const c = client({ poolSize: 1, maxInFlightPerConnection: 2, maxQueue: 3, timeoutMs: 3000 });
    await c.ping();
    const t0 = Date.now();
    const calls = Array.from({ length: 10 }, (_, i) => c.getProduct({}, `slow:100`, {}).then(() => 'ok', (e: AppError) => { if (e.code !== 'POOL_EXHAUSTED') throw e; return `${e.code} after ${Date.now() - t0}ms: ${e.message}`; }));
    const outcomes = await Promise.all(calls);
    const ok = outcomes.filter((o) => o === 'ok');
    const rejected = outcomes.filter((o) => o !== 'ok');
    expect(ok).to.have.length(5); // 2 in flight + 3 queued
    expect(rejected).to.have.length(5);
    for (const r of rejected) expect(r).to.match(/^POOL_EXHAUSTED after \d{1,2}ms: product: 3 calls already waiting/);
    expect(c.$stats()).to.include({ queued: 0, inFlight: 0 });
  });

  it('the server caps calls in flight per connection and reads the rest as replies go out', async () => {
    let now = 0;
    let peak = 0;
    const s = await createThriftServer({
      service: 'product', module: ProductService, maxInFlightPerConnection: 5,
      handler: {
        async getProduct(_ctx: unknown, id: string) {
          peak = Math.max(peak, ++now);
          await new Promise((r) => setTimeout(r, 20));
          now--;
          return product(id);
        },
      },
    });
    try {
      const c = client({ port: s.port, poolSize: 1, maxInFlightPerConnection: 64 });
      const ids = Array.from({ length: 30 }, (_, i) => String(i));
      const got = await Promise.all(ids.map((id) => c.getProduct({}, id, {})));
      expect(got.map((p) => p.id)).to.deep.equal(ids);
      expect(peak).to.equal(5);
    } finally {
      await s.close();
    }
  });

  it('a synchronous throw in a handler becomes a typed error, not a hang', async () => {
    const c = client({ timeoutMs: 3000 });
    const t0 = Date.now();
    const conflict = await errorOf(c.getProduct({}, 'sync-conflict', {}));
    expect(conflict).to.include({ code: 'CONFLICT', status: 409, exception: 'Conflict', message: 'version 3 is stale' });
    const boom = await errorOf(c.getProduct({}, 'sync-boom', {}));
    expect(boom).to.include({ code: 'INTERNAL', exception: 'Unavailable' });
    expect(Date.now() - t0).to.be.below(500);
  });

  it('an undeclared error leaks no internals to the caller and is logged with the request id', async () => {
    const c = client();
    const err = await errorOf(c.getMany({ requestId: 'rid-undeclared-1' }, ['async-boom'], {}));
    expect(err).to.include({ code: 'INTERNAL', status: 500, exception: 'Unavailable' });
    expect(err.message).to.equal('Internal server error (request id rid-undeclared-1)');
    expect(JSON.stringify(err)).to.not.match(/ER_ACCESS|10\.1\.2\.3|secret/);
    const line = logs.find((l) => l.includes('rid-undeclared-1') && l.includes('thrift handler failed'));
    expect(line, 'server log line').to.be.a('string');
    expect(line).to.include('ER_ACCESS_DENIED_ERROR');
  });

  it('a handler result that does not fit the IDL: PROTOCOL_ERROR for the caller, logged on the server, connection intact', async () => {
    const c = client();
    const err = await errorOf(c.getProduct({}, 'bad-shape', {}));
    expect(err).to.include({ code: 'PROTOCOL_ERROR', status: 502 });
    expect(logs.join('')).to.include('application exception');
    expect((await c.getProduct({}, 'fine', {})).id).to.equal('fine');
  });

  it('a hanging method does not get a healthy connection recycled (the ping probe answers)', async () => {
    const c = client({ poolSize: 1, timeoutMs: 100 });
    for (let i = 0; i < 3; i++) expect((await errorOf(c.getProduct({}, 'hang', {}))).code).to.equal('DEADLINE_EXCEEDED');
    expect((await c.getProduct({}, 'after', {})).id).to.equal('after');
    expect(c.$stats()).to.include({ ready: 1, backoff: 0 });
  });

  it('propagates request ids: given, generated, and inherited by nested service calls', async () => {
    const c = client();
    seen.requestIds.length = 0;
    await c.getProduct({ requestId: 'rid-given' }, '1', {});
    await c.getProduct(undefined, '2', {});
    expect(seen.requestIds[0]).to.equal('rid-given');
    expect(seen.requestIds[1]).to.match(/^[0-9a-f-]{36}$/);
    // A front service whose handler calls the product service: the inner call carries the outer request id and deadline.
    const inner = client();
    let innerDeadline: number | undefined;
    const front = await createThriftServer({
      service: 'front', module: ProductService, registry,
      handler: {
        async getProduct(_ctx: unknown, id: string) {
          innerDeadline = currentCall()?.deadline;
          return inner.getProduct(undefined, id, {});
        },
      },
    });
    try {
      const f = client({ port: front.port });
      seen.requestIds.length = 0;
      await f.getProduct({ requestId: 'rid-outer', timeoutMs: 700 }, '3', {});
      expect(seen.requestIds).to.deep.equal(['rid-outer']);
      expect(innerDeadline! - Date.now()).to.be.within(0, 700);
    } finally {
      await front.close();
    }
  });

  it('the served call: currentCall() gives service, method, request id, actor, deadline and a logger bound to the request id', async () => {
    let info: ReturnType<typeof currentCall>;
    const s = await createThriftServer({
      service: 'front', module: ProductService, logger: createLogger('test', { level: 'silent' }),
      handler: { async getProduct(_ctx: unknown, id: string) { info = currentCall(); return product(id); } },
    });
    try {
      const before = Date.now();
      await client({ port: s.port }).getProduct({ requestId: 'rid-info', actor: { kind: 'merchant', id: '9' }, timeoutMs: 500 }, '1', {});
      expect(info).to.include({ service: 'front', method: 'getProduct', requestId: 'rid-info' });
      expect(info!.actor).to.include({ kind: 'merchant', id: '9' });
      expect(info!.deadline! - before).to.be.within(0, 600);
      expect(info!.logger.bindings()).to.include({ requestId: 'rid-info', rpc: 'front.getProduct' });
      expect(info!.logger, 'made once').to.equal(info!.logger);
    } finally {
      await s.close();
    }
  });

  it('records per-method server and client metrics with error codes', async () => {
    const c = client();
    await c.getProduct({}, 'm1', {});
    await errorOf(c.getProduct({}, 'sync-conflict', {}));
    const text = await registry.metrics();
    expect(text).to.match(/thrift_server_calls_total\{service="product",method="getProduct"\} \d+/);
    expect(text).to.match(/thrift_server_errors_total\{service="product",method="getProduct",code="CONFLICT"\} \d+/);
    expect(text).to.match(/thrift_client_call_duration_seconds_count\{service="product",method="getProduct"\} \d+/);
    expect(text).to.match(/thrift_client_errors_total\{service="product",method="getProduct",code="CONFLICT"\} \d+/);
  });

  it('health: ping and the default health method, with failing checks reported as down', async () => {
    const s = await createThriftServer({
      service: 'product', module: ProductService, handler: {}, version: '1.2.3',
      healthChecks: { db: () => undefined, redis: () => { throw new Error('ECONNREFUSED'); } },
    });
    try {
      const c = client({ port: s.port });
      expect(await c.$healthy()).to.equal(true);
      const h = await c.health({});
      expect(h).to.deep.include({ status: 'down', serviceName: 'product', version: '1.2.3', checks: { db: 'ok', redis: 'down' } });
      const missing = await errorOf(c.getProduct({}, '1', {}));
      expect(missing.code).to.equal('NOT_IMPLEMENTED');
    } finally {
      await s.close();
    }
  });

  it('graceful close lets in-flight calls finish and refuses new connections', async () => {
    const s = await createThriftServer({ service: 'product', module: ProductService, handler: testHandler() });
    const c = client({ port: s.port });
    await c.ping();
    const slow = c.getProduct({}, 'slow:150', {});
    await waitFor(() => s.inFlight() === 1, { what: 'in flight' });
    await s.close();
    expect((await slow).id).to.equal('slow:150');
    expect((await errorOf(c.getProduct({}, '1', {}))).code).to.equal('UNAVAILABLE');
  });

  it('HTTP transport: calls, typed errors, header request id, deadline', async () => {
    const hseen = { requestIds: [] as string[] };
    const s = await createThriftServer({ service: 'product', module: ProductService, handler: testHandler(hseen), transport: 'http', closeGraceMs: 100 });
    try {
      const c = client({ port: s.port, transport: 'http', timeoutMs: 200 });
      expect(await c.ping()).to.equal('pong');
      expect((await c.getMany({ requestId: 'rid-http' }, ['1', '2'], {})).map((p) => p.id)).to.deep.equal(['1', '2']);
      expect((await errorOf(c.getProduct({}, 'sync-conflict', {}))).code).to.equal('CONFLICT');
      expect((await errorOf(c.getProduct({}, 'hang', {}))).code).to.equal('DEADLINE_EXCEEDED');
      // A caller that sends no request id in the context: the x-request-id header is used.
      let body: Buffer = Buffer.alloc(0);
      const raw = new ProductService.Client(new WriteBuffer((b) => { body = b; }, { framed: false }) as never, FastBinaryProtocol as never) as unknown as { send_getProduct(ctx: object, id: string, v: object): void; _seqid: number };
      raw._seqid = 1;
      raw.send_getProduct({}, 'hdr', {});
      hseen.requestIds.length = 0;
      const ok = await fetch(`http://127.0.0.1:${s.port}/thrift`, { method: 'POST', body, headers: { 'x-request-id': 'rid-from-header', 'content-type': 'application/x-thrift' } });
      expect(ok.status).to.equal(200);
      const reply = new FastBinaryProtocol(new ReadBuffer(Buffer.from(await ok.arrayBuffer())));
      expect(reply.readMessageBegin()).to.include({ fname: 'getProduct', mtype: 2, rseqid: 1 });
      expect(hseen.requestIds).to.deep.equal(['rid-from-header']);
      const res = await fetch(`http://127.0.0.1:${s.port}/thrift`, { method: 'POST', body: 'garbage!', headers: { 'x-request-id': 'r' } });
      expect(res.status).to.equal(400);
      expect(await c.ping()).to.equal('pong');
    } finally {
      await s.close();
    }
  });

  it('compact protocol end to end (TCP and HTTP), interoperable with the stock runtime', async () => {
    const tcp = await createThriftServer({ service: 'product', module: ProductService, handler: testHandler(), protocol: 'compact' });
    const web = await createThriftServer({ service: 'product', module: ProductService, handler: testHandler(), protocol: 'compact', transport: 'http' });
    try {
      const c = client({ port: tcp.port, protocol: 'compact' });
      expect((await c.getMany({}, ['1', '2'], {})).map((p) => p.name)).to.deep.equal(['p1', 'p2']);
      expect((await errorOf(c.getProduct({}, 'sync-conflict', {}))).code).to.equal('CONFLICT');
      const h = client({ port: web.port, protocol: 'compact', transport: 'http' });
      expect((await h.getProduct({}, '3', {})).name).to.equal('p3');
      const conn = thrift.createConnection('127.0.0.1', tcp.port, { transport: thrift.TFramedTransport, protocol: thrift.TCompactProtocol });
      conn.on('error', () => undefined);
      try {
        const stock = thrift.createClient(ProductService as never, conn) as unknown as { getMany(ctx: object, ids: string[], v: object): Promise<{ id: string }[]> };
        expect((await stock.getMany({}, ['8'], {})).map((p) => p.id)).to.deep.equal(['8']);
      } finally {
        conn.end();
      }
      // A binary client talking to a compact server is refused at the first frame, not hung.
      const wrong = client({ port: tcp.port, protocol: 'binary', timeoutMs: 1000 });
      expect((await errorOf(wrong.getProduct({}, '1', {}))).code).to.equal('UNAVAILABLE');
    } finally {
      await tcp.close();
      await web.close();
    }
  });

  it('speaks standard framed binary: the stock runtime client calls our server and our client calls a stock server', async () => {
    const conn = thrift.createConnection('127.0.0.1', server.port, { transport: thrift.TFramedTransport, protocol: thrift.TBinaryProtocol });
    conn.on('error', () => undefined);
    try {
      const stock = thrift.createClient(ProductService as never, conn) as unknown as { getMany(ctx: object, ids: string[], v: object): Promise<{ id: string }[]> };
      expect((await stock.getMany({ requestId: 'stock' }, ['7'], {})).map((p) => p.id)).to.deep.equal(['7']);
    } finally {
      conn.end();
    }
    const stockServer = thrift.createServer(ProductService as never, { ping: async () => 'stock-pong', getProduct: async (_c: unknown, id: string, _view: unknown) => product(id) } as never, { transport: thrift.TFramedTransport, protocol: thrift.TBinaryProtocol });
    await new Promise<void>((r) => stockServer.listen(0, '127.0.0.1', () => r()));
    try {
      const c = client({ port: (stockServer.address() as net.AddressInfo).port });
      expect(await c.ping()).to.equal('stock-pong');
      expect((await c.getProduct({}, '9', {})).name).to.equal('p9');
    } finally {
      stockServer.close();
    }
  });
});
