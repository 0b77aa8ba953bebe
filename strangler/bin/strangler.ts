#!/usr/bin/env node
/**
 * `strangler` CLI: talks to the facade's admin API. The URL and token come from
 * --url/--token, else STRANGLER_ADMIN_URL/STRANGLER_ADMIN_TOKEN, else the local
 * defaults that `npm start` uses. Errors are one line on stderr, exit code 1
 * (2 for usage errors).
 */
import { Command, CommanderError, Option } from 'commander';
import { AdminClient, CliError } from '../cli/client.ts';
import { formatAudit, formatDiffs, formatNoise, formatRoute, formatRoutes, formatStatus } from '../cli/format.ts';
import { DEFAULT_ADMIN_URL, LOCAL_ADMIN_TOKEN } from '../defaults.ts';

const MODES = ['legacy', 'shadow', 'canary', 'service'];

function client(cmd: Command): AdminClient {
  const o = cmd.optsWithGlobals() as { url?: string; token?: string };
  return new AdminClient({
    url: o.url ?? process.env.STRANGLER_ADMIN_URL ?? DEFAULT_ADMIN_URL,
    token: o.token ?? process.env.STRANGLER_ADMIN_TOKEN ?? LOCAL_ADMIN_TOKEN,
    actor: process.env.STRANGLER_ACTOR ?? process.env.USER ?? 'cli',
  });
}

function out(cmd: Command, data: unknown, text: (d: any) => string): void {
  const json = (cmd.optsWithGlobals() as { json?: boolean }).json;
  process.stdout.write((json ? JSON.stringify(data, null, 2) : text(data)) + '\n');
}

function percent(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new CliError(`--percent must be a number from 0 to 100 (got "${v}")`, 2);
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`expected a positive integer (got "${v}")`, 2);
  return n;
}

const enc = encodeURIComponent;

export function buildProgram(): Command {
  const program = new Command('strangler')
    .description('Operate the strangler facade: list routes, move a route legacy → shadow → canary → service, roll back, read diffs.')
    .option('--url <url>', `admin API URL (env STRANGLER_ADMIN_URL, default ${DEFAULT_ADMIN_URL})`)
    .option('--token <token>', 'admin token (env STRANGLER_ADMIN_TOKEN, default: the local development token)')
    .option('--json', 'print JSON instead of text (read commands)')
    .showSuggestionAfterError(true)
    // set before subcommands are added so they inherit it: usage errors → one line, exit code 2
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error: ') ? `strangler: ${s.slice(7)}` : s) })
    .addHelpText('after', `
Examples:
  $ strangler routes
  $ strangler route show products.list
  $ strangler route set products.list --mode shadow --reason "compare product service"
  $ strangler diffs products.list
  $ strangler noise products.list
  $ strangler route set products.list --mode canary --percent 10
  $ strangler route set products.list --mode service
  $ strangler rollback products.list --reason "p99 regression"
  $ strangler status --json
  $ STRANGLER_ADMIN_URL=http://facade:8081 STRANGLER_ADMIN_TOKEN=... strangler audit --route products.list`);

  program.command('routes').description('list routes with mode and live stats').action(async (_o, cmd: Command) => {
    out(cmd, await client(cmd).call('GET', '/routes'), formatRoutes);
  });

  const route = program.command('route').description('show or change one route');
  route.command('show <id>').description('show one route with its live stats').action(async (id: string, _o, cmd: Command) => {
    out(cmd, await client(cmd).call('GET', `/routes/${enc(id)}`), formatRoute);
  });
  route.command('set <id>')
    .description('change a route\'s mode (validated, written through the route source, audited)')
    .addOption(new Option('--mode <mode>', 'new mode').choices(MODES).makeOptionMandatory())
    .option('--percent <n>', 'canary percentage of users (0-100)', percent)
    .option('--reason <text>', 'why (goes to the audit log)')
    .action(async (id: string, o: { mode: string; percent?: number; reason?: string }, cmd: Command) => {
      if (o.mode === 'canary' && o.percent === undefined) throw new CliError('--percent is required with --mode canary', 2);
      const r = await client(cmd).call('POST', `/routes/${enc(id)}`, { mode: o.mode, percent: o.percent, reason: o.reason });
      out(cmd, r, (x) => `${x.id} is now ${x.mode}${x.mode === 'canary' ? ` ${x.percent}%` : ''}`);
    });

  program.command('rollback <id>').description('return a route to legacy at once').option('--reason <text>', 'why (goes to the audit log)')
    .action(async (id: string, o: { reason?: string }, cmd: Command) => {
      const r = await client(cmd).call('POST', `/routes/${enc(id)}/rollback`, { reason: o.reason });
      out(cmd, r, (x) => `${x.id} rolled back to ${x.mode}`);
    });

  program.command('diffs <id>').description('recent shadow mismatches of a route (legacy vs service)')
    .option('--limit <n>', 'how many', positiveInt, 10)
    .option('--noise', 'show legacy-vs-legacy (noise) mismatches instead')
    .action(async (id: string, o: { limit: number; noise?: boolean }, cmd: Command) => {
      out(cmd, await client(cmd).call('GET', `/routes/${enc(id)}/diffs?limit=${o.limit}${o.noise ? '&kind=noise' : ''}`), formatDiffs);
    });

  program.command('noise [id]').description('noise report: how often legacy disagrees with itself, and the real differences')
    .action(async (id: string | undefined, _o, cmd: Command) => {
      out(cmd, await client(cmd).call('GET', id ? `/routes/${enc(id)}/noise` : '/noise'), formatNoise);
    });

  program.command('audit').description('route change history').option('--route <id>', 'only this route').option('--limit <n>', 'how many', positiveInt, 20)
    .action(async (o: { route?: string; limit: number }, cmd: Command) => {
      out(cmd, await client(cmd).call('GET', `/audit?limit=${o.limit}${o.route ? `&route=${enc(o.route)}` : ''}`), formatAudit);
    });

  program.command('status').description('facade status: table version, route source health, modes, open breakers').action(async (_o, cmd: Command) => {
    out(cmd, await client(cmd).call('GET', '/status'), formatStatus);
  });

  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return 2; // commander already printed the one-line message
    }
    if (err instanceof CliError) {
      process.stderr.write(`strangler: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`strangler: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
