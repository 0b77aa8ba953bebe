/**
 * Issue 15 A/B probe (files starting with `_` are not listed by `npm run bench`): CPU per proxied request of
 * this tree's facade against another build's, in interleaved rounds under the same load.
 *
 *   node scripts/bench/_facade-ab.ts <other-tree> [rounds=6] [seconds=3] [path=/bench/pass]
 *
 * `<other-tree>` is a checkout of the build to compare with (e.g. `git archive <commit> | tar -x -C /tmp/base`
 * plus a node_modules symlink). Both facades (strangler/bench/facade-proc.ts of each tree) serve the same
 * upstream (this tree's strangler/bench/upstream.ts) under strangler/bench/load.ts with 32 connections; CPU per
 * request = utime + stime of the facade process from /proc/<pid>/stat over the requests served. Printed: each
 * round, medians with the user/sys split, the paired median ratio this/other, load average before and after.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('../../', import.meta.url));
const other = resolve(process.argv[2] ?? '');
if (!process.argv[2]) throw new Error('usage: _facade-ab.ts <other-tree> [rounds] [seconds] [path]');
const ROUNDS = Number(process.argv[3]) || 6;
const SECONDS = Number(process.argv[4]) || 3;
const PATH = process.argv[5] ?? '/bench/pass';
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;
const children: ChildProcess[] = [];

function cpuUs(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [(Number(f[11]) * 1e6) / CLK_TCK, (Number(f[12]) * 1e6) / CLK_TCK];
}

function startChild(script: string, args: string[]): Promise<{ child: ChildProcess; info: { port?: number; ports?: number[] } }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'silent' } });
    children.push(child);
    createInterface({ input: child.stdout! }).once('line', (line) => res({ child, info: JSON.parse(line) }));
    child.once('exit', (code) => rej(new Error(`${script} exited with ${code}`)));
  });
}

function load(url: string, seconds: number): { total: number; errors: number; non2xx: number } {
  const r = spawnSync(process.execPath, [join(here, 'strangler/bench/load.ts'), 'throughput', url, '32', String(seconds)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`load generator exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

const med = (a: readonly number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
const r1 = (x: number) => Math.round(x * 10) / 10;
const loadNow = () => loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  console.log(`load average before: ${loadNow()}`);
  const up = await startChild(join(here, 'strangler/bench/upstream.ts'), ['2']);
  const [legacyPort, servicePort] = up.info.ports!;
  const mine = await startChild(join(here, 'strangler/bench/facade-proc.ts'), [String(legacyPort), String(servicePort)]);
  const theirs = await startChild(join(other, 'strangler/bench/facade-proc.ts'), [String(legacyPort), String(servicePort)]);
  const targets = [
    { name: 'other', pid: theirs.child.pid!, url: `http://127.0.0.1:${theirs.info.port}${PATH}` },
    { name: 'this', pid: mine.child.pid!, url: `http://127.0.0.1:${mine.info.port}${PATH}` },
  ];
  const rows = new Map(targets.map((t) => [t.name, [] as { user: number; sys: number; total: number }[]]));
  try {
    for (const t of targets) load(t.url, 1);
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of round % 2 ? [...targets].reverse() : targets) {
        const [u0, s0] = cpuUs(t.pid);
        const r = load(t.url, SECONDS);
        const [u1, s1] = cpuUs(t.pid);
        if (r.errors || r.non2xx) throw new Error(`${t.name}: ${r.errors} errors, ${r.non2xx} non-2xx`);
        rows.get(t.name)!.push({ user: (u1 - u0) / r.total, sys: (s1 - s0) / r.total, total: (u1 - u0 + s1 - s0) / r.total });
      }
      console.log(`round ${round + 1} (load ${loadNow()}): ` + targets.map((t) => `${t.name} ${r1(rows.get(t.name)!.at(-1)!.total)}`).join(', ') + ' µs/req');
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
  for (const t of targets) {
    const r = rows.get(t.name)!;
    console.log(`  ${t.name}: ${r1(med(r.map((x) => x.total)))} µs/req (${r1(med(r.map((x) => x.user)))} user + ${r1(med(r.map((x) => x.sys)))} sys)`);
  }
  const a = rows.get('this')!.map((x) => x.total);
  const b = rows.get('other')!.map((x) => x.total);
  console.log(`paired median ratio this/other: ${Math.round(med(a.map((x, i) => x / b[i])) * 1000) / 1000}`);
  console.log(`load average after: ${loadNow()}`);
}

await main();
