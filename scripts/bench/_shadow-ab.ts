/**
 * Shadow-mode probe (files starting with `_` are not listed by `npm run bench`): req/s of passthrough and of shadow
 * at sample 1, and the CPU each request costs in every process on the machine — load generator, facade, legacy
 * upstream, service upstream — for this tree's facade and, optionally, another build's, in interleaved rounds under
 * the same load. On a box where all of them share the cores, throughput ≈ cores / (sum of CPU per request), so the
 * split shows what a shadowed request must shed for a given req/s ratio.
 *
 *   node scripts/bench/_shadow-ab.ts [other-tree|-] [rounds=5] [seconds=3] [rate]
 *
 * With `rate`, the load generator offers that many requests per second in all (autocannon's overallRate) instead of
 * as many as get through, so CPU per request is compared at the same load on both builds.
 *
 * Legacy and service are two strangler/bench/upstream.ts processes (as in `npm run bench -- facade`); both facades
 * (strangler/bench/facade-proc.ts of each tree) route /bench/pass to legacy and /bench/shadow to legacy with a copy
 * to the service. CPU per request: utime + stime from /proc over the requests the load generator completed (the
 * generator reports its own). Printed: each run, medians per tree and path, the paired shadow/pass req/s ratio per
 * tree, the paired this/other ratios, load average before and after.
 */
import { join, resolve } from 'node:path';
import { benchDir, children, loadNow, med, r1, startChild } from './_facade-procs.ts';
import { processCpuUs } from './_proc-cpu.ts';
import { spawnSync } from 'node:child_process';

const otherArg = process.argv[2] && process.argv[2] !== '-' ? resolve(process.argv[2]) : null;
const ROUNDS = Number(process.argv[3]) || 5;
const SECONDS = Number(process.argv[4]) || 3;
/** Optional offered load (req/s in all): CPU per request compared at the same rate rather than at saturation. */
const RATE = Number(process.argv[5]) || 0;
const PATHS = ['/bench/pass', '/bench/shadow'] as const;

const cpuOf = (pid: number) => {
  const c = processCpuUs(pid);
  return c.user + c.sys;
};

function load(url: string, seconds: number): { rps: number; total: number; errors: number; non2xx: number; cpuUs: number } {
  const r = spawnSync(process.execPath, [join(benchDir, 'load.ts'), 'throughput', url, '32', String(seconds), 'GET', '0', String(RATE)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`load generator exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

interface Row { rps: number; loadgen: number; facade: number; facadeSys: number; legacy: number; service: number }

async function main(): Promise<void> {
  console.log(`load average before: ${loadNow()}`);
  const [legacy, service] = await Promise.all([startChild('upstream.ts', ['1']), startChild('upstream.ts', ['1'])]);
  const lp = String(legacy.info.ports[0]);
  const sp = String(service.info.ports[0]);
  const trees = [{ name: 'this', proc: await startChild('facade-proc.ts', [lp, sp]) }];
  if (otherArg !== null) trees.unshift({ name: 'other', proc: await startChild(join(otherArg, 'strangler/bench/facade-proc.ts'), [lp, sp]) });
  const runs = trees.flatMap((t) => PATHS.map((p) => ({ key: `${t.name} ${p}`, tree: t.name, path: p, pid: t.proc.child.pid!, url: `http://127.0.0.1:${t.proc.info.port}${p}` })));
  const rows = new Map(runs.map((r) => [r.key, [] as Row[]]));
  try {
    for (const r of runs) load(r.url, 1); // warm-up (JIT, pools)
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...runs].reverse() : runs;
      for (const r of order) {
        const pids = [r.pid, legacy.child.pid!, service.child.pid!];
        const before = pids.map(cpuOf);
        const sys0 = processCpuUs(r.pid).sys;
        const l = load(r.url, SECONDS);
        const sys1 = processCpuUs(r.pid).sys;
        const after = pids.map(cpuOf);
        if (l.errors || l.non2xx) throw new Error(`${r.key}: ${l.errors} errors, ${l.non2xx} non-2xx`);
        const per = (i: number) => (after[i] - before[i]) / l.total;
        rows.get(r.key)!.push({ rps: l.rps, loadgen: l.cpuUs / l.total, facade: per(0), facadeSys: (sys1 - sys0) / l.total, legacy: per(1), service: per(2) });
      }
      console.log(`round ${round + 1} (load ${loadNow()}): ` + runs.map((r) => `${r.key} ${Math.round(rows.get(r.key)!.at(-1)!.rps)}`).join(', ') + ' req/s');
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
  console.log('µs of CPU per request (medians):');
  for (const r of runs) {
    const x = rows.get(r.key)!;
    const m = (k: keyof Row) => r1(med(x.map((y) => y[k])));
    const sum = r1(med(x.map((y) => y.loadgen + y.facade + y.legacy + y.service)));
    console.log(`  ${r.key.padEnd(20)} ${String(Math.round(med(x.map((y) => y.rps)))).padStart(6)} req/s | loadgen ${m('loadgen')} facade ${m('facade')} (sys ${m('facadeSys')}) legacy ${m('legacy')} service ${m('service')} | sum ${sum}`);
  }
  const ratio = (a: Row[], b: Row[], k: keyof Row) => Math.round(med(a.map((y, i) => y[k] / b[i][k])) * 1000) / 1000;
  for (const t of trees) console.log(`  ${t.name}: shadow/pass req/s (paired) ${ratio(rows.get(`${t.name} /bench/shadow`)!, rows.get(`${t.name} /bench/pass`)!, 'rps')}`);
  if (otherArg !== null) {
    for (const p of PATHS) {
      const a = rows.get(`this ${p}`)!;
      const b = rows.get(`other ${p}`)!;
      console.log(`  this/other ${p}: req/s ${ratio(a, b, 'rps')}, facade CPU ${ratio(a, b, 'facade')}, service CPU ${ratio(a, b, 'service')}`);
    }
  }
  console.log(`load average after: ${loadNow()}`);
}

await main();
