/**
 * `npm run bench -- facade-scale`: the facade scales out. Three facade
 * processes share one Redis route source (a unique key prefix per run); a
 * round-robin client (autocannon spreading its connections over the
 * instances' URLs, no load balancer) drives 1, 2 and 3 of them in interleaved
 * rounds, with the same number of connections per instance (so each instance
 * sees the same offered concurrency whatever the instance count, as when a
 * fleet grows with its clients). Shown:
 * - same routes: every instance answers /bench/pass from the same upstream
 *   (the `x-strangler-route` response header names route and upstream);
 * - convergence: SCALE_BENCH_CHANGES mode changes made through instance 1's
 *   admin API, each timed until the request path of all three answers from
 *   the new upstream (p50 and max over the changes);
 * - throughput for 1, 2 and 3 instances with CPU accounting from /proc: the
 *   facades' CPU per request, each instance's share of a core, the upstream's
 *   and the load generator's CPU per request, and how many of the machine's
 *   cores were busy (every process included) — on a 2-core box shared by
 *   the load generator and the upstream, total CPU is capped by the cores, so
 *   req/s flattens while CPU per request stays put;
 * - each facade's RSS after the rounds (for docs/capacity.md).
 *
 * Env: SCALE_BENCH_SECONDS (per round, 2), SCALE_BENCH_ROUNDS (3),
 * SCALE_BENCH_CONNECTIONS_PER_INSTANCE (10), SCALE_BENCH_CHANGES (10), REDIS_URL.
 * Needs Redis; prints SKIPPED without it.
 */
import { processCpuMs } from './_proc-cpu.ts';
import { busyCores, machineJiffies, rssMiB } from './_machine-cpu.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { request } from 'undici';
import type { BenchResult } from './cli.ts';
import { formatLoad, judge, loadAverage, verdictLines } from './_noise.ts';
import { BENCH_ADMIN_TOKEN } from '../../strangler/bench/admin-token.ts';

const here = dirname(fileURLToPath(import.meta.url));
const num = (name: string, d: number) => (process.env[name] ? Number(process.env[name]) : d);
const SECONDS = num('SCALE_BENCH_SECONDS', 2);
const ROUNDS = num('SCALE_BENCH_ROUNDS', 3);
const PER_INSTANCE = num('SCALE_BENCH_CONNECTIONS_PER_INSTANCE', 10);
const CHANGES = Math.max(2, num('SCALE_BENCH_CHANGES', 10));
const INSTANCES = 3;
const TOKEN = BENCH_ADMIN_TOKEN;
const CONVERGE_DEADLINE_MS = 10_000;

const children: ChildProcess[] = [];

function startChild(script: string, args: string[]): Promise<{ child: ChildProcess; info: any }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'silent', SCALE_ADMIN_TOKEN: TOKEN } });
    children.push(child);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      try {
        resolve({ child, info: JSON.parse(line) });
      } catch (err) {
        reject(err);
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

function load(urls: string[], seconds: number): Promise<{ rps: number; p50: number; p99: number; errors: number; non2xx: number; total: number; cpuUs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, '_scale-load.ts'), urls.join(','), String(PER_INSTANCE * urls.length), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`load generator exited with ${code}`))));
  });
}


async function upstreamOf(url: string): Promise<string> {
  const r = await request(`${url}/bench/pass`);
  await r.body.dump();
  return /upstream=([\w-]+)/.exec(String(r.headers['x-strangler-route'] ?? ''))?.[1] ?? `none (HTTP ${r.statusCode})`;
}

/** Changes the route's mode through instance 0's admin API; ms until each instance serves from `upstream`. */
async function converge(adminUrl: string, urls: string[], mode: string, upstream: string): Promise<number[]> {
  const t0 = performance.now();
  const r = await request(`${adminUrl}/routes/pass`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ mode, reason: 'facade-scale bench' }),
  });
  const text = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`admin change failed: HTTP ${r.statusCode} ${text}`);
  return Promise.all(urls.map(async (u) => {
    while (performance.now() - t0 < CONVERGE_DEADLINE_MS) {
      if ((await upstreamOf(u)) === upstream) return performance.now() - t0;
      await new Promise((res) => setTimeout(res, 2));
    }
    throw new Error(`${u} did not serve from ${upstream} within ${CONVERGE_DEADLINE_MS} ms`);
  }));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const r2 = (n: number) => Math.round(n * 100) / 100;

