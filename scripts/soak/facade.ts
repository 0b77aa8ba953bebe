/**
 * Facade soak: an upstream and the facade in this process on loopback, with an upstream pool smaller than the number
 * of clients, under a mix of normal keep-alive traffic (5 % of it clients that abort mid-request), slow uploaders,
 * idle keep-alive sockets and sockets that never send a byte, for a bounded time and request count. Afterwards every
 * client is gone: the open descriptors (/proc/self/fd) and RSS must come back near the baseline taken after warm-up,
 * every hostile socket must have been reaped by the facade, and no normal request may have failed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFacade, type FacadeHandle } from '../../strangler/index.ts';
import { destroyUpstreams } from '../../strangler/upstreams.ts';
import { DEFAULT_THRESHOLDS, mb, percentile, verdict, type Snapshot } from './report.ts';

export interface FacadeSoakOptions {
  seconds: number;
  /** Concurrent normal clients (keep-alive). */
  clients: number;
  /** Upstream pool size (kept below `clients`). */
  pool: number;
  /** Target rate of normal requests per second, all clients together. */
  rps: number;
  /** Hard cap on normal requests. */
  maxRequests: number;
  slowUploaders: number;
  idleSockets: number;
  silentSockets: number;
  /** Share of normal requests whose client aborts mid-request, in percent. */
  abortPercent: number;
}

export const DEFAULT_SOAK_SECONDS = 600;
export const DEFAULT_FACADE_SOAK: FacadeSoakOptions = {
  seconds: DEFAULT_SOAK_SECONDS, clients: 32, pool: 8, rps: 400, maxRequests: 2_000_000, slowUploaders: 4, idleSockets: 8, silentSockets: 16, abortPercent: 5,
};
/** The facade's deadlines during the soak: short, so hostile sockets cycle many times. */
const SOAK_LIMITS = { firstByteTimeoutMs: 1500, headersTimeoutMs: 2000, requestTimeoutMs: 4000, keepAliveTimeoutMs: 3000, maxConnections: 1024 };
/**
 * The clients' agents drop idle sockets well before the facade's keep-alive timeout. (Node's Agent ignores the server's
 * `keep-alive: timeout=` hint unless a `timeout` is set, and then reused sockets race the facade's close: ECONNRESET.)
 */
const AGENT_IDLE_MS = Math.floor(SOAK_LIMITS.keepAliveTimeoutMs / 2);
/** A hostile socket the facade has not closed by then counts as not reaped. */
const REAP_DEADLINE_MS = 15_000;
/** The facade's shutdown (grace included) must finish by then; otherwise its upstream pools are destroyed and the soak fails. */
const CLOSE_DEADLINE_MS = 10_000;
const WARMUP_MS = 2000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const fds = () => readdirSync('/proc/self/fd').length;
const snapshot = (): Snapshot => {
  const m = process.memoryUsage();
  return { fds: fds(), rssBytes: m.rss, heapUsedBytes: m.heapUsed };
};

async function startUpstream(): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const reply = (body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.url === '/api/slow') {
      const t = setTimeout(() => reply({ slow: true }), 100);
      res.once('close', () => clearTimeout(t));
      return;
    }
    let size = 0;
    req.on('data', (c: Buffer) => (size += c.length));
    req.on('end', () => reply({ ok: true, size }));
    req.on('error', () => res.destroy());
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

interface Counts {
  normalOk: number;
  normalFailed: number;
  failures: Map<string, number>;
  aborted: number;
  latenciesMs: number[];
  slowUploads: { answered408: number; otherEnd: number; notReaped: number };
  idle: { reaped: number; notReaped: number; failed: number };
  silent: { reaped: number; notReaped: number };
}

function fail(c: Counts, why: string): void {
  c.normalFailed++;
  c.failures.set(why, (c.failures.get(why) ?? 0) + 1);
}

/** One normal request; resolves when it is done (or deliberately aborted). */
function normalRequest(port: number, agent: Agent, c: Counts, abort: boolean): Promise<void> {
  return new Promise((resolve) => {
    const post = !abort && Math.random() < 0.1;
    const path = abort || Math.random() < 0.05 ? '/api/slow' : post ? '/api/upload' : '/api/fast';
    const t0 = performance.now();
    let settled = false;
    const done = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    const req = request({ host: '127.0.0.1', port, path, method: post ? 'POST' : 'GET', agent, headers: post ? { 'content-type': 'application/octet-stream' } : {} }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => {
        if (abort) return done();
        if (res.statusCode !== 200) fail(c, `status ${res.statusCode}`);
        else {
          try {
            JSON.parse(Buffer.concat(chunks).toString('utf8'));
            c.normalOk++;
            c.latenciesMs.push(performance.now() - t0);
          } catch {
            fail(c, 'bad body');
          }
        }
        done();
      });
      res.on('error', () => {
        if (!abort) fail(c, 'response error');
        done();
      });
    });
    req.setTimeout(15_000, () => req.destroy(new Error('client timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!abort) fail(c, `${err.code ?? err.message}${req.reusedSocket ? ' (reused socket)' : ''}`);
      done();
    });
    if (abort) {
      c.aborted++;
      setTimeout(() => {
        req.destroy();
        done();
      }, Math.floor(Math.random() * 80));
    }
    req.end(post ? randomBytes(4096) : undefined);
  });
}

