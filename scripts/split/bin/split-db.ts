#!/usr/bin/env node
/**
 * split-db: moves a service's tables out of the legacy database into its own
 * database while the application keeps writing. The only file of the tool
 * that exits the process.
 */
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { createLogger } from '../../../lib/logger.ts';
import { applyCliConventions, examplesText } from '../../../lib/cli.ts';
import { afterReaching, errorJson, errorLine, routeKnexLogs } from '../lib/cli-errors.ts';
import { readEnv, targetFromEnv, DEFAULT_MANIFEST, type SplitEnv } from '../lib/cli-config.ts';
import {
  cancelCommand, completeCommand, cutoverCommand, planCommand, repairCommand, repointCommand, rollbackCommand, startCommand, statusCommand, verifyCommand,
} from '../lib/commands.ts';
import { closeContext, openContext, type SplitContext } from '../lib/context.ts';
import { isSplitError } from '../lib/errors.ts';
import { createFaults } from '../lib/faults.ts';
import { loadManifest, resolveService } from '../lib/manifest.ts';
import {
  DEFAULT_APPLY_BATCH, DEFAULT_APPLY_LAG_MS, DEFAULT_CHUNK_SIZE, DEFAULT_COPY_LOADERS, DEFAULT_COPY_WORKERS, DEFAULT_DDL_LOCK_WAIT_MS, DEFAULT_DDL_RETRIES, DEFAULT_FREEZE_ABORT_MS, DEFAULT_MAX_CHUNK,
  DEFAULT_MAX_ROWS_PER_SECOND, DEFAULT_MAX_THREADS_RUNNING, DEFAULT_MIN_CHUNK, DEFAULT_TARGET_CHUNK_MS, DEFAULT_VERIFY_CHUNK, DEFAULT_VERIFY_LEAF_ROWS,
  validateOptions,
} from '../lib/options.ts';
import { NO_PROGRESS, progressLines, type ProgressSink } from '../lib/progress.ts';
import { niceProcess } from '../lib/nice.ts';
import { renderCancel, renderComplete, renderPlan, renderRepair, renderRepoint, renderStatus, renderVerify } from '../lib/render.ts';

const EXIT = { ok: 0, error: 1, usage: 2, blocked: 3, aborted: 4, differences: 5, unverified: 6, interrupted: 130 } as const;

interface Globals {
  manifest?: string;
  source?: string;
  target?: string;
  ownership?: string;
  json?: boolean;
  dryRun?: boolean;
  chunkSize?: string;
  minChunk?: string;
  maxChunk?: string;
  targetChunkMs?: string;
  maxRowsPerSecond?: string;
  maxThreadsRunning?: string;
  applyBatch?: string;
  applyLagMs?: string;
  copyWorkers?: string;
  copyLoaders?: string;
  streamWrite?: string;
  deferIndexes?: string;
  abortAfterMs?: string;
  verifyChunk?: string;
  verifyLeafRows?: string;
  verifyWorkers?: string;
  copyMode?: string;
  capture?: string;
  verifyMaxAge?: string;
  ddlLockWaitMs?: string;
  ddlRetries?: string;
  ddlWait?: boolean;
  nice?: string;
  actor?: string;
  code?: string[];
}

let env: SplitEnv;
const aborter = new AbortController();
let exitCode: number = EXIT.ok;

function barSink(json: boolean): ProgressSink {
  if (json) return NO_PROGRESS;
  // a pipe or a CI log: a plain line every SPLIT_PROGRESS_INTERVAL_MS (default 10 s) instead of a redrawn bar
  if (!process.stderr.isTTY) return progressLines({ write: (l) => process.stderr.write(`${l}\n`), intervalMs: env.SPLIT_PROGRESS_INTERVAL_MS });
  let bar: cliProgress.SingleBar | undefined;
  let t0 = 0;
  return {
    begin(label, total) {
      t0 = Date.now();
      bar = new cliProgress.SingleBar({
        format: `${label} [{bar}] {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}`,
        stream: process.stderr, hideCursor: true, etaBuffer: 20,
      }, cliProgress.Presets.shades_classic);
      bar.start(total, 0, { rows: 0, rate: 0 });
    },
    update(done, info) {
      const rows = info?.rows ?? 0;
      bar?.update(done, { rows, rate: Math.round(rows / Math.max(0.001, (Date.now() - t0) / 1000)) });
    },
    end() {
      bar?.stop();
      bar = undefined;
    },
  };
}

