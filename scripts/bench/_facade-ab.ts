/**
 * Issue 15 A/B probe (files starting with `_` are not listed by `npm run bench`): CPU per proxied request of
 * this tree's facade against another build's, in interleaved rounds under the same load.
 *
 *   node scripts/bench/_facade-ab.ts <other-tree> [rounds=6] [seconds=3] [path=/bench/pass] [method=GET] [bodyBytes=0]
 *
 * `<other-tree>` is a checkout of the build to compare with (e.g. `git archive <commit> | tar -x -C /tmp/base`
 * plus a node_modules symlink). Both facades (strangler/bench/facade-proc.ts of each tree) serve the same
 * upstream (this tree's strangler/bench/upstream.ts) under strangler/bench/load.ts with 32 connections (a POST
 * with a body to /bench/pass takes the fallback rule, its body streamed); CPU per
 * request = utime + stime of the facade process from /proc/<pid>/stat over the requests served. Printed: each
 * round, medians with the user/sys split, the paired median ratio this/other, load average before and after.
 */
import { join, resolve } from 'node:path';
import { children, loadNow, med, pairedCpuRounds, r1, startChild } from './_facade-procs.ts';

const other = resolve(process.argv[2] ?? '');
if (!process.argv[2]) throw new Error('usage: _facade-ab.ts <other-tree> [rounds] [seconds] [path]');
const ROUNDS = Number(process.argv[3]) || 6;
const SECONDS = Number(process.argv[4]) || 3;
const PATH = process.argv[5] ?? '/bench/pass';
const METHOD = process.argv[6] ?? 'GET';
const BODY = Number(process.argv[7] ?? 0);

async function main(): Promise<void> {
  console.log(`load average before: ${loadNow()}`);
  const up = await startChild('upstream.ts', ['2']);
  const [legacyPort, servicePort] = up.info.ports!;
  const mine = await startChild('facade-proc.ts', [String(legacyPort), String(servicePort)]);
  const theirs = await startChild(join(other, 'strangler/bench/facade-proc.ts'), [String(legacyPort), String(servicePort)]);
  const targets = [
    { name: 'other', pid: theirs.child.pid!, url: `http://127.0.0.1:${theirs.info.port}${PATH}` },
    { name: 'this', pid: mine.child.pid!, url: `http://127.0.0.1:${mine.info.port}${PATH}` },
  ];
  let rows;
  try {
    rows = pairedCpuRounds(targets, ROUNDS, SECONDS, METHOD, BODY);
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
