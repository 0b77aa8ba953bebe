/**
 * `npm run test:split-soak`: the fault harness's long profile, run by hand.
 * Round after round until the time is up: a fresh catalog, the committed-row
 * writer, and the real CLI SIGKILLed at every named fault point (cycled, with
 * random hit counts) and at random times, in each copy mode, on the same
 * server and across to a second MariaDB server; every round is judged by the
 * independent checker. Prints per round and in total: kills, writes, rows
 * compared, differences. Exit 0 only when every round ended with 0 missing,
 * 0 extra, 0 different and no failed step.
 *
 *   SPLIT_SOAK_SECONDS   how long to keep starting rounds (default 600)
 *   SPLIT_SOAK_MODES     comma list of same-sql, same-stream, second-stream (default all three)
 *   SPLIT_SOAK_PRODUCTS  products per round (default 2000; images = half)
 *   SPLIT_SOAK_VALUES    full (default) or js-safe (writer.ts; js-safe steps around defect #2)
 *   SPLIT_SOAK_LOG_DIR   keep each round's committed-row log (JSONL) here
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { mariaDbAvailable, startMariaDb, type MariaDbServer } from '../../../../test/helpers/mariadb-server.ts';
import { isClean, summary } from './checker.ts';
import { KILL_POINTS, type KillPlan } from './killer.ts';
import { runScenario, type Scenario } from './scenario.ts';

export const DEFAULT_SOAK_SECONDS = 600;
export const DEFAULT_SOAK_PRODUCTS = 2000;
const MODES = { 'same-sql': { server: 'same', copyMode: 'sql' }, 'same-stream': { server: 'same', copyMode: 'stream' }, 'second-stream': { server: 'second', copyMode: 'stream' } } as const;
type Mode = keyof typeof MODES;

function envInt(name: string, def: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

function rnd(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

/** Round n's kills: the named points taken in turn (so every point is hit every few rounds), random counts, random-time kills. */
export function soakPlan(n: number): Scenario['kills'] {
  const start = KILL_POINTS.start;
  const named = [start[n % start.length], start[(n + 2) % start.length]].map((p) => `${p}:${p === 'after-capture' ? 1 : rnd(1, 8)}`);
  const cut = KILL_POINTS.cutover[n % KILL_POINTS.cutover.length];
  const random = (count: number): KillPlan['random'] => ({ count, minMs: 800, maxMs: 6000 });
  return {
    start: { points: named, random: random(rnd(1, 3)) },
    verify: n % 2 === 0 ? { points: [`during-verify:${rnd(1, 4)}`] } : { random: random(1) },
    cutover: { points: [cut] },
    rollback: n % 2 === 1 ? { points: ['rollback-before-flip'] } : { random: random(1) },
    cutover2: { random: random(1) },
  };
}

async function main(): Promise<void> {
  const seconds = envInt('SPLIT_SOAK_SECONDS', DEFAULT_SOAK_SECONDS);
  const products = envInt('SPLIT_SOAK_PRODUCTS', DEFAULT_SOAK_PRODUCTS);
  const values = (process.env.SPLIT_SOAK_VALUES ?? 'full') as 'full' | 'js-safe';
  if (values !== 'full' && values !== 'js-safe') throw new Error('SPLIT_SOAK_VALUES must be full or js-safe');
  const modes = (process.env.SPLIT_SOAK_MODES ?? Object.keys(MODES).join(',')).split(',').map((m) => m.trim()) as Mode[];
  for (const m of modes) if (!(m in MODES)) throw new Error(`SPLIT_SOAK_MODES: unknown mode ${m} (known: ${Object.keys(MODES).join(', ')})`);
  const logDir = process.env.SPLIT_SOAK_LOG_DIR;
  if (logDir) mkdirSync(logDir, { recursive: true });
  let second: MariaDbServer | undefined;
  if (modes.some((m) => MODES[m].server === 'second')) {
    if (!mariaDbAvailable()) throw new Error('second-stream needs mariadb-install-db and mariadbd (apt-get install mariadb-server)');
    second = await startMariaDb({ binlog: true });
    console.log(`soak: second MariaDB server on port ${second.port} (ready in ${second.startMs.toFixed(0)} ms)`);
  }
  const total = { rounds: 0, kills: 0, runs: 0, writes: 0, compared: 0, missing: 0, extra: 0, different: 0, failed: 0 };
  const deadline = Date.now() + seconds * 1000;
  const t0 = Date.now();
  try {
    for (let n = 0; Date.now() < deadline; n++) {
      const mode = modes[n % modes.length];
      const name = `round ${n + 1} ${mode}`;
      const r = await runScenario({
        name, ...MODES[mode], products, chunk: rnd(30, 120), copyWorkers: rnd(1, 3), writesBetween: rnd(10, 60), writerLoops: 3, values,
        kills: soakPlan(n), writerLog: logDir ? join(logDir, `round-${n + 1}-${mode}.jsonl`) : undefined,
      }, second, process.env.SPLIT_SOAK_VERBOSE ? (l) => console.log(`  ${l}`) : undefined);
      const bad = r.check.missing + r.check.extra + r.check.different + r.expectTarget.missing + r.expectTarget.extra + r.expectTarget.different
        + r.expectSource.missing + r.expectSource.extra + r.expectSource.different;
      total.rounds++;
      total.kills += r.kills;
      total.runs += r.runs;
      total.writes += r.writer.commits;
      total.compared += r.check.compared;
      total.missing += r.check.missing;
      total.extra += r.check.extra;
      total.different += r.check.different;
      const ok = !r.failure && isClean(r.check) && isClean(r.expectTarget) && isClean(r.expectSource) && r.writerErrors.length === 0;
      if (!ok) total.failed++;
      console.log(`${name}: ${ok ? 'ok' : 'FAILED'}; ${r.kills} kills, ${r.runs} runs, ${r.writer.commits} writes (${r.writer.onTarget} on the target), ${r.check.compared} rows compared, ${bad} differences, tool verify ${r.verify.map((v) => (v.ok ? 'ok' : `${v.differences ?? '?'} diffs`)).join('/')}, ${(r.ms / 1000).toFixed(0)} s`);
      if (!ok) {
        if (r.failure) console.log(`  failed step: ${r.failure}`);
        console.log(`  source vs target: ${summary(r.check)}`);
        console.log(`  writer log vs target: ${summary(r.expectTarget)}`);
        console.log(`  writer log vs source: ${summary(r.expectSource)}`);
        if (r.writerErrors.length) console.log(`  writer errors: ${r.writerErrors.slice(0, 5).join(' | ')}`);
      }
    }
  } finally {
    await second?.stop();
  }
  console.log(`\nsoak: ${total.rounds} rounds in ${((Date.now() - t0) / 1000).toFixed(0)} s (${modes.join(', ')}; ${values} values): ${total.kills} kills, ${total.runs} CLI runs, ${total.writes} writes, `
    + `${total.compared} rows compared, ${total.missing} missing, ${total.extra} extra, ${total.different} different; ${total.failed} round(s) failed`);
  process.exit(total.failed ? 1 : 0);
}

main().catch((err) => {
  console.error(`soak: ${(err as Error).message}`);
  process.exit(2);
});
