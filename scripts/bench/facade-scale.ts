/**
 * `npm run bench -- facade-scale`: the facade scales out. Three facade
 * processes share one Redis route source (a unique key prefix per run); a
 * round-robin client (autocannon spreading its connections over the
 * instances' URLs, no load balancer) drives 1, 2 and 3 of them in interleaved
 * rounds. Shown:
 * - same routes: every instance answers /bench/pass from the same upstream
 *   (the `x-strangler-route` response header names route and upstream);
 * - convergence: a mode change made through instance 1's admin API reaches
 *   the request path of all three (time until each answers from the new
 *   upstream), then back;
 * - throughput for 1, 2 and 3 instances and CPU per request (the facade
 *   processes' own CPU time, summed), with the load average.
 *
 * Env: SCALE_BENCH_SECONDS (per round, 2), SCALE_BENCH_ROUNDS (3),
 * SCALE_BENCH_CONNECTIONS (30: a multiple of 1, 2 and 3), REDIS_URL.
 * Needs Redis; prints SKIPPED without it.
 */
import { processCpuMs } from './_proc-cpu.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { request } from 'undici';
import type { BenchResult } from './cli.ts';
import { formatLoad, judge, loadAverage, verdictLines } from './_noise.ts';

const here = dirname(fileURLToPath(import.meta.url));
const num = (name: string, d: number) => (process.env[name] ? Number(process.env[name]) : d);
const SECONDS = num('SCALE_BENCH_SECONDS', 2);
const ROUNDS = num('SCALE_BENCH_ROUNDS', 3);
const CONNECTIONS = num('SCALE_BENCH_CONNECTIONS', 30);
const INSTANCES = 3;
const TOKEN = 'bench-token-0123456789';
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

function load(urls: string[], seconds: number): Promise<{ rps: number; p50: number; p99: number; errors: number; non2xx: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, '_scale-load.ts'), urls.join(','), String(CONNECTIONS), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    console.log(`facade-scale: ${INSTANCES} facade processes on one Redis route source (prefix ${prefix}), ${CONNECTIONS} connections round-robin over the instances' URLs, ${SECONDS}s × ${ROUNDS} interleaved rounds per instance count; load average before ${formatLoad(loadBefore)}`);

    const same = await Promise.all(urls.map(upstreamOf));
    console.log(`same routes: /bench/pass served from ${same.join(', ')} by instances 1..${INSTANCES}`);
    if (new Set(same).size !== 1 || same[0] !== 'legacy') throw new Error(`instances disagree before any change: ${same.join(', ')}`);
    const toSvc = await converge(facades[0]!.adminUrl, urls, 'service', 'svc');
    const back = await converge(facades[0]!.adminUrl, urls, 'legacy', 'legacy');
    console.log(`convergence (change through instance 1's admin API → each instance's request path): to service ${toSvc.map((ms) => `${ms.toFixed(1)} ms`).join(', ')}; back to legacy ${back.map((ms) => `${ms.toFixed(1)} ms`).join(', ')}`);

    for (let n = 1; n <= INSTANCES; n++) await load(urls.slice(0, n), 1); // warm-up: JIT, pooled upstream connections
    const rps: number[][] = Array.from({ length: INSTANCES }, () => []);
    const cpu: number[][] = Array.from({ length: INSTANCES }, () => []);
    const p99: number[][] = Array.from({ length: INSTANCES }, () => []);
    let errors = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < INSTANCES; k++) {
        const n = ((k + round) % INSTANCES) + 1;
        const c0 = facades.map((f) => processCpuMs(f.pid) * 1000);
        const r = await load(urls.slice(0, n), SECONDS);
        const used = facades.reduce((a, f, i) => a + (processCpuMs(f.pid) * 1000 - c0[i]!), 0);
        rps[n - 1]!.push(r.rps);
        p99[n - 1]!.push(r.p99);
        cpu[n - 1]!.push(used / (r.rps * SECONDS));
        errors += r.errors + r.non2xx;
      }
    }
    const loadAfter = loadAverage();
    const rows = rps.map((xs, i) => ({
      instances: i + 1,
      'req/s (median)': Math.round(median(xs)),
      'vs 1 instance (paired)': r2(median(xs.map((v, j) => v / rps[0]![j]!))),
      'p99 ms': median(p99[i]!),
      'facade CPU µs/req': Math.round(median(cpu[i]!)),
      'rounds req/s': xs.map(Math.round).join(' '),
    }));
    console.table(rows);
    console.log(`errors: ${errors}; load average before ${formatLoad(loadBefore)}, after ${formatLoad(loadAfter)}; ${spawnSync('nproc').stdout?.toString().trim() || '?'} cores for the load generator, the upstream and all facades`);
    const verdict = judge({ loadBefore, peerRounds: { '1 instance req/s': rps[0]! } });
    const s2 = rows[1]!['vs 1 instance (paired)'];
    const s3 = rows[2]!['vs 1 instance (paired)'];
    for (const line of verdictLines([
      `throughput 2 instances ${s2}× and 3 instances ${s3}× one instance; CPU per request ${rows.map((r) => r['facade CPU µs/req']).join(' / ')} µs (flat CPU per request = nothing shared on the request path)`,
      `convergence on all ${INSTANCES} instances within ${Math.max(...toSvc, ...back).toFixed(0)} ms (target < 1000 ms) ${Math.max(...toSvc, ...back) < 1000 ? 'MET' : 'MISSED'}`,
    ], verdict)) console.log(`facade-scale ${line}`);
    const noisy = !verdict.quiet;
    return [
      { bench: 'facade-scale', metric: 'req/s, 2 instances', ours: median(rps[1]!), peer: median(rps[0]!), peerName: '1 instance', unit: 'req/s', ratio: s2, noisy },
      { bench: 'facade-scale', metric: 'req/s, 3 instances', ours: median(rps[2]!), peer: median(rps[0]!), peerName: '1 instance', unit: 'req/s', ratio: s3, noisy },
      { bench: 'facade-scale', metric: 'route change on all instances', ours: Math.max(...toSvc, ...back), unit: 'ms', noisy },
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
