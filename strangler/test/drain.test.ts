/**
 * The drain deadline (issue #12 leftover): a client that stays connected but reads nothing must not hold a pooled
 * upstream connection forever. Real upstream, real facade, real client sockets that stop reading.
 */
import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { waitFor } from '../../test/helpers/wait.ts';
import { loadFacadeConfig } from '../config.ts';
import { DEFAULT_CLIENT_DRAIN_TIMEOUT_MS } from '../engine.ts';
import { json, send, startTestFacade, type TestFacade, captureLogger } from './helpers.ts';
import type { FacadeConfig } from '../config.ts';

const BIG = 20 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 120);

interface Up {
  url: string;
  started: string[];
  cut: string[];
  close(): Promise<void>;
}

/** `/api/big?n=<bytes>` streams n bytes (default 20 MB) with backpressure; anything else answers small JSON. */
async function startUp(): Promise<Up> {
  const sockets = new Set<Socket>();
  const up = { started: [] as string[], cut: [] as string[] } as Up;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    up.started.push(req.url!);
    res.on('close', () => {
      if (!res.writableFinished) up.cut.push(req.url!);
    });
    const m = /^\/api\/big(?:\?n=(\d+))?$/.exec(req.url!);
    if (m === null) return json(res, 200, { ok: true });
    const total = m[1] !== undefined ? Number(m[1]) : BIG;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
    let sent = 0;
    const pump = () => {
      while (!res.destroyed && sent < total) {
        const n = Math.min(CHUNK.length, total - sent);
        sent += n;
        const ok = res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
        if (sent === total) return void res.end();
        if (!ok) return;
      }
    };
    res.on('drain', pump);
    pump();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  up.close = () => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  });
  return up;
}


async function counter(f: TestFacade, name: string, labels: Record<string, string>): Promise<number> {
  const m = await f.metrics.registry.getSingleMetric(name)?.get();
  let sum = 0;
  for (const v of m?.values ?? []) if (Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, string>)[k]) === want)) sum += v.value;
  return sum;
}

/** A client that sends one request and then reads only when told (`socket` starts paused). */
function pausedClient(port: number, path: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
      resolve(socket);
    });
    socket.pause();
    socket.on('error', () => undefined);
  });
}

describe('strangler drain deadline: clients that never read their response @integration', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanup.length) await Promise.race([cleanup.pop()!().catch(() => undefined), new Promise((r) => setTimeout(r, 3000).unref())]);
  });
  async function setup(drainMs: number) {
    const up = await startUp();
    cleanup.push(() => up.close());
    const log = captureLogger();
    const doc = {
      version: 1, options: {}, fallbacks: [],
      upstreams: { u: { url: up.url, pool: 1, timeoutMs: 2000, queueTimeoutMs: 6000 } },
      routes: [{ id: 'r', path: '/api/*', legacy: 'u' }],
    };
    const config: Partial<FacadeConfig> = { clientDrainTimeoutMs: drainMs };
    const f = await startTestFacade(doc, { config, logger: log.logger });
    cleanup.push(() => f.stop());
    return { up, f, lines: log.lines };
  }

  it('a client that stops reading a 20 MB answer is cut at the drain deadline, freeing the only pooled connection', async function () {
    this.timeout(20_000);
    const { up, f, lines } = await setup(300);
    const stuck = await pausedClient(f.port, '/api/big');
    cleanup.push(async () => void stuck.destroy());
    await waitFor(() => up.started.length === 1, { what: 'the big answer started' });
    // the only pooled connection is taken; a second request must be answered once the stalled one is cut
    const t0 = Date.now();
    const r = await send(`${f.url}/api/after`, { timeoutMs: 5000 });
    expect(r.status, 'second request through the same pool-1 upstream').to.equal(200);
    expect(Date.now() - t0).to.be.lessThan(4000);
    await waitFor(() => up.cut.includes('/api/big'), { what: 'the upstream request aborted' });
    expect(await counter(f, 'strangler_client_stalls_total', { route: 'r' })).to.equal(1);
    expect(await counter(f, 'strangler_client_aborts_total', { route: 'r' }), 'a stall is not a client abort').to.equal(0);
    expect(f.stats.get('r').aborted).to.equal(1);
    const warn = lines.find((l) => l.kind === 'client-stall');
    expect(warn, 'warn line').to.include({ route: 'r', upstream: 'u', stalledMs: 300 });
    expect(warn!.requestId).to.be.a('string');
  });

  it('a slow client that keeps reading (pauses shorter than the deadline) gets the whole answer', async function () {
    this.timeout(20_000);
    const { up, f } = await setup(1000);
    const total = 12 * 1024 * 1024;
    const client = await pausedClient(f.port, `/api/big?n=${total}`);
    cleanup.push(async () => void client.destroy());
    let got = 0;
    let headEnd = -1;
    let head = '';
    let burst = 0;
    client.on('data', (d: Buffer) => {
      burst += d.length;
      if (headEnd === -1) {
        head += d.toString('latin1');
        const i = head.indexOf('\r\n\r\n');
        if (i === -1) return;
        headEnd = i + 4;
        got = Buffer.byteLength(head, 'latin1') - headEnd;
      } else got += d.length;
      if (burst >= 512 * 1024) client.pause();
    });
    // read in bursts of 512 KB, then nothing for 150 ms: the kernel's buffers let the facade write again well within the 1 s deadline; the whole takes several
    const started = Date.now();
    while (got < total && Date.now() - started < 15_000) {
      burst = 0;
      client.resume();
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(head.slice(0, 12)).to.equal('HTTP/1.1 200');
    expect(got).to.equal(total);
    expect(Date.now() - started, 'the answer took several deadlines (the pauses were real)').to.be.greaterThan(2000);
    expect(await counter(f, 'strangler_client_stalls_total', { route: 'r' })).to.equal(0);
    expect(up.cut).to.deep.equal([]);
  });

  it('STRANGLER_CLIENT_DRAIN_TIMEOUT_MS has a default and a clear message', () => {
    expect(loadFacadeConfig({}).clientDrainTimeoutMs).to.equal(DEFAULT_CLIENT_DRAIN_TIMEOUT_MS);
    expect(loadFacadeConfig({ STRANGLER_CLIENT_DRAIN_TIMEOUT_MS: '1500' }).clientDrainTimeoutMs).to.equal(1500);
    expect(() => loadFacadeConfig({ STRANGLER_CLIENT_DRAIN_TIMEOUT_MS: '5' })).to.throw(/STRANGLER_CLIENT_DRAIN_TIMEOUT_MS/);
    expect(() => loadFacadeConfig({ STRANGLER_CLIENT_DRAIN_TIMEOUT_MS: 'soon' })).to.throw(/STRANGLER_CLIENT_DRAIN_TIMEOUT_MS/);
  });
});
