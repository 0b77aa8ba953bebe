/**
 * One fault-harness run: a fresh demo catalog on the main server, a target on
 * the same or the second server, the committed-row writer running the whole
 * time, and the real CLI killed by plan through
 *   start → verify → cutover → rollback → verify → cutover → start (reverse catch-up),
 * then the independent checker: source vs target, and the writer's log vs
 * both sides. Nothing here asks the tool whether it worked.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKnex, dropDatabase, withDatabase, type Knex } from '../../../../lib/db.ts';
import { createTestDatabase, testServerDsn, uniqueName } from '../../../../test/helpers/db.ts';
import type { MariaDbServer } from '../../../../test/helpers/mariadb-server.ts';
import { closeContext, openContext } from '../../lib/context.ts';
import { cutoverCommand, rollbackCommand, startCommand, verifyCommand } from '../../lib/commands.ts';
import { isSplitError } from '../../lib/errors.ts';
import { parseManifest, resolveService } from '../../lib/manifest.ts';
import { validateOptions } from '../../lib/options.ts';
import { seedCatalog } from '../helpers.ts';
import { checkExpectation, compareDatabases, type CheckResult } from './checker.ts';
import { killUntilDone, lastLine, type CliRun, type KillPlan } from './killer.ts';
import { CommittedWriter, WRITER_TABLES, type WriterStats } from './writer.ts';

export interface Scenario {
  name: string;
  server: 'same' | 'second';
  copyMode: 'sql' | 'stream';
  products: number;
  /** Rows per copy chunk (small: many chunks, many windows to die in). */
  chunk?: number;
  copyWorkers?: number;
  /** Commits the writer makes between two CLI runs. */
  writesBetween?: number;
  writerLoops?: number;
  kills: { start?: KillPlan; verify?: KillPlan; cutover?: KillPlan; rollback?: KillPlan; cutover2?: KillPlan };
  /** Log every committed row image to this JSONL file. */
  writerLog?: string;
  /** Writer's value set (writer.ts); default full. */
  values?: 'full' | 'js-safe';
  /** Writer's share of poison rows (defect #6); default 0. */
  poisonRate?: number;
  /** Called with both sides after the final comparison, before the databases are dropped. */
  inspect?: (sides: { source: Knex; sourceDb: string; target: Knex; targetDb: string }) => Promise<void>;
  /** Put the source (the legacy database) on this server instead of the main one (binlog capture: a server with the binlog on). */
  sourceServer?: MariaDbServer;
  /** --capture for every run (default: the tool's auto). */
  capture?: 'auto' | 'binlog' | 'triggers';
  /** Runs that are not to be killed go in-process (same code as the CLI's actions, no process start); default: the CLI. */
  finishInProcess?: boolean;
}

export interface ScenarioReport {
  name: string;
  /** The step that failed (a non-zero exit that was not a kill), if any. */
  failure?: string;
  kills: number;
  runs: number;
  /** What the tool's own verify said (for the report only: the checker decides). */
  verify: Array<{ ok?: boolean; differences?: number; code: number | null }>;
  writer: WriterStats;
  writerErrors: string[];
  /** Source vs target, every row, every column. */
  check: CheckResult;
  /** The writer's committed images vs the live side (target) and the old side (source). */
  expectTarget: CheckResult;
  expectSource: CheckResult;
  ms: number;
}

export const DEFAULT_WRITES_BETWEEN = 15;