async function withContext<T>(cmd: Command, service: string, fn: (ctx: SplitContext) => Promise<T>): Promise<T> {
  const g = cmd.optsWithGlobals<Globals>();
  const manifest = await loadManifest(g.manifest ?? env.SPLIT_MANIFEST ?? DEFAULT_MANIFEST);
  const resolved = resolveService(manifest, service, {
    source: g.source ?? env.SPLIT_SOURCE_URL ?? env.MYSQL_URL,
    target: g.target ?? targetFromEnv(process.env, service),
    ownership: g.ownership ?? env.SPLIT_OWNERSHIP_URL,
    code: g.code,
  });
  const opts = validateOptions({
    chunkSize: g.chunkSize, minChunk: g.minChunk, maxChunk: g.maxChunk, targetChunkMs: g.targetChunkMs, maxRowsPerSecond: g.maxRowsPerSecond, maxThreadsRunning: g.maxThreadsRunning,
    applyBatch: g.applyBatch, applyLagMs: g.applyLagMs, copyWorkers: g.copyWorkers, copyLoaders: g.copyLoaders, streamWrite: g.streamWrite as never, deferIndexes: g.deferIndexes as never, freezeAbortMs: g.abortAfterMs, verifyChunk: g.verifyChunk, verifyLeafRows: g.verifyLeafRows, verifyWorkers: g.verifyWorkers, copyMode: g.copyMode as never, capture: g.capture as never, verifyMaxAgeMs: g.verifyMaxAge,
    ddlLockWaitMs: g.ddlLockWaitMs, ddlRetries: g.ddlRetries, ddlWait: g.ddlWait, nice: g.nice,
  });
  if (opts.nice) niceProcess(opts.nice);
  const ctx = openContext({
    service: resolved,
    opts,
    log: createLogger('split-db', { level: env.LOG_LEVEL, destination: process.stderr }).child({ service }),
    faults: createFaults(env.SPLIT_FAULT, env.SPLIT_FAIL),
    progress: barSink(!!g.json),
    signal: aborter.signal,
    redisUrl: env.SPLIT_REDIS === 'off' ? undefined : env.REDIS_URL,
    ownershipChannel: env.OWNERSHIP_CHANNEL,
    actor: g.actor ?? env.SPLIT_ACTOR ?? `split-db:${env.USER ?? 'dba'}`,
    dryRun: !!g.dryRun,
  });
  // once a query has answered, a refused connect means a server went away mid-command (cli-errors.ts)
  let reached = false;
  const answered = () => (reached = true);
  ctx.source.knex.once('query-response', answered);
  ctx.target.knex.once('query-response', answered);
  try {
    return await fn(ctx);
  } catch (err) {
    throw reached ? afterReaching(err) : err;
  } finally {
    await closeContext(ctx);
  }
}

function print(cmd: Command, result: unknown, human: () => string): void {
  const g = cmd.optsWithGlobals<Globals>();
  process.stdout.write(g.json ? `${JSON.stringify(result, null, 2)}\n` : `${human()}\n`);
}

const collect = (v: string, acc: string[]) => [...acc, v];

const EPILOG = examplesText;

const EXIT_CODES_HELP = `
Exit codes: 0 ok, 1 error, 2 usage (bad option, argument, manifest; --confirm needed), 3 blocked, 4 cutover/rollback
aborted, 5 verify found differences (repair: some have no key to repair), 6 refused by the verify gate, 130 interrupted (state saved).`;

/** The global options a subcommand's help lists (all of them, with defaults: split-db --help). */
const COMMON_GLOBALS = ['--json', '--manifest', '--source', '--target', '--ownership', '--actor'];

