#!/usr/bin/env node
/**
 * `strangler-facade`: starts the facade (proxy + admin API) — the start command of the installed
 * @strangler-fig/facade package (`npm run strangler:serve` in this repository). Configuration is the
 * environment (docs/facade.md); each flag below overrides its variable. Exit codes: 0 stopped by a signal
 * or --help, 1 failure, 2 usage or configuration error.
 */
import { parseArgs } from 'node:util';
import { main } from '../index.ts';

/** Flag → the environment variable it sets. */
export const FLAG_ENV = {
  routes: 'STRANGLER_ROUTES',
  'state-dir': 'STRANGLER_STATE_DIR',
  'audit-file': 'STRANGLER_AUDIT_FILE',
  host: 'STRANGLER_HOST',
  port: 'STRANGLER_PORT',
  'admin-host': 'STRANGLER_ADMIN_HOST',
  'admin-port': 'STRANGLER_ADMIN_PORT',
} as const;

const USAGE = `Usage: strangler-facade [options]

Start the strangler facade: the proxy in front of the monolith and its admin API.

Options (each overrides its environment variable):
  --routes <file>       route table to seed from (STRANGLER_ROUTES; required when installed from npm)
  --state-dir <dir>     live route table and state (STRANGLER_STATE_DIR; default the audit file's folder)
  --audit-file <file>   route change audit log (STRANGLER_AUDIT_FILE; default ./.strangler/audit.jsonl when installed)
  --host <host>         proxy listen address (STRANGLER_HOST)
  --port <n>            proxy port, 0 = any free port (STRANGLER_PORT)
  --admin-host <host>   admin API listen address (STRANGLER_ADMIN_HOST)
  --admin-port <n>      admin API port, 0 = any free port (STRANGLER_ADMIN_PORT)
  -h, --help            show this help
`;

function envFromArgs(argv: string[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv | 'help' {
  const options = Object.fromEntries(Object.keys(FLAG_ENV).map((k) => [k, { type: 'string' as const }]));
  const { values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  if (values.help) return 'help';
  const out = { ...env };
  for (const [flag, name] of Object.entries(FLAG_ENV)) {
    const v = (values as Record<string, string | boolean | undefined>)[flag];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

let env: NodeJS.ProcessEnv | 'help';
try {
  env = envFromArgs(process.argv.slice(2), process.env);
} catch (err) {
  process.stderr.write(`strangler-facade: ${(err as Error).message}\n`);
  process.exit(2);
}
if (env === 'help') {
  process.stdout.write(USAGE);
} else {
  main(env).catch((err) => {
    process.stderr.write(`strangler-facade: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
