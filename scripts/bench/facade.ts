/**
 * `npm run bench -- facade`: the strangler facade against its peers, in one run
 * on one machine. Every server and the load generator run in their own child
 * processes (strangler/bench/*). Measured per target: throughput with
 * autocannon (req/s, p50/p99 under load, 1 ms resolution) and single-connection
 * latency (p50/p99 with sub-ms resolution). Rounds are interleaved and the
 * median is reported, because the machine is shared.
 *
 * Because other work shares the machine and its load swings within seconds,
 * ratios are computed per round between adjacent measurements (paired) and the
 * median of those is reported next to the median of the raw figures.
 *
 * Env: FACADE_BENCH_SECONDS (2), FACADE_BENCH_ROUNDS (5), FACADE_BENCH_CONNECTIONS (32),
 *      FACADE_BENCH_LATENCY_SECONDS (1), FACADE_BENCH_WARMUP_SECONDS (1),
 *      FACADE_BENCH_ONLY (e.g. "nginx,express": run those plus the anchors direct/passthrough/fastify).
 */
import { processCpuMs } from './_proc-cpu.ts';
import { shadowBudget } from './_shadow-budget.ts';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchResult } from './cli.ts';
import { formatLoad, judge, loadAverage, verdictLine } from './_noise.ts';
import { benchDir, children, startChild, startNginx } from './_facade-procs.ts';
import { BENCH_ADMIN_TOKEN } from '../../strangler/bench/admin-token.ts';

const num = (name: string, def: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : def;
};
const SECONDS = num('FACADE_BENCH_SECONDS', 2);
const ROUNDS = num('FACADE_BENCH_ROUNDS', 5);
const CONNECTIONS = num('FACADE_BENCH_CONNECTIONS', 32);
const LATENCY_SECONDS = num('FACADE_BENCH_LATENCY_SECONDS', 1);
const WARMUP_SECONDS = num('FACADE_BENCH_WARMUP_SECONDS', 1);
/** Comma-separated target name fragments to run (default all); direct, passthrough and fastify always run (they anchor the ratios). */
const ONLY = (process.env.FACADE_BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const ANCHORS = ['upstream direct', 'facade passthrough (legacy mode)', '@fastify/http-proxy'];

function runLoad(mode: 'throughput' | 'latency', url: string, seconds: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(benchDir, 'load.ts'), mode, url, String(CONNECTIONS), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!));
    });
  });
}

interface Target {
  name: string;
  url: string;
  /** The process serving this target: its CPU time per request is measured (robust to contention). */
  pid: number;
}