/** A short "Global options" block for subcommand help: the common ones with their defaults, not all of them. */
function commonGlobalsHelp(program: Command): string {
  const opts = program.options.filter((o) => COMMON_GLOBALS.includes(o.long ?? ''));
  const width = Math.max(...opts.map((o) => o.flags.length));
  return `Global options (before or after the subcommand; tuning options such as --chunk-size: split-db --help):\n${
    opts.map((o) => `  ${o.flags.padEnd(width)}  ${o.description}`).join('\n')}\n`;
}

function build(): Command {
  const program = new Command('split-db')
    .description('Move a service\'s tables out of the legacy database: plan, copy with live capture, verify, cut over, roll back.')
    .option('--manifest <path>', `split manifest (env SPLIT_MANIFEST; default: ${DEFAULT_MANIFEST.replace(process.cwd() + '/', '')})`)
    .option('--source <dsn>', 'source (legacy) database DSN (env SPLIT_SOURCE_URL or MYSQL_URL; default: the manifest\'s)')
    .option('--target <dsn>', 'target database DSN (env SPLIT_TARGET_URL_<SERVICE>; default: the manifest\'s)')
    .option('--ownership <dsn>', 'database holding service_ownership (env SPLIT_OWNERSHIP_URL; default: the source)')
    .option('--json', 'machine-readable output; errors as {"error":{"code","message"}} on stdout (default: text)')
    .option('--actor <name>', 'who is acting, recorded in the ownership audit (env SPLIT_ACTOR; default: split-db:$USER)')
    .option('--chunk-size <n>', `initial copy chunk size in rows, adapts toward --target-chunk-ms (default: ${DEFAULT_CHUNK_SIZE})`)
    .option('--min-chunk <n>', `smallest adaptive chunk size (default: ${DEFAULT_MIN_CHUNK})`)
    .option('--max-chunk <n>', `largest adaptive chunk size (default: ${DEFAULT_MAX_CHUNK})`)
    .option('--target-chunk-ms <n>', `target duration of one copy chunk (default: ${DEFAULT_TARGET_CHUNK_MS})`)
    .option('--max-rows-per-second <n>', `copy throttle, 0 = unlimited (default: ${DEFAULT_MAX_ROWS_PER_SECOND})`)
    .option('--max-threads-running <n>', `pause the copy while the source has more running threads, 0 = off (default: ${DEFAULT_MAX_THREADS_RUNNING})`)
    .option('--apply-batch <n>', `captured changes applied per transaction (default: ${DEFAULT_APPLY_BATCH})`)
    .option('--apply-lag-ms <n>', `start --follow: least time between two applier runs; changes wait up to this long and go in fewer transactions (default: ${DEFAULT_APPLY_LAG_MS})`)
    .option('--copy-workers <n>', `key-range segments of a table copied concurrently (default: ${DEFAULT_COPY_WORKERS})`)
    .option('--copy-loaders <n>', `stream copy with LOAD DATA: chunks loaded into the target at once (default: ${DEFAULT_COPY_LOADERS})`)
    .option('--abort-after-ms <n>', `write-freeze abort limit for cutover/rollback (default: ${DEFAULT_FREEZE_ABORT_MS})`)
    .option('--verify-chunk <n>', `rows per verify chunk (default: ${DEFAULT_VERIFY_CHUNK})`)
    .option('--verify-leaf-rows <n>', `differing verify ranges are split down to this many rows, then diffed row by row (default: ${DEFAULT_VERIFY_LEAF_ROWS})`)
    .option('--verify-workers <n>', 'verify chunks compared at once, each with its own snapshot on both sides (default: the servers\' cores, halved when both sides share one, at least 2)')
    .option('--verify-max-age <duration>', 'cutover needs a clean verify finished at most this long ago, ms or 90s/30m/1h (default: 1h)')
    .option('--ddl-lock-wait-ms <n>', `how long one DDL attempt (trigger, FK drop, rename) keeps trying, NOWAIT, for a moment when no transaction holds its tables (default: ${DEFAULT_DDL_LOCK_WAIT_MS})`)
    .option('--ddl-wait', 'let a DDL attempt wait for its metadata lock instead (tables never free for a moment): the application\'s statements queue behind it meanwhile, and a transaction of theirs that reads then writes the table is rolled back as a deadlock victim')
    .option('--nice <n>', 'run the tool at this CPU priority (Unix nice 0-19): on a busy source host the application and the database get the cores first; the tool (binlog reading, copy, apply) waits for idle cycles, so its lag grows (default: 0, unchanged)')
    .option('--ddl-retries <n>', `DDL attempts after the first, with backoff; then fail naming the blocking transaction (default: ${DEFAULT_DDL_RETRIES})`)
    .addOption(new Option('--copy-mode <mode>', 'auto: INSERT … SELECT on one server, stream otherwise (default: auto)').choices(['auto', 'sql', 'stream']))
    .addOption(new Option('--defer-indexes <when>', 'drop the target\'s non-unique secondary indexes for the copy, add them back in one online ALTER after it: auto = on, both copy paths; off keeps them in place (default: auto)').choices(['auto', 'on', 'off']))
    .addOption(new Option('--stream-write <how>', 'stream copy into the target: auto = LOAD DATA LOCAL when the target allows it, else batch REPLACE (default: auto)').choices(['auto', 'load-data', 'insert']))
    .addOption(new Option('--capture <mode>', 'change capture: auto = read the ROW binlog when the server and the keys allow it, triggers otherwise (default: auto)').choices(['auto', 'binlog', 'triggers']))
    .addHelpText('after', EXIT_CODES_HELP)
    .addHelpText('after', EPILOG([
      'split-db plan product',
      'split-db start product',
      'split-db status',
      'split-db verify product',
      'split-db cutover product --abort-after-ms 2000',
      'split-db rollback product',
      'split-db repair product              # after a verify with differences; then verify again',
      'split-db complete product            # renames old tables to _old_<table>_<ts>',
      'SPLIT_SOURCE_URL=mysql://root@db1:3306/legacy SPLIT_TARGET_URL_USER=mysql://svc:****@db2:3306/user_svc split-db plan user',
    ]));

  const globalsHelp = commonGlobalsHelp(program);
  program.command('plan <service>')
    .description('show tables, sizes, keys, crossing FKs, the application code touching the tables (and its joins across the boundary), blockers and steps')
    .option('--code <dir>', 'application code to read (repeatable; replaces the manifest\'s "code"; node_modules, dist, build, .git skipped)', collect, [])
    .addHelpText('after', EPILOG(['split-db plan product', 'split-db plan user --json', 'split-db --manifest ../taskboard/split.json plan work --code ../taskboard/src']))
    .action(async (service: string, _o, cmd: Command) => {
      await withContext(cmd, service, async (ctx) => {
        const p = await planCommand(ctx);
        print(cmd, p, () => renderPlan(p));
        if (p.blockers.length) exitCode = EXIT.blocked;
      });
    });

  program.command('start <service>')
    .description('create the target schema, capture changes, copy in chunks, catch up (resumes where it stopped)')
    .option('--follow', 'keep applying captured changes until interrupted (Ctrl-C)')
    .option('--dry-run', 'show the plan and change nothing')
    .addHelpText('after', EPILOG(['split-db start product', 'split-db start product --follow --max-rows-per-second 20000', 'split-db start product --dry-run']))
    .action(async (service: string, o: { follow?: boolean }, cmd: Command) => {
      await withContext(cmd, service, async (ctx) => {
        const r = await startCommand(ctx, o);
        print(cmd, r, () => ('dryRun' in r
          ? `dry run: would start ${service}\n${renderPlan(r.plan)}`
          : `${service}: ${r.state.phase}${r.resumed ? ' (resumed)' : ''}; ${Object.values(r.state.tables).reduce((a, t) => a + t.rows, 0)} rows copied, ${r.state.applied.forward} changes applied, backlog ${r.backlog}`));
        if ('dryRun' in r && r.plan.blockers.length) exitCode = EXIT.blocked;
      });
    });

  program.command('status [service]')
    .description('phase, copy progress, change backlog, ownership and triggers of one or every service')
    .addHelpText('after', EPILOG(['split-db status', 'split-db status product --json']))
    .action(async (service: string | undefined, _o, cmd: Command) => {
      const g = cmd.optsWithGlobals<Globals>();
      const manifest = await loadManifest(g.manifest ?? env.SPLIT_MANIFEST ?? DEFAULT_MANIFEST);
      const names = service ? [service] : Object.keys(manifest.services);
      const all: Array<Awaited<ReturnType<typeof statusCommand>>> = [];
      for (const n of names) all.push(await withContext(cmd, n, (ctx) => statusCommand(ctx)));
      print(cmd, service ? all[0] : all, () => all.map(renderStatus).join('\n\n'));
    });

  program.command('verify <service>')
    .description('checksum every chunk on both servers while writes continue; row diff of mismatches (resumes; --restart to begin again)')
    .option('--restart', 'start from the first chunk even if an unfinished verify exists')
    .addHelpText('after', EPILOG(['split-db verify product', 'split-db verify product --json --verify-chunk 20000']))
    .action(async (service: string, o: { restart?: boolean }, cmd: Command) => {
      await withContext(cmd, service, async (ctx) => {
        const v = await verifyCommand(ctx, o);
        print(cmd, v, () => renderVerify(service, v));
        if (v.finishedAt && !v.ok) exitCode = EXIT.differences;
      });
    });

  program.command('cutover <service>')
    .description('bounded write freeze, drain, final catch-up, newest-rows check, reverse capture, ownership flip')
    .option('--dry-run', 'check the phase and show what would flip')
    .option('--force', 'cut over without a clean, recent verify (needs --reason; recorded in the state and the ownership audit)')
    .option('--reason <text>', 'why the verify gate is overridden (with --force)')
    .addHelpText('after', EPILOG(['split-db cutover product', 'split-db cutover product --abort-after-ms 1500', 'split-db cutover product --dry-run', 'split-db cutover product --force --reason "verify differences are rows deleted by the purge job, checked by hand"']))
    .action(async (service: string, o: { force?: boolean; reason?: string }, cmd: Command) => {
      await withContext(cmd, service, async (ctx) => {
        const r = await cutoverCommand(ctx, o);
        print(cmd, r, () => ('dryRun' in r ? `dry run: cutover would flip ${r.wouldFlip}` : 'abandoned' in r ? `${service}: interrupted ${r.abandoned} undone; the service side stays live` : `${service}: ${r.alreadyDone ? 'already cut over, nothing to do' : `cut over${r.resumed ? ' (finished an interrupted cutover)' : ''}`}; ownership ${r.owner}/${r.database}; write freeze ${r.freezeMs} ms`));
      });
    });

  program.command('rollback <service>')
    .description('after cutover: catch the legacy tables up from the reverse capture, freeze briefly, flip back (also undoes a cutover interrupted before its flip)')
    .option('--dry-run', 'check the phase and show what would flip')
    .addHelpText('after', EPILOG(['split-db rollback product', 'split-db rollback product --dry-run']))
    .action(async (service: string, _o, cmd: Command) => {
      await withContext(cmd, service, async (ctx) => {
        const r = await rollbackCommand(ctx);
        print(cmd, r, () => ('dryRun' in r ? `dry run: rollback would flip ${r.wouldFlip}` : 'abandoned' in r ? `${service}: interrupted ${r.abandoned} undone; writes resumed on the legacy side` : `${service}: ${r.alreadyDone ? 'already rolled back, nothing to do' : 'rolled back'}; ownership ${r.owner}/${r.database}; write freeze ${r.freezeMs} ms`));
      });
    });

  program.command('complete <service>')
    .description('after the rollback window: remove capture machinery, rename the old tables (drop them only with --confirm)')
    .option('--confirm', 'also DROP the renamed old tables')
    .option('--dry-run', 'list everything it would remove (triggers, changelog, fence, poison and guard tables) and rename; change nothing')
    .addHelpText('after', EPILOG(['split-db complete product --dry-run', 'split-db complete product', 'split-db complete product --confirm']))
    .action(async (service: string, o: { confirm?: boolean }, cmd: Command) => {
      await withContext(cmd, service, async (ctx) => {
        const r = await completeCommand(ctx, o);
        print(cmd, r, () => renderComplete(service, r));
      });
    });

  program.command('cancel <service>')
    .description('before cutover: remove triggers and changelogs and forget the state (target database kept unless --drop-target --confirm)')
    .option('--drop-target', 'also drop the target database (needs --confirm)')
    .option('--confirm', 'confirm a destructive option')
    .option('--dry-run', 'show what would be removed')
    .addHelpText('after', EPILOG(['split-db cancel product', 'split-db cancel product --drop-target --confirm']))
    .action(async (service: string, o: { dropTarget?: boolean; confirm?: boolean }, cmd: Command) => {
      await withContext(cmd, service, async (ctx) => {
        const r = await cancelCommand(ctx, o);
        print(cmd, r, () => renderCancel(service, r));
      });
    });
  program.command('repair <service>')
    .description('after a verify with differences: log their keys for the applier and apply them, so the copy holds the live rows for them (then verify again)')
    .option('--dry-run', 'show the keys it would log; change nothing')
    .addHelpText('after', EPILOG(['split-db repair product --dry-run', 'split-db repair product && split-db verify product']))
    .action(async (service: string, _o, cmd: Command) => {
      await withContext(cmd, service, async (ctx) => {
        const r = await repairCommand(ctx);
        print(cmd, r, () => renderRepair(r));
        if (r.unrepairable.length) exitCode = EXIT.differences;
      });
    });

  program.command('repoint <service>')
    .description('after a failover of the source (--source naming the new primary): move the binlog capture\'s saved position to this server\'s binlog by its GTID position')
    .option('--dry-run', 'show where the position would move; change nothing')
    .addHelpText('after', EPILOG(['split-db repoint product --source mysql://split:****@db-replica:3306/legacy --dry-run', 'split-db repoint product --source mysql://split:****@db-replica:3306/legacy']))
    .action(async (service: string, _o, cmd: Command) => {
      await withContext(cmd, service, async (ctx) => {
        const r = await repointCommand(ctx);
        print(cmd, r, () => renderRepoint(r));
      });
    });
  for (const sub of program.commands) sub.addHelpText('after', globalsHelp);
  return program;
}

