/**
 * `npm run bench -- service-cpu`: CPU per request of the services' main
 * reads, from /proc accounting, for docs/capacity.md. CPU time per request
 * moves far less with machine load than req/s, so these figures hold on the
 * shared 2-core VM where wall-clock figures do not.
 *
 * Set-up: a throwaway MariaDB server (test/helpers/mariadb-server.ts; nothing
 * else uses it, so its mariadbd's CPU is this bench's alone), seeded by
 * scripts/seed at SERVICE_CPU_SCALE; the product, shop and user services in
 * one child process (_service-stack-proc.ts: real Thrift between them, as in
 * production minus the network); the load generator is this process. Each
 * case runs SERVICE_CPU_SECONDS closed-loop at SERVICE_CPU_CONCURRENCY, cases
 * interleaved over SERVICE_CPU_ROUNDS rounds; per case (median of rounds):
 * - service µs/req: the services process's utime+stime (/proc/<pid>/stat)
 *   per request — includes a peer call's both ends when the read calls
 *   another service (product → shop for the shop name), all in that process;
 * - mariadbd µs/req and per query (Questions from SHOW GLOBAL STATUS, the
 *   monitor's own statements subtracted);
 * - client µs/req (this process, process.cpuUsage), for the record.
 * Then the search service's query CPU: the embedded backend (the default)
 * rebuilt from the seeded products in this process and queried closed-loop
 * with search.ts's query set (CPU per query from process.cpuUsage).
 *
 * Env: SERVICE_CPU_SCALE (seed scale, 5 = 10 k products; 500 = 1 M),
 * SERVICE_CPU_SECONDS (3), SERVICE_CPU_ROUNDS (3), SERVICE_CPU_CONCURRENCY (8),
 * SERVICE_CPU_SEARCH=0 skips the search part.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { Pool } from 'undici';
import { createKnex, ensureDatabase, withDatabase } from '../../lib/db.ts';
import { migrateLatest } from '../../lib/migrate.ts';
import { closeServiceClients, createServiceClients } from '../../rpc/index.ts';
import { EmbeddedBackend } from '../../services/search/backends/embedded.ts';
import { runReindex } from '../../services/search/reindex.ts';
import { ReindexRunStore } from '../../services/search/repository.ts';
import { KnexProductSource } from '../../services/search/source.ts';
import { startMariaDb } from '../../test/helpers/mariadb-server.ts';
import { migrateLegacy } from '../migrate.ts';
import { DEMO_USER } from '../seed/demo.ts';
import { DEFAULT_SEED, planCounts } from '../seed/plan.ts';
import { seedDatabase } from '../seed/run.ts';
import type { BenchResult } from './cli.ts';
import { rssMiB } from './_machine-cpu.ts';
import { QUERIES } from './search.ts';
import { formatLoad, judge, loadAverage, verdictLines } from './_noise.ts';
import { processCpuMs } from './_proc-cpu.ts';

const num = (name: string, d: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return d;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${v}"`);
  return n;
};
const SCALE = num('SERVICE_CPU_SCALE', 5);
const SECONDS = num('SERVICE_CPU_SECONDS', 3);
const ROUNDS = Math.max(1, num('SERVICE_CPU_ROUNDS', 3));
const CONC = Math.max(1, num('SERVICE_CPU_CONCURRENCY', 8));
const SEARCH = process.env.SERVICE_CPU_SEARCH !== '0';
const ANCHOR = Date.parse('2026-06-01T00:00:00Z');

const log = (s: string) => process.stderr.write(`service-cpu: ${s}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const rnd = (n: number) => 1 + Math.floor(Math.random() * n);

function startStack(dsn: string): Promise<{ child: ChildProcess; ports: Record<'product' | 'shop' | 'user', { http: number; thrift: number }> }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./_service-stack-proc.ts', import.meta.url)), dsn], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'silent' } });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => {
      try {
        resolve({ child, ports: JSON.parse(line) });
      } catch (err) {
        reject(err);
      }
    });
    child.once('exit', (code) => reject(new Error(`service stack exited with ${code} before reporting its ports`)));
  });
}

/** Closed loop: CONC workers call `f` for `seconds`; counts calls and failures. */
async function closedLoop(seconds: number, f: () => Promise<unknown>): Promise<{ calls: number; failed: number; wallMs: number; firstError?: string }> {
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let calls = 0;
  let failed = 0;
  let firstError: string | undefined;
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (performance.now() < end) {
      try {
        await f();
        calls++;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message.slice(0, 160);
      }
    }
  }));
  return { calls, failed, wallMs: performance.now() - t0, firstError };
}

interface Case { service: string; read: string; call: () => Promise<unknown> }
interface Sample { rps: number; svcUs: number; dbUs: number; queries: number; dbUsPerQuery: number; clientUs: number }