export async function run(): Promise<BenchResult[]> {
  const loadBefore = loadAverage();
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    console.log(`facade-scale: Redis at ${redisUrl} is not reachable — SKIPPED`);
    redis.disconnect();
    return [];
  }
  const prefix = `bench-scale-${process.pid}-${Date.now()}:`;
  const dir = await mkdtemp(join(tmpdir(), 'strangler-scale-seed-'));
  try {
    const up = await startChild(join(here, '../../strangler/bench/upstream.ts'), ['2']);
    const [legacyPort, svcPort] = up.info.ports as number[];
    const seed = join(dir, 'routes.json');
    await writeFile(seed, JSON.stringify({
      version: 1,
      options: { routeHeader: true },
      upstreams: { legacy: { url: `http://127.0.0.1:${legacyPort}`, pool: 128 }, svc: { url: `http://127.0.0.1:${svcPort}`, pool: 128 } },
      fallbacks: [{ prefix: '/', upstream: 'legacy' }],
      routes: [{ id: 'pass', methods: ['GET'], path: '/bench/pass', legacy: 'legacy', service: 'svc', mode: 'legacy' }],
    }));
    // One after another: the first seeds the empty key, the others find it.
    const facades: { pid: number; url: string; adminUrl: string }[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      const f = await startChild(join(here, '_facade-redis-proc.ts'), [seed, prefix]);
      facades.push({ pid: f.child.pid!, url: `http://127.0.0.1:${f.info.port}`, adminUrl: `http://127.0.0.1:${f.info.adminPort}` });
    }
    const urls = facades.map((f) => f.url);
    console.log(`facade-scale: ${INSTANCES} facade processes on one Redis route source (prefix ${prefix}), ${PER_INSTANCE} connections per instance round-robin over the instances' URLs, ${SECONDS}s × ${ROUNDS} interleaved rounds per instance count, ${cpus().length} cores for everything; load average before ${formatLoad(loadBefore)}`);

    const same = await Promise.all(urls.map(upstreamOf));
    console.log(`same routes: /bench/pass served from ${same.join(', ')} by instances 1..${INSTANCES}`);
    if (new Set(same).size !== 1 || same[0] !== 'legacy') throw new Error(`instances disagree before any change: ${same.join(', ')}`);
    // Changes alternate legacy → service → legacy …; each is timed until every instance's request path follows.
    const changes: number[][] = [];
    for (let i = 0; i < CHANGES; i++) {
      changes.push(i % 2 === 0 ? await converge(facades[0]!.adminUrl, urls, 'service', 'svc') : await converge(facades[0]!.adminUrl, urls, 'legacy', 'legacy'));
    }
    if (CHANGES % 2) await converge(facades[0]!.adminUrl, urls, 'legacy', 'legacy');
    const allOf = changes.map((c) => Math.max(...c));
    const conv = { p50: median(allOf), max: Math.max(...allOf), perInstanceP50: facades.map((_, i) => median(changes.map((c) => c[i]!))) };
    console.log(`convergence over ${CHANGES} changes through instance 1's admin API (until all ${INSTANCES} request paths follow): p50 ${conv.p50.toFixed(1)} ms, max ${conv.max.toFixed(1)} ms; per instance p50 ${conv.perInstanceP50.map((x) => `${x.toFixed(1)} ms`).join(', ')}`);

    for (let n = 1; n <= INSTANCES; n++) await load(urls.slice(0, n), 1); // warm-up: JIT, pooled upstream connections
    type Round = { rps: number; p99: number; facadeUs: number; instCores: number[]; upstreamUs: number; loadUs: number; ourCores: number; machineCores: number };
    const rounds: Round[][] = Array.from({ length: INSTANCES }, () => []);
    let errors = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < INSTANCES; k++) {
        const n = ((k + round) % INSTANCES) + 1;
        const f0 = facades.map((f) => processCpuMs(f.pid));
        const u0 = processCpuMs(up.child.pid!);
        const m0 = machineJiffies();
        const t0 = performance.now();
        const r = await load(urls.slice(0, n), SECONDS);
        const wallMs = performance.now() - t0;
        const m1 = machineJiffies();
        const fMs = facades.map((f, i) => processCpuMs(f.pid) - f0[i]!);
        const uMs = processCpuMs(up.child.pid!) - u0;
        const facadeMs = fMs.reduce((x, y) => x + y, 0);
        // the load generator's process lives a little longer than its run (start-up, JSON): its cpuUs covers only the run
        rounds[n - 1]!.push({
          rps: r.rps, p99: r.p99, facadeUs: (facadeMs * 1000) / r.total, instCores: fMs.slice(0, n).map((ms) => ms / wallMs),
          upstreamUs: (uMs * 1000) / r.total, loadUs: r.cpuUs / r.total,
          ourCores: (facadeMs + uMs + r.cpuUs / 1000) / wallMs, machineCores: busyCores(m0, m1),
        });
        errors += r.errors + r.non2xx;
      }
    }
    const rss = facades.map((f) => rssMiB(f.pid));
    const loadAfter = loadAverage();
    const med = (n: number, f: (r: Round) => number) => median(rounds[n]!.map(f));
    const rps = rounds.map((rs) => rs.map((r) => r.rps));
    const rows = rounds.map((rs, i) => ({
      instances: i + 1,
      conns: PER_INSTANCE * (i + 1),
      'req/s': Math.round(med(i, (r) => r.rps)),
      'vs 1 (paired)': r2(median(rs.map((r, j) => r.rps / rounds[0]![j]!.rps))),
      'p99 ms': med(i, (r) => r.p99),
      'facade µs/req': Math.round(med(i, (r) => r.facadeUs)),
      'cores per facade': rs[0]!.instCores.map((_, j) => r2(med(i, (r) => r.instCores[j]!))).join(' '),
      'upstream µs/req': Math.round(med(i, (r) => r.upstreamUs)),
      'loadgen µs/req': Math.round(med(i, (r) => r.loadUs)),
      'our cores': r2(med(i, (r) => r.ourCores)),
      'machine busy cores': r2(med(i, (r) => r.machineCores)),
      'rounds req/s': rs.map((r) => Math.round(r.rps)).join(' '),
    }));
    console.table(rows);
    const total = rows.map((r) => r['facade µs/req'] + r['upstream µs/req'] + r['loadgen µs/req']);
    console.log(`CPU per request, every process of the run (facades + upstream + load generator): ${total.join(' / ')} µs for 1 / 2 / 3 instances → at most ${total.map((t) => Math.round((cpus().length * 1e6) / t).toLocaleString('en-US')).join(' / ')} req/s if they had all ${cpus().length} cores to themselves; "machine busy cores" includes other work on the machine`);
    console.log(`facade RSS after the rounds: ${rss.map((m) => `${m.toFixed(0)} MiB`).join(', ')}; errors: ${errors}; load average before ${formatLoad(loadBefore)}, after ${formatLoad(loadAfter)}`);
    const verdict = judge({ loadBefore, peerRounds: { '1 instance req/s': rps[0]! } });
    const s2 = rows[1]!['vs 1 (paired)'];
    const s3 = rows[2]!['vs 1 (paired)'];
    const capped = rows.every((r) => r['machine busy cores'] >= cpus().length * 0.9);
    for (const line of verdictLines([
      `throughput 2 instances ${s2}× and 3 instances ${s3}× one instance; facade CPU per request ${rows.map((r) => r['facade µs/req']).join(' / ')} µs${capped ? `; the machine's ${cpus().length} cores were ≥ 90 % busy at every instance count (scaling capped by cores, not by the facade)` : ''}`,
      `convergence on all ${INSTANCES} instances over ${CHANGES} changes: p50 ${conv.p50.toFixed(0)} ms, max ${conv.max.toFixed(0)} ms (target < 1000 ms) ${conv.max < 1000 ? 'MET' : 'MISSED'}`,
    ], verdict)) console.log(`facade-scale ${line}`);
    const noisy = !verdict.quiet;
    return [
      { bench: 'facade-scale', metric: 'req/s, 2 instances', ours: median(rps[1]!), peer: median(rps[0]!), peerName: '1 instance', unit: 'req/s', ratio: s2, noisy },
      { bench: 'facade-scale', metric: 'req/s, 3 instances', ours: median(rps[2]!), peer: median(rps[0]!), peerName: '1 instance', unit: 'req/s', ratio: s3, noisy },
      { bench: 'facade-scale', metric: 'facade CPU µs/req, 3 instances', ours: rows[2]!['facade µs/req'], peer: rows[0]!['facade µs/req'], peerName: '1 instance', unit: 'µs', ratio: rows[0]!['facade µs/req'] / rows[2]!['facade µs/req'], noisy },
      { bench: 'facade-scale', metric: `route change on all instances, p50 of ${CHANGES}`, ours: conv.p50, unit: 'ms', noisy },
      { bench: 'facade-scale', metric: `route change on all instances, max of ${CHANGES}`, ours: conv.max, unit: 'ms', noisy },
    ];
  } finally {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGTERM');
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 100);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
}