interface Measured {
  rps: number[];
  p50: number[];
  p99: number[];
  latP50: number[];
  latP99: number[];
  cpuUsPerReq: number[];
  /** The other processes' CPU per request in the same throughput runs (µs): the load generator, legacy and the service. */
  loadUs: number[];
  legacyUs: number[];
  serviceUs: number[];
  errors: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const r2 = (n: number) => Math.round(n * 100) / 100;
const r3 = (n: number) => Math.round(n * 1000) / 1000;

/** A route's shadow counters from the facade's admin API. */
async function shadowCoverage(adminPort: number, route: string): Promise<{ requests: number; sent: number; skipped: number } | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${adminPort}/routes/${route}`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } });
    const j = (await r.json()) as { stats: { requests: number; shadow: { sent: number; skipped: number } } };
    return { requests: j.stats.requests, sent: j.stats.shadow.sent, skipped: j.stats.shadow.skipped };
  } catch {
    return null;
  }
}

export async function run(): Promise<BenchResult[]> {
  const load0 = loadAverage();
  console.log(`facade bench: ${SECONDS}s × ${ROUNDS} rounds per target, ${CONNECTIONS} connections, ${LATENCY_SECONDS}s single-connection latency; load average before: ${formatLoad(load0)}`);
  let nginxDir: string | null = null;
  try {
    // legacy and service are separate processes, as they are in production: shadow copies load the service, not legacy
    const [up, svcUp] = await Promise.all([startChild('upstream.ts', ['1']), startChild('upstream.ts', ['1'])]);
    const legacyPort = up.info.ports[0] as number;
    const servicePort = svcUp.info.ports[0] as number;
    const [facade, hpm, fastify] = await Promise.all([
      startChild('facade-proc.ts', [String(legacyPort), String(servicePort)]),
      startChild('peers.ts', ['express-hpm', String(legacyPort)]),
      startChild('peers.ts', ['fastify', String(legacyPort)]),
    ]);
    const nginx = await startNginx(legacyPort);
    nginxDir = nginx?.dir ?? null;
    if (!nginx) console.log('nginx: not installed (`which nginx` failed) — SKIPPED');

    const allTargets: Target[] = [
      { name: 'upstream direct', url: `http://127.0.0.1:${legacyPort}/bench/pass`, pid: up.child.pid! },
      { name: 'facade passthrough (legacy mode)', url: `http://127.0.0.1:${facade.info.port}/bench/pass`, pid: facade.child.pid! },
      { name: 'facade service mode', url: `http://127.0.0.1:${facade.info.port}/bench/svc`, pid: facade.child.pid! },
      { name: 'facade shadow mode (primary)', url: `http://127.0.0.1:${facade.info.port}/bench/shadow`, pid: facade.child.pid! },
      { name: 'facade shadow, sample 0.1', url: `http://127.0.0.1:${facade.info.port}/bench/shadow10`, pid: facade.child.pid! },
      { name: 'express + http-proxy-middleware', url: `http://127.0.0.1:${hpm.info.port}/bench/pass`, pid: hpm.child.pid! },
      { name: '@fastify/http-proxy', url: `http://127.0.0.1:${fastify.info.port}/bench/pass`, pid: fastify.child.pid! },
      ...(nginx ? [{ name: 'nginx (1 worker, keepalive)', url: `http://127.0.0.1:${nginx.port}/bench/pass`, pid: nginx.pid }] : []),
    ];
    const targets = ONLY.length ? allTargets.filter((t) => ANCHORS.includes(t.name) || ONLY.some((o) => t.name.includes(o))) : allTargets;
    const has = (name: string) => targets.some((t) => t.name === name);
    const results = new Map<string, Measured>(targets.map((t) => [t.name, { rps: [], p50: [], p99: [], latP50: [], latP99: [], cpuUsPerReq: [], loadUs: [], legacyUs: [], serviceUs: [], errors: 0 }]));
    for (const t of targets) await runLoad('throughput', t.url, WARMUP_SECONDS); // JIT warm-up, pools filled
    for (let round = 0; round < ROUNDS; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const t of order) {
        const m = results.get(t.name)!;
        const [cpu0, legacy0, service0] = [processCpuMs(t.pid), processCpuMs(up.child.pid!), processCpuMs(svcUp.child.pid!)];
        const tp = await runLoad('throughput', t.url, SECONDS);
        const perReq = (ms: number) => (ms * 1000) / Math.max(1, tp.total);
        m.cpuUsPerReq.push(perReq(processCpuMs(t.pid) - cpu0));
        m.loadUs.push(tp.cpuUs / Math.max(1, tp.total));
        m.legacyUs.push(perReq(processCpuMs(up.child.pid!) - legacy0));
        m.serviceUs.push(perReq(processCpuMs(svcUp.child.pid!) - service0));
        m.rps.push(tp.rps);
        m.p50.push(tp.p50);
        m.p99.push(tp.p99);
        m.errors += tp.errors + tp.non2xx;
        const lat = await runLoad('latency', t.url, LATENCY_SECONDS);
        m.latP50.push(lat.p50);
        m.latP99.push(lat.p99);
        m.errors += lat.errors;
      }
      console.log(`  round ${round + 1}/${ROUNDS} done (load average ${formatLoad(loadAverage())})`);
    }

    const med = (name: string) => {
      const m = results.get(name)!;
      return { rps: median(m.rps), p50: median(m.p50), p99: median(m.p99), latP50: median(m.latP50), latP99: median(m.latP99), cpu: median(m.cpuUsPerReq), errors: m.errors, spread: m.rps };
    };
    const direct = med('upstream direct');
    const fast = med('@fastify/http-proxy');
    /** Median over rounds of (a / b) measured in the same round: robust to load swings between rounds. */
    const paired = (a: string, b: string, key: 'rps' | 'latP50') => {
      const xa = results.get(a)![key];
      const xb = results.get(b)![key];
      return median(xa.map((v, i) => v / xb[i]));
    };
    const pairedDiff = (a: string, b: string) => {
      const xa = results.get(a)!.latP50;
      const xb = results.get(b)!.latP50;
      return median(xa.map((v, i) => v - xb[i]));
    };
    console.table(targets.map((t) => {
      const m = med(t.name);
      return {
        target: t.name,
        'req/s': Math.round(m.rps),
        'vs fastify (paired)': r2(paired(t.name, '@fastify/http-proxy', 'rps')),
        'p50 ms (load)': m.p50,
        'p99 ms (load)': m.p99,
        'p50 ms (1 conn)': r3(m.latP50),
        'p99 ms (1 conn)': r3(m.latP99),
        '+p50 vs direct (paired)': r3(pairedDiff(t.name, 'upstream direct')),
        'CPU µs/req': Math.round(m.cpu),
        'rounds req/s': m.spread.map(Math.round).join(' '),
        errors: m.errors,
      };
    }));
    const pass = med('facade passthrough (legacy mode)');
    const none = { rps: NaN, p50: NaN, p99: NaN, latP50: NaN, latP99: NaN, cpu: NaN, errors: 0, spread: [] as number[] };
    const medOr = (name: string) => (has(name) ? med(name) : none);
    const svc = medOr('facade service mode');
    const shadow = medOr('facade shadow mode (primary)');
    const hpmM = medOr('express + http-proxy-middleware');
    const PASS = 'facade passthrough (legacy mode)';
    const addedMs = pairedDiff(PASS, 'upstream direct');
    const fastAddedMs = pairedDiff('@fastify/http-proxy', 'upstream direct');
    const passVsFast = paired(PASS, '@fastify/http-proxy', 'rps');
    const shadowVsPass = has('facade shadow mode (primary)') ? paired('facade shadow mode (primary)', PASS, 'latP50') : NaN;
    const shadow10VsPass = has('facade shadow, sample 0.1') ? paired('facade shadow, sample 0.1', PASS, 'latP50') : NaN;
    const shadowRpsVsPass = has('facade shadow mode (primary)') ? paired('facade shadow mode (primary)', PASS, 'rps') : NaN;
    // what "sample 1.0" delivered: copies sent per request over the whole run (a copy over the route's in-flight cap is skipped, not sent)
    const coverage = has('facade shadow mode (primary)') ? await shadowCoverage(facade.info.adminPort as number, 'shadow') : null;
    if (coverage) console.log(`shadow at sample 1.0: ${coverage.sent} copies sent for ${coverage.requests} requests (${r2((100 * coverage.sent) / Math.max(1, coverage.requests))} %), ${coverage.skipped} skipped at the route's in-flight cap`);
    const copied = coverage ? coverage.sent / Math.max(1, coverage.requests) : 1;
    const load1 = loadAverage();
    // The peers are the yardstick: their rounds must agree, and the machine must have been quiet, for a verdict.
    const peerRounds: Record<string, number[]> = { '@fastify/http-proxy req/s': results.get('@fastify/http-proxy')!.rps };
    if (has('nginx (1 worker, keepalive)')) peerRounds['nginx req/s'] = results.get('nginx (1 worker, keepalive)')!.rps;
    const verdict = judge({ loadBefore: load0, peerRounds });
    console.log(`CPU per proxied request (the proxy process only; independent of how busy the machine is): facade passthrough ${Math.round(pass.cpu)} µs, ` +
      `@fastify/http-proxy ${Math.round(fast.cpu)} µs, express+hpm ${Math.round(hpmM.cpu)} µs → facade needs ${r2(pass.cpu / fast.cpu)}× fastify's CPU per request`);
    console.log(verdictLine(`targets: passthrough ≥ 1.0× fastify req/s → ${r2(passVsFast)}× (paired), ${r2(pass.rps / fast.rps)}× (medians); ` +
      `p50 added over direct ≤ 1 ms → ${r3(addedMs)} ms (fastify ${r3(fastAddedMs)} ms); ` +
      `shadow primary p50 within 5 % of passthrough → ${r2((shadowVsPass - 1) * 100)} % (1 conn, paired), ${r2(((shadow.p50 - pass.p50) / Math.max(pass.p50, 1)) * 100)} % (under load); ` +
      `with sample 0.1: ${r2((shadow10VsPass - 1) * 100)} % (1 conn, paired); ` +
      `shadow at sample 1.0 req/s ≥ 0.8× passthrough → ${r2(shadowRpsVsPass)}× (paired), ${r2(shadow.rps / pass.rps)}× (medians)` +
      (copied < 0.99 ? ` — but only ${r2(100 * copied)} % of its requests were copied, so the ratio flatters` : '') +
      (nginx && has('nginx (1 worker, keepalive)') ? `; passthrough CPU/req ≤ 2.5× nginx's → ${r2(pass.cpu / med('nginx (1 worker, keepalive)').cpu)}×` : ''), verdict));
    if (has('facade shadow mode (primary)')) console.log(shadowBudget(results.get(PASS)!, results.get('facade shadow mode (primary)')!, shadowRpsVsPass));
    console.log(`load average after: ${formatLoad(load1)} (2 cores; above 1.0 before the run or peer rounds spreading > 30 % = noisy: figures are relative, read the ratios)`);

    const out: BenchResult[] = [
      { bench: 'facade', metric: 'passthrough req/s', ours: pass.rps, peer: fast.rps, peerName: '@fastify/http-proxy', unit: 'req/s', ratio: passVsFast },
      { bench: 'facade', metric: 'passthrough req/s', ours: pass.rps, peer: hpmM.rps, peerName: 'express+hpm', unit: 'req/s' },
      { bench: 'facade', metric: 'service mode req/s', ours: svc.rps, peer: fast.rps, peerName: '@fastify/http-proxy', unit: 'req/s' },
      { bench: 'facade', metric: 'CPU per proxied request', ours: pass.cpu, peer: fast.cpu, peerName: '@fastify/http-proxy', unit: 'µs', ratio: fast.cpu / pass.cpu },
      { bench: 'facade', metric: 'p50 added over direct (1 conn)', ours: addedMs, peer: fastAddedMs, peerName: '@fastify/http-proxy', unit: 'ms', ratio: fastAddedMs / addedMs },
      { bench: 'facade', metric: 'shadow primary p50 (1 conn)', ours: shadow.latP50, peer: pass.latP50, peerName: 'facade passthrough', unit: 'ms', ratio: 1 / shadowVsPass },
      { bench: 'facade', metric: 'shadow 0.1 primary p50 (1 conn)', ours: medOr('facade shadow, sample 0.1').latP50, peer: pass.latP50, peerName: 'facade passthrough', unit: 'ms', ratio: 1 / shadow10VsPass },
    ];
    if (nginx && has('nginx (1 worker, keepalive)')) {
      const n = med('nginx (1 worker, keepalive)');
      out.push({ bench: 'facade', metric: 'passthrough req/s', ours: pass.rps, peer: n.rps, peerName: 'nginx', unit: 'req/s' });
    }
    if (!verdict.quiet) for (const r of out) r.noisy = true;
    return out;
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (nginxDir) await rm(nginxDir, { recursive: true, force: true });
  }
}