/** A raw socket that does `act` and then waits for the facade to close it (or the reap deadline). */
function hostileSocket(port: number, act: (s: Socket) => void): Promise<{ reaped: boolean; received: string }> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let reaped = true;
    const guard = setTimeout(() => {
      reaped = false;
      s.destroy();
    }, REAP_DEADLINE_MS);
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('error', () => undefined);
    s.once('connect', () => act(s));
    s.once('close', () => {
      clearTimeout(guard);
      resolve({ reaped, received: Buffer.concat(chunks).toString('latin1') });
    });
  });
}

async function waitUntil(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(100);
  }
  return cond();
}

function facadeConnections(f: FacadeHandle): Promise<number> {
  return new Promise((r) => f.server.getConnections((_e, n) => r(n)));
}

async function metricLines(f: FacadeHandle): Promise<string[]> {
  const text = await f.metrics.registry.metrics();
  return text.split('\n').filter((l) => /^strangler_(connection_timeouts_total|connections_rejected_total|client_errors_total|client_connections|upgrades_open)\b/.test(l));
}

/** Closes the facade with a deadline; past it, destroys its upstream pools so the soak itself always ends. */
async function closeBounded(f: FacadeHandle): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([f.close().then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), CLOSE_DEADLINE_MS)))]);
  clearTimeout(timer);
  if (!closed) await destroyUpstreams(f.controller.active().upstreams.values());
  return closed;
}

export interface FacadeSoakResult {
  ok: boolean;
  problems: string[];
  seconds: number;
  normal: { ok: number; failed: number; aborted: number; failures: Record<string, number>; p50Ms: number; p99Ms: number };
  slowUploads: Counts['slowUploads'];
  idle: Counts['idle'];
  silent: Counts['silent'];
  before: Snapshot;
  after: Snapshot;
  metrics: string[];
}