function codeFor(err: unknown): number {
  if (isSplitError(err)) {
    if (err.code === 'BAD_MANIFEST' || err.code === 'BAD_OPTION' || err.code === 'UNKNOWN_SERVICE' || err.code === 'NEEDS_CONFIRM') return EXIT.usage;
    if (err.code === 'BLOCKED') return EXIT.blocked;
    if (err.code === 'CUTOVER_ABORTED') return EXIT.aborted;
    if (err.code === 'UNVERIFIED') return EXIT.unverified;
  }
  if ((err as { name?: string })?.name === 'ConfigError') return EXIT.usage;
  return EXIT.error;
}

async function main(): Promise<void> {
  try {
    env = readEnv(process.env);
    createFaults(env.SPLIT_FAULT, env.SPLIT_FAIL); // validates the fault spec once, up front
  } catch (err) {
    process.stderr.write(`${errorLine(err)}\n`);
    process.exit(EXIT.usage);
  }
  const knexLog = createLogger('split-db', { level: env.LOG_LEVEL, destination: process.stderr }).child({ component: 'knex' });
  routeKnexLogs((message) => knexLog.debug({ knex: message }, 'knex message'));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nsplit-db: ${sig} received; stopping at the next chunk boundary (state is saved)\n`);
      exitCode = EXIT.interrupted;
      aborter.abort();
    });
  }
  const program = build();
  // every parser error (also a subcommand's missing argument) one line `split-db: …`, exit 2, JSON on --json
  applyCliConventions(program, { tool: 'split-db', argv: process.argv, hint: '(split-db --help for usage)' });
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      process.exit(e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.ok : EXIT.usage);
    }
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(errorJson(err), null, 2)}\n`);
    process.stderr.write(`${errorLine(err)}\n`);
    process.exit(codeFor(err));
  }
  process.exit(exitCode);
}

void main();
