/**
 * Issue 15 probe (files starting with `_` are not listed by `npm run bench`): garbage the facade makes per
 * request, this tree's build against another's, in interleaved rounds under the same load.
 *
 *   node scripts/bench/_facade-gc.ts <other-tree> [rounds=4] [seconds=3] [path=/bench/pass] [method=GET] [bodyBytes=0]
 *
 * Both facades (strangler/bench/facade-proc.ts of each tree) run with `--trace-gc-nvp` and serve the same
 * upstream (this tree's strangler/bench/upstream.ts) under strangler/bench/load.ts (32 connections; a POST with
 * a body to /bench/pass goes through the fallback rule with its body streamed). Counted from V8's trace lines
 * during each round, per 10,000 requests: scavenges, mark-compacts, bytes allocated in the young generation,
 * bytes promoted to the old generation (what survived two scavenges: requests kept alive too long), GC pause.
 * Printed: medians per build and the paired median ratios this/other of promoted bytes and pauses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { benchDir, loadNow, loadSync, med, r1 } from './_facade-procs.ts';

const other = resolve(process.argv[2] ?? '');
if (!process.argv[2]) throw new Error('usage: _facade-gc.ts <other-tree> [rounds] [seconds] [path] [method] [bodyBytes]');
const ROUNDS = Number(process.argv[3]) || 4;
const SECONDS = Number(process.argv[4]) || 3;
const PATH = process.argv[5] ?? '/bench/pass';
const METHOD = process.argv[6] ?? 'GET';
const BODY = Number(process.argv[7] ?? 0);

interface GcTotals { scavenges: number; markCompacts: number; allocated: number; promoted: number; pauseMs: number }
const zero = (): GcTotals => ({ scavenges: 0, markCompacts: 0, allocated: 0, promoted: 0, pauseMs: 0 });
const field = (line: string, name: string): number => {
  const at = line.indexOf(' ' + name + '=');
  return at === -1 ? 0 : parseFloat(line.slice(at + name.length + 2));
};

const children: ChildProcess[] = [];

/** Starts a server script with --trace-gc-nvp; resolves with its port line and a live GC total. */
function startTraced(script: string, args: string[], flags: string[]): Promise<{ port: number; gc: GcTotals }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...flags, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'silent' } });
    children.push(child);
    const gc = zero();
    let ready = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes(' pause=')) {
        const kind = line.slice(line.indexOf(' gc=') + 4).split(' ')[0];
        if (kind === 's') gc.scavenges++;
        else gc.markCompacts++;
        gc.allocated += field(line, 'allocated');
        gc.promoted += field(line, 'promoted');
        gc.pauseMs += field(line, 'pause');
      } else if (!ready && line.startsWith('{')) {
        ready = true;
        done({ port: JSON.parse(line).port ?? JSON.parse(line).ports[0], gc });
      }
    });
    child.once('exit', (code) => fail(new Error(`${script} exited with ${code}`)));
  });
}

function load(url: string, seconds: number): number {
  const r = loadSync(url, seconds, METHOD, BODY);
  if (r.errors || r.non2xx) throw new Error(`${r.errors} errors, ${r.non2xx} non-2xx`);
  return r.total;
}

async function main(): Promise<void> {
  console.log(`load average before: ${loadNow()}`);
  const up = spawn(process.execPath, [join(benchDir, 'upstream.ts'), '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(up);
  const ports: number[] = await new Promise((done) => createInterface({ input: up.stdout! }).once('line', (l) => done(JSON.parse(l).ports)));
  const args = ports.map(String);
  const builds = [
    { name: 'other', ...(await startTraced(join(other, 'strangler/bench/facade-proc.ts'), args, ['--trace-gc-nvp'])) },
    { name: 'this', ...(await startTraced(join(benchDir, 'facade-proc.ts'), args, ['--trace-gc-nvp'])) },
  ];
  const rows = new Map(builds.map((b) => [b.name, [] as GcTotals[]]));
  try {
    for (const b of builds) load(`http://127.0.0.1:${b.port}${PATH}`, 1); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const b of round % 2 ? [...builds].reverse() : builds) {
        const before = { ...b.gc };
        const n = load(`http://127.0.0.1:${b.port}${PATH}`, SECONDS);
        await new Promise((r) => setTimeout(r, 200)); // the trace lines of the round's last GCs
        const per = 10_000 / n;
        rows.get(b.name)!.push({
          scavenges: (b.gc.scavenges - before.scavenges) * per, markCompacts: (b.gc.markCompacts - before.markCompacts) * per,
          allocated: (b.gc.allocated - before.allocated) * per, promoted: (b.gc.promoted - before.promoted) * per, pauseMs: (b.gc.pauseMs - before.pauseMs) * per,
        });
      }
      console.log(`round ${round + 1} (load ${loadNow()}): ` + builds.map((b) => {
        const x = rows.get(b.name)!.at(-1)!;
        return `${b.name} ${r1(x.scavenges)} scavenges, ${r1(x.promoted / 1024)} KiB promoted`;
      }).join('; ') + ' per 10k requests');
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
  for (const b of builds) {
    const r = rows.get(b.name)!;
    const m = (k: keyof GcTotals) => med(r.map((x) => x[k]));
    console.log(`  ${b.name}, per 10k requests: ${r1(m('scavenges'))} scavenges, ${r1(m('markCompacts'))} mark-compacts, ${r1(m('allocated') / 1048576)} MiB allocated, ${r1(m('promoted') / 1024)} KiB promoted, ${r1(m('pauseMs'))} ms GC pause`);
  }
  const ratio = (k: keyof GcTotals) => {
    const a = rows.get('this')!.map((x) => x[k]);
    const b = rows.get('other')!.map((x) => x[k]);
    return Math.round(med(a.map((x, i) => (b[i] === 0 ? (x === 0 ? 1 : Infinity) : x / b[i]))) * 1000) / 1000;
  };
  console.log(`paired median ratio this/other: promoted ${ratio('promoted')}, scavenges ${ratio('scavenges')}, pause ${ratio('pauseMs')}`);
  console.log(`load average after: ${loadNow()}`);
}

await main();