export async function soakFacade(o: FacadeSoakOptions, log: (line: string) => void): Promise<FacadeSoakResult> {
  const upstream = await startUpstream();
  const dir = await mkdtemp(join(tmpdir(), 'strangler-soak-'));
  const routesFile = join(dir, 'routes.json');
  await writeFile(routesFile, JSON.stringify({
    version: 1, options: { routeHeader: false },
    upstreams: { legacy: { url: upstream.url, pool: o.pool, timeoutMs: 5000, connectTimeoutMs: 1000 } },
    fallbacks: [{ prefix: '/api', upstream: 'legacy' }], routes: [],
  }));
  const facade = await startFacade({
    host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0, adminToken: randomBytes(16).toString('hex'),
    source: { kind: 'file', path: routesFile }, auditFile: join(dir, 'audit.jsonl'),
    bodyLimit: 1024 * 1024, captureLimit: 64 * 1024, shutdownGraceMs: 2000, connections: SOAK_LIMITS,
  });
  const c: Counts = {
    normalOk: 0, normalFailed: 0, failures: new Map(), aborted: 0, latenciesMs: [],
    slowUploads: { answered408: 0, otherEnd: 0, notReaped: 0 }, idle: { reaped: 0, notReaped: 0, failed: 0 }, silent: { reaped: 0, notReaped: 0 },
  };
  try {
    const port = facade.port;
    // warm-up: fill the upstream pool and the JIT, then take the baseline with no client connected
    {
      const agent = new Agent({ keepAlive: true, maxSockets: o.clients, timeout: AGENT_IDLE_MS });
      const warm: Counts = { ...c, failures: new Map(), latenciesMs: [] };
      const end = Date.now() + WARMUP_MS;
      await Promise.all(Array.from({ length: o.clients }, async () => {
        while (Date.now() < end) await normalRequest(port, agent, warm, false);
      }));
      agent.destroy();
      await waitUntil(async () => (await facadeConnections(facade)) === 0, 10_000);
    }
    (globalThis as { gc?: () => void }).gc?.();
    const before = snapshot();
    log(`baseline: ${before.fds} fds, RSS ${mb(before.rssBytes)} MB; soaking ${o.seconds} s: ${o.clients} clients (pool ${o.pool}), ~${o.rps} req/s, `
      + `${o.abortPercent} % aborting, ${o.slowUploaders} slow uploaders, ${o.idleSockets} idle, ${o.silentSockets} silent sockets`);

    const t0 = Date.now();
    const deadline = t0 + o.seconds * 1000;
    const running = () => Date.now() < deadline && c.normalOk + c.normalFailed + c.aborted < o.maxRequests;
    const agent = new Agent({ keepAlive: true, maxSockets: o.clients, timeout: AGENT_IDLE_MS });
    const interval = (o.clients / o.rps) * 1000;
    const progress = setInterval(() => {
      const ps = facade.controller.active().upstreams.get('legacy')?.pool.stats;
      const mu = process.memoryUsage();
      log(`  ${Math.round((Date.now() - t0) / 1000)} s: ${c.normalOk} ok, ${c.normalFailed} failed, ${c.aborted} aborted, ${fds()} fds, RSS ${mb(mu.rss)} MB (heap ${mb(mu.heapUsed)}, external ${mb(mu.external)})`
        + (ps ? `; upstream pool: ${ps.connected} connected, ${ps.running} running, ${ps.pending} queued` : ''));
    }, 10_000);
    const workers: Promise<void>[] = [];
    for (let i = 0; i < o.clients; i++) {
      workers.push((async () => {
        while (running()) {
          const start = Date.now();
          await normalRequest(port, agent, c, Math.random() * 100 < o.abortPercent);
          const wait = interval - (Date.now() - start);
          if (wait > 0) await sleep(wait * (0.5 + Math.random()));
        }
      })());
    }
    for (let i = 0; i < o.slowUploaders; i++) {
      workers.push((async () => {
        while (running()) {
          const r = await hostileSocket(port, (s) => {
            s.write('POST /api/upload HTTP/1.1\r\nHost: soak\r\ncontent-type: application/octet-stream\r\ncontent-length: 100000\r\n\r\n');
            const drip = setInterval(() => (s.writable ? s.write('0123456789') : clearInterval(drip)), 300);
            s.once('close', () => clearInterval(drip));
          });
          if (!r.reaped) c.slowUploads.notReaped++;
          else if (r.received.startsWith('HTTP/1.1 408')) c.slowUploads.answered408++;
          else c.slowUploads.otherEnd++;
        }
      })());
    }
    for (let i = 0; i < o.idleSockets; i++) {
      workers.push((async () => {
        while (running()) {
          const r = await hostileSocket(port, (s) => s.write('GET /api/fast HTTP/1.1\r\nHost: soak\r\n\r\n'));
          if (!r.reaped) c.idle.notReaped++;
          else if (!r.received.startsWith('HTTP/1.1 200')) c.idle.failed++;
          else c.idle.reaped++;
        }
      })());
    }
    for (let i = 0; i < o.silentSockets; i++) {
      workers.push((async () => {
        while (running()) {
          const r = await hostileSocket(port, () => undefined);
          if (r.reaped) c.silent.reaped++;
          else c.silent.notReaped++;
        }
      })());
    }
    await Promise.all(workers);
    clearInterval(progress);
    agent.destroy();
    const seconds = (Date.now() - t0) / 1000;

    await waitUntil(async () => (await facadeConnections(facade)) === 0, 15_000);
    (globalThis as { gc?: () => void }).gc?.();
    await waitUntil(() => fds() <= before.fds + DEFAULT_THRESHOLDS.fdSlack, 10_000);
    const after = snapshot();
    const v = verdict({ ok: c.normalOk, failed: c.normalFailed }, before, after);
    const problems = [...v.problems];
    const notReaped = c.slowUploads.notReaped + c.idle.notReaped + c.silent.notReaped;
    if (notReaped > 0) problems.push(`${notReaped} hostile socket(s) not closed by the facade within ${REAP_DEADLINE_MS} ms`);
    if (c.idle.failed > 0) problems.push(`${c.idle.failed} idle socket(s) got no 200 before idling`);
    const closed = await closeBounded(facade);
    if (!closed) problems.push(`the facade did not shut down within ${CLOSE_DEADLINE_MS} ms (upstream requests still running)`);
    return {
      ok: problems.length === 0, problems, seconds,
      normal: {
        ok: c.normalOk, failed: c.normalFailed, aborted: c.aborted, failures: Object.fromEntries(c.failures),
        p50Ms: percentile(c.latenciesMs, 0.5), p99Ms: percentile(c.latenciesMs, 0.99),
      },
      slowUploads: c.slowUploads, idle: c.idle, silent: c.silent, before, after, metrics: await metricLines(facade),
    };
  } finally {
    await closeBounded(facade);
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
}