export async function run(): Promise<BenchResult[]> {
  const loadBefore = loadAverage();
  const c = planCounts(SCALE);
  log(`throwaway MariaDB, seed scale ${SCALE} (${c.products.toLocaleString('en-US')} products, ${c.shops} shops, ${c.users.toLocaleString('en-US')} users); load average ${formatLoad(loadBefore)}`);
  const server = await startMariaDb();
  const mariadbPid = Number(readFileSync(join(server.dir, 'pid'), 'utf8').trim());
  const dsn = server.dsn('svc_cpu');
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  let monitor: mysql.Connection | undefined;
  let clients: ReturnType<typeof createServiceClients<'product' | 'shop' | 'user'>> | undefined;
  const pools: Pool[] = [];
  try {
    const t0 = performance.now();
    await migrateLegacy(dsn);
    await seedDatabase(dsn, { scale: SCALE, seed: DEFAULT_SEED, anchorMs: ANCHOR, connections: 2 });
    log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s; starting the services`);
    stack = await startStack(dsn);
    const { ports } = stack;
    clients = createServiceClients({ product: { port: ports.product.thrift }, shop: { port: ports.shop.thrift }, user: { port: ports.user.thrift } }, { timeoutMs: 10_000 });
    const session = await clients.user.login({}, DEMO_USER.email, DEMO_USER.password) as { token: string };
    const pool = (port: number) => {
      const p = new Pool(`http://127.0.0.1:${port}`, { connections: CONC });
      pools.push(p);
      return p;
    };
    const product = pool(ports.product.http);
    const shop = pool(ports.shop.http);
    const user = pool(ports.user.http);
    const get = async (p: Pool, path: string, headers: Record<string, string> = {}) => {
      const r = await p.request({ method: 'GET', path, headers });
      await r.body.dump();
      if (r.statusCode !== 200 && r.statusCode !== 404) throw new Error(`GET ${path}: HTTP ${r.statusCode}`);
    };
    const cases: Case[] = [
      { service: 'product', read: 'HTTP GET /api/products/:id (+ shop name via Thrift, view log INSERT)', call: () => get(product, `/api/products/${rnd(c.products)}`) },
      { service: 'product', read: 'Thrift getProduct (withShop)', call: () => clients!.product.getProduct({}, String(rnd(c.products)), { withShop: true }).catch((e: { code?: string }) => { if (e?.code !== 'NOT_FOUND') throw e; }) },
      { service: 'product', read: 'HTTP GET /api/products?size=20 (listing, + shop names)', call: () => get(product, `/api/products?size=20&page=${rnd(5)}`) },
      { service: 'product', read: 'Thrift listProducts (20)', call: () => clients!.product.listProducts({}, { page: { limit: 20, offset: 20 * (rnd(5) - 1) } }) },
      { service: 'shop', read: 'HTTP GET /api/shops/:id', call: () => get(shop, `/api/shops/${rnd(c.shops)}`) },
      { service: 'shop', read: 'Thrift getShop', call: () => clients!.shop.getShop({}, String(rnd(c.shops))).catch((e: { code?: string }) => { if (e?.code !== 'NOT_FOUND') throw e; }) },
      { service: 'user', read: 'HTTP GET /api/me (session check)', call: () => get(user, '/api/me', { authorization: `Bearer ${session.token}` }) },
      { service: 'user', read: 'Thrift verifySession', call: () => clients!.user.verifySession({}, session.token) },
      { service: 'user', read: 'Thrift getUser', call: () => clients!.user.getUser({}, String(rnd(c.users))).catch((e: { code?: string }) => { if (e?.code !== 'NOT_FOUND') throw e; }) },
    ];
    monitor = await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: 'root' });
    const questions = async () => Number(((await monitor!.query("SHOW GLOBAL STATUS LIKE 'Questions'")) as unknown as [Array<{ Value: string }>])[0][0]!.Value);
    log('warm-up (JIT, pools, buffer pool)');
    for (const k of cases) await closedLoop(0.5, k.call);
    const samples: Sample[][] = cases.map(() => []);
    const errors: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (let j = 0; j < cases.length; j++) {
        const i = (j + round) % cases.length; // rotate the order each round
        const k = cases[i]!;
        const q0 = await questions();
        const [s0, d0, c0] = [processCpuMs(stack.child.pid!), processCpuMs(mariadbPid), process.cpuUsage()];
        const r = await closedLoop(SECONDS, k.call);
        const [s1, d1, c1] = [processCpuMs(stack.child.pid!), processCpuMs(mariadbPid), process.cpuUsage(c0)];
        const q = (await questions()) - q0 - 1; // the second SHOW counts itself
        if (r.failed) errors.push(`${k.service} ${k.read}: ${r.failed} failed, first: ${r.firstError}`);
        const n = Math.max(1, r.calls);
        samples[i]!.push({ rps: (r.calls * 1000) / r.wallMs, svcUs: ((s1 - s0) * 1000) / n, dbUs: ((d1 - d0) * 1000) / n, queries: q / n, dbUsPerQuery: q > 0 ? ((d1 - d0) * 1000) / q : NaN, clientUs: (c1.user + c1.system) / n });
      }
    }
    const svcRss = rssMiB(stack.child.pid!);
    const dbRss = rssMiB(mariadbPid);
    const rows = cases.map((k, i) => {
      const s = samples[i]!;
      const m = (f: (x: Sample) => number) => median(s.map(f));
      return {
        service: k.service, read: k.read, 'req/s': Math.round(m((x) => x.rps)), 'service µs/req': Math.round(m((x) => x.svcUs)),
        'mariadbd µs/req': Math.round(m((x) => x.dbUs)), 'queries/req': Math.round(m((x) => x.queries) * 100) / 100,
        'mariadbd µs/query': Math.round(m((x) => x.dbUsPerQuery)), 'client µs/req': Math.round(m((x) => x.clientUs)),
        'service µs rounds': s.map((x) => Math.round(x.svcUs)).join(' '),
      };
    });
    console.log(`\nservice-cpu: seed scale ${SCALE} (${c.products.toLocaleString('en-US')} products), concurrency ${CONC}, ${SECONDS} s × ${ROUNDS} rounds per read, product + shop + user services in one process, a throwaway mariadbd (buffer pool default); ${cpus().length} cores shared with the load generator`);
    console.table(rows);
    console.log(`RSS: services process (3 services) ${svcRss.toFixed(0)} MiB, mariadbd ${dbRss.toFixed(0)} MiB`);
    for (const e of errors) console.log(`  ${e}`);

    let search: { us: number; qps: number; docs: number; memMiB: number; buildS: number } | undefined;
    if (SEARCH) search = await searchCpu(server.dsn('svc_cpu_idx'), dsn);
    const loadAfter = loadAverage();
    console.log(`load average before ${formatLoad(loadBefore)}, after ${formatLoad(loadAfter)}`);
    const verdict = judge({ loadBefore });
    const claims = rows.map((r) => `${r.service} ${r.read}: ${r['service µs/req']} µs service CPU + ${r['mariadbd µs/req']} µs mariadbd CPU per request (${r['queries/req']} queries)`);
    if (search) claims.push(`search (embedded backend, ${search.docs} documents): ${search.us} µs CPU per query`);
    for (const line of verdictLines(claims, verdict)) console.log(`service-cpu ${line}`);
    const noisy = !verdict.quiet;
    return [
      ...rows.map((r) => ({ bench: 'service-cpu', metric: `${r.service} ${r.read.split(' (')[0]}: service CPU`, ours: r['service µs/req'], unit: 'µs/req', noisy })),
      ...rows.map((r) => ({ bench: 'service-cpu', metric: `${r.service} ${r.read.split(' (')[0]}: mariadbd CPU`, ours: r['mariadbd µs/req'], unit: 'µs/req', noisy })),
      ...(search ? [{ bench: 'service-cpu', metric: `search query, ${search.docs} docs: CPU`, ours: search.us, unit: 'µs/query', noisy }] : []),
    ];
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    if (clients) await closeServiceClients(clients);
    await monitor?.end();
    if (stack && stack.child.exitCode === null) {
      const exited = new Promise((r) => stack!.child.once('exit', r));
      stack.child.kill('SIGTERM');
      await exited;
    }
    await server.stop();
  }
}

