/**
 * `npm start [-- --only name,name]`: the whole stack on one machine.
 * 1. reads the config once (env, see docs/foundation.md);
 * 2. ensures the legacy database exists and is migrated, and seeds scale 1
 *    (START_SEED_SCALE) when it has no shops;
 * 3. starts every process of the registry (scripts/stack.ts) with this node
 *    binary (the facade once the APIs it proxies to are ready), waits until
 *    each is ready, prints where everything runs; in a terminal the children's
 *    pino lines are shown human-readable (LOG_FORMAT=json keeps JSON), and no
 *    access-log line per request unless --access-log (LOG_ACCESS);
 * 4. on SIGINT/SIGTERM stops the children gracefully; if a child dies, says
 *    which and how, stops the rest and exits non-zero.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_MYSQL_URL, int, parseConfig } from '../lib/config.ts';
import { maskDsn } from '../lib/mask.ts';
import { migrateLegacy, oneLine } from './migrate.ts';
import { demoCredentials } from './seed/demo.ts';
import { DEFAULT_SEED } from './seed/plan.ts';
import { countRows, formatReport, seedDatabase } from './seed/run.ts';
import { STACK, resolveStack, selectEntries, type ResolvedEntry } from './stack.ts';
import { chooseLogFormat, prettyLine } from './supervise/pretty.ts';
import { DEFAULT_READY_TIMEOUT_MS, DEFAULT_STOP_TIMEOUT_MS, Supervisor, describeExit } from './supervise/supervisor.ts';
import { dashboardHint } from './dashboard-hint.ts';

export const startConfigSchema = z.object({
  MYSQL_URL: z.string().regex(/^(mysql|mariadb):\/\//, 'must be a mysql:// URL').default(DEFAULT_MYSQL_URL),
  START_SEED_SCALE: z.coerce.number().positive().default(1),
  START_SEED: z.coerce.number().int().default(DEFAULT_SEED),
  START_READY_TIMEOUT_MS: int(DEFAULT_READY_TIMEOUT_MS, 1),
  START_STOP_TIMEOUT_MS: int(DEFAULT_STOP_TIMEOUT_MS, 1),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  LOG_ACCESS: z.enum(['info', 'debug', 'off']).optional(),
});

/**
 * The children's environment: LOG_ACCESS=debug unless --access-log (info) or LOG_ACCESS is set, so a client loop
 * does not bury the terminal in one line per request per process (LOG_LEVEL=debug shows them too).
 */
export function childEnv(env: NodeJS.ProcessEnv, accessLog: boolean): NodeJS.ProcessEnv {
  return { ...env, LOG_ACCESS: accessLog ? 'info' : env.LOG_ACCESS || 'debug' };
}

const log = (line: string) => console.log(`start: ${line}`);

async function prepareDatabase(mysqlUrl: string, scale: number, seed: number): Promise<void> {
  const where = maskDsn(mysqlUrl);
  try {
    const applied = await migrateLegacy(mysqlUrl);
    log(applied.length ? `${where}: applied migrations ${applied.join(', ')}` : `${where}: schema up to date`);
    const { shops } = await countRows(mysqlUrl, ['shops']);
    if (shops > 0) {
      log(`${where}: has data (${shops} shops), not seeding`);
      return;
    }
    log(`${where}: empty, seeding demo data (scale ${scale})`);
    const report = await seedDatabase(mysqlUrl, { scale, seed, anchorMs: Math.floor(Date.now() / 60_000) * 60_000 });
    console.log(formatReport(report));
  } catch (err) {
    throw new Error(`${where}: ${oneLine(err)}`);
  }
}

export function summaryTable(entries: ResolvedEntry[]): string {
  const rows = entries.map((e) => [e.name, e.title, e.port ? `http://localhost:${e.port}` : '-', e.readyUrl ?? 'ipc ready message']);
  const creds = demoCredentials().map((c) => [c.role, c.email, c.password, c.api]);
  const table = (head: string[], body: string[][]) => {
    const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
    const line = (r: string[]) => `  ${r.map((c, i) => c.padEnd(w[i])).join('  ')}`.trimEnd();
    return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
  };
  return `\nThe stack is up:\n${table(['process', 'what', 'url', 'ready check'], rows)}\n\nDemo credentials:\n${table(['role', 'email', 'password', 'log in at'], creds)}\n\nCtrl-C stops everything.\n`;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('start')
    .description('Migrate, seed when empty, and run the whole stack')
    .option('--only <names>', `comma-separated subset of: ${STACK.map((e) => e.name).join(', ')}`, (v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--access-log', 'one log line per request from the APIs (LOG_ACCESS=info; default: off, shown at LOG_LEVEL=debug)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error: ') ? `start: ${s.slice(7)}` : s) });
  program.parse(argv, { from: 'user' });
  const config = parseConfig(startConfigSchema, process.env);
  const flags = program.opts<{ only?: string[]; accessLog?: boolean }>();
  const entries = resolveStack(selectEntries(STACK, flags.only), childEnv(process.env, !!flags.accessLog));
  const pretty = chooseLogFormat(process.env, !!process.stdout.isTTY) === 'pretty';

  await prepareDatabase(config.MYSQL_URL, config.START_SEED_SCALE, config.START_SEED);

  const sup = new Supervisor(entries, {
    readyTimeoutMs: config.START_READY_TIMEOUT_MS, stopTimeoutMs: config.START_STOP_TIMEOUT_MS,
    format: pretty ? prettyLine({ color: !!process.stdout.isTTY }) : undefined,
  });
  let signalled: string | undefined;
  const finished = new Promise<number>((resolveExit) => {
    const onSignal = (sig: NodeJS.Signals) => {
      if (signalled) return;
      signalled = sig;
      log(`${sig}: stopping ${entries.map((e) => e.name).join(', ')}`);
      sup.stop().then((exits) => {
        const unclean = exits.filter((e) => e.code !== 0 && e.signal !== 'SIGTERM' && e.signal !== 'SIGINT');
        for (const e of exits) log(`${e.name} ${describeExit(e)}`);
        resolveExit(unclean.length ? 1 : 0);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    sup.on('crash', (e) => {
      if (signalled) return; // Ctrl-C reaches the children too; their exit is expected
      log(`${e.name} ${describeExit(e)} unexpectedly; stopping the stack`);
      sup.stop().then(() => resolveExit(1));
    });
  });
  log(`starting ${entries.map((e) => e.name).join(', ')}`);
  try {
    await sup.start();
  } catch (err) {
    if (signalled) return finished;
    throw err;
  }
  if (!sup.stopped) console.log(summaryTable(entries) + (dashboardHint(process.env, entries.map((e) => e.name)) ?? ''));
  return finished;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    const e = err as { code?: string };
    if (typeof e?.code === 'string' && e.code.startsWith('commander.')) process.exit(e.code === 'commander.helpDisplayed' ? 0 : 2);
    console.error(`start: ${oneLine(err)}`);
    process.exit(1);
  });
}