export async function runScenario(s: Scenario, second?: MariaDbServer, log: (line: string) => void = () => {}): Promise<ScenarioReport> {
  const t0 = Date.now();
  if (s.server === 'second' && !second) throw new Error(`${s.name}: needs the second MariaDB server`);
  const source = await createTestDatabase('fh_s', ['legacy'], 'move', s.sourceServer?.dsn());
  const targetName = uniqueName('fh_t');
  const targetDsn = s.server === 'second' ? second!.dsn(targetName) : withDatabase(testServerDsn(), targetName);
  const dir = await mkdtemp(join(tmpdir(), 'split-harness-'));
  const manifestPath = join(dir, 'manifest.json');
  const manifest = {
    version: 1, source: source.dsn,
    services: { product: { domain: 'product', target: targetDsn, migrations: 'product', tables: [...WRITER_TABLES],
      crossingForeignKeys: { 'products.fk_products_shop': { action: 'drop' }, 'likes.fk_likes_product': { action: 'drop' } } } },
  };
  await writeFile(manifestPath, JSON.stringify(manifest));
  const chunk = String(s.chunk ?? 40);
  const inProcess = async (cmd: string): Promise<CliRun> => {
    const t = Date.now();
    const ctx = openContext({
      service: resolveService(parseManifest(manifest), 'product'),
      opts: validateOptions({ copyMode: s.copyMode, chunkSize: chunk, minChunk: chunk, maxChunk: chunk, copyWorkers: s.copyWorkers ?? 2, maxThreadsRunning: 0, verifyChunk: 200, freezeAbortMs: 5000, capture: s.capture }),
    });
    try {
      const result = cmd === 'start' ? await startCommand(ctx, {}) : cmd === 'verify' ? await verifyCommand(ctx, {})
        : cmd === 'cutover' ? await cutoverCommand(ctx) : await rollbackCommand(ctx);
      const differences = cmd === 'verify' && (result as { finishedAt?: string; ok?: boolean }).ok === false;
      return { code: differences ? 5 : 0, signal: null, stdout: JSON.stringify(result), stderr: '', ms: Date.now() - t };
    } catch (err) {
      const code = isSplitError(err) && err.code === 'CUTOVER_ABORTED' ? 4 : 1;
      return { code, signal: null, stdout: '', stderr: `split-db: ${(err as Error).message}`, ms: Date.now() - t };
    } finally {
      await closeContext(ctx);
    }
  };
  const args = (cmd: string) => [cmd, 'product', '--manifest', manifestPath, '--copy-mode', s.copyMode, '--chunk-size', chunk, '--min-chunk', chunk, '--max-chunk', chunk,
    '--copy-workers', String(s.copyWorkers ?? 2), '--max-threads-running', '0', '--verify-chunk', '200', '--abort-after-ms', '5000', '--json', ...(s.capture ? ['--capture', s.capture] : [])];
  let target: Knex | undefined;
  let writer: CommittedWriter | undefined;
  let kills = 0;
  let runs = 0;
  const verify: ScenarioReport['verify'] = [];
  try {
    await seedCatalog(source.knex, s.products);
    // seedCatalog's popularity_score is id/7 (17 digits): keep the js-safe value set dyadic from the start
    if (s.values === 'js-safe') await source.knex.raw('UPDATE products SET popularity_score = id / 8');
    writer = new CommittedWriter({ sourceDsn: source.dsn, targetDsn, loops: s.writerLoops ?? 2, delayMs: 2, tag: 'h', logPath: s.writerLog, poisonRate: s.poisonRate, values: s.values });
    await writer.start();
    const w = writer;
    let writing = true;
    const between = s.writesBetween ?? DEFAULT_WRITES_BETWEEN;
    const step = async (cmd: string, plan: KillPlan = {}, tolerate?: (r: CliRun) => boolean) => {
      const r = await killUntilDone(args(cmd), plan, {
        tolerate,
        finish: s.finishInProcess ? () => inProcess(cmd) : undefined,
        onRun: async (run) => {
          log(`${s.name}: ${cmd}${run.kill ? ` kill@${run.kill}` : ''} → ${run.signal ?? `exit ${run.code}`} in ${run.ms} ms${run.code ? `: ${lastLine(run.stderr)}` : ''}`);
          // a cutover/rollback killed mid-way may leave the writers fenced until it is run again
          if (writing && (run.code === 0 || cmd === 'start' || cmd === 'verify')) await w.more(between);
        },
      });
      kills += r.kills;
      runs += r.runs.length;
      return r.final;
    };
    const verifyStep = async (plan?: KillPlan) => {
      // exit 5 = differences found: recorded, the checker decides
      const f = await step('verify', plan, (r) => r.code === 5);
      const v = JSON.parse(f.stdout || '{}') as { ok?: boolean; differences?: unknown[] };
      verify.push({ ok: v.ok, differences: v.differences?.length, code: f.code });
    };
    let failure: string | undefined;
    try {
      await step('start', s.kills.start);
      await verifyStep(s.kills.verify);
      await step('cutover', s.kills.cutover);
      await step('rollback', s.kills.rollback);
      await verifyStep();
      await step('cutover', s.kills.cutover2);
    } catch (err) {
      // the tool failed (or refused): still judge the data, so the report says what it left behind
      failure = (err as Error).message;
      log(`${s.name}: FAILED: ${failure}`);
    }
    writing = false;
    await writer.stop();
    writer = undefined;
    // the writer stopped: one catch-up (reverse after a cutover) makes the other side current, then judge
    if (!failure) await step('start');
    else await inProcess('start').catch(() => undefined);
    target = createKnex(targetDsn, { profile: 'move', pool: { max: 2 } });
    const src = { knex: source.knex, db: source.name };
    const dst = { knex: target, db: targetName };
    const check = await compareDatabases(src, dst, [...WRITER_TABLES]);
    const expectTarget = await checkExpectation(dst, w.expected, w.uncertain);
    const expectSource = await checkExpectation(src, w.expected, w.uncertain);
    await s.inspect?.({ source: source.knex, sourceDb: source.name, target, targetDb: targetName });
    return { name: s.name, failure, kills, runs, verify, writer: w.stats, writerErrors: w.errors, check, expectTarget, expectSource, ms: Date.now() - t0 };
  } finally {
    await writer?.stop().catch(() => undefined);
    await target?.destroy();
    await source.drop().catch(() => undefined);
    await dropDatabase(targetDsn).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