/** The embedded search backend rebuilt from the seeded products, then queried closed-loop in this process. */
async function searchCpu(idxDsn: string, legacyDsn: string): Promise<{ us: number; qps: number; docs: number; memMiB: number; buildS: number }> {
  await ensureDatabase(idxDsn);
  const idx = createKnex(idxDsn, { pool: { max: 4 } });
  const legacy = createKnex(legacyDsn, { pool: { max: 4 } });
  const dir = mkdtempSync(join(tmpdir(), 'service-cpu-search-'));
  const backend = new EmbeddedBackend({ dir });
  try {
    await migrateLatest(idx, 'search');
    await backend.init();
    const t0 = performance.now();
    await runReindex({ backend, source: new KnexProductSource(legacy), runs: new ReindexRunStore(idx), batchSize: 2000, restart: true });
    const buildS = (performance.now() - t0) / 1000;
    const st = backend.stats();
    let next = 0;
    const query = () => backend.search({ q: QUERIES[next++ % QUERIES.length]!, filters: {}, sort: 'relevance', offset: 0, limit: 20 });
    await closedLoop(0.5, query);
    const us: number[] = [];
    const qps: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const c0 = process.cpuUsage();
      const res = await closedLoop(SECONDS, query);
      const c1 = process.cpuUsage(c0);
      us.push((c1.user + c1.system) / Math.max(1, res.calls));
      qps.push((res.calls * 1000) / res.wallMs);
    }
    const out = { us: Math.round(median(us)), qps: Math.round(median(qps)), docs: st.documents, memMiB: Math.round(st.memoryBytes / 2 ** 20), buildS: Math.round(buildS * 10) / 10 };
    console.log(`search (embedded backend, in this process): ${out.docs.toLocaleString('en-US')} documents rebuilt in ${out.buildS} s, index ${out.memMiB} MiB in memory; ${out.us} µs CPU per query (rounds ${us.map(Math.round).join(' ')}), ${out.qps} queries/s at concurrency ${CONC}`);
    return out;
  } finally {
    await backend.close();
    await idx.destroy();
    await legacy.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
