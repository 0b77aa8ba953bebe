/**
 * `npm run soak -- facade [--seconds N] [--clients N] [--pool N] [--rps N] [--max-requests N] [--slow-uploaders N]
 *  [--idle N] [--silent N] [--abort-percent P] [--json]`
 *
 * Bounded, loopback-only soak runs (scripts/soak/<name>.ts). Exit codes: 0 the soak passed, 1 it failed (normal
 * traffic failed, a hostile socket was not reaped, or fds/RSS did not return near the baseline) or crashed,
 * 2 usage error. With --json the result is one JSON object on stdout.
 */
import { DEFAULT_FACADE_SOAK, soakFacade, type FacadeSoakOptions } from './facade.ts';
import { mb } from './report.ts';

const USAGE = 'usage: npm run soak -- facade [--seconds N] [--clients N] [--pool N] [--rps N] [--max-requests N]\n'
  + '         [--slow-uploaders N] [--idle N] [--silent N] [--abort-percent P] [--json]';
const FLAGS: Record<string, keyof FacadeSoakOptions> = {
  '--seconds': 'seconds', '--clients': 'clients', '--pool': 'pool', '--rps': 'rps', '--max-requests': 'maxRequests',
  '--slow-uploaders': 'slowUploaders', '--idle': 'idleSockets', '--silent': 'silentSockets', '--abort-percent': 'abortPercent',
};
/** Flags that may be 0 (turn that part of the mix off). */
const MAY_BE_ZERO = new Set<keyof FacadeSoakOptions>(['slowUploaders', 'idleSockets', 'silentSockets', 'abortPercent']);
/** Upper bounds, so a typo cannot start an hour-long or machine-filling run. */
const MAX: Record<keyof FacadeSoakOptions, number> = {
  seconds: 3600, clients: 512, pool: 256, rps: 20_000, maxRequests: 10_000_000, slowUploaders: 256, idleSockets: 256, silentSockets: 256, abortPercent: 100,
};

function usage(message: string): never {
  console.error(`soak: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: string[]): { name: string; opts: FacadeSoakOptions; json: boolean } {
  const opts = { ...DEFAULT_FACADE_SOAK };
  let name = '';
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a in FLAGS) {
      const key = FLAGS[a];
      const v = Number(argv[++i]);
      const min = MAY_BE_ZERO.has(key) ? 0 : 1;
      if (!Number.isInteger(v) || v < min || v > MAX[key]) usage(`${a} must be an integer from ${min} to ${MAX[key]}`);
      opts[key] = v;
    } else if (!a.startsWith('-') && name === '') name = a;
    else usage(`unknown argument "${a}"`);
  }
  if (name !== 'facade') usage(name === '' ? 'name a soak (available: facade)' : `unknown soak "${name}" (available: facade)`);
  if (opts.pool >= opts.clients) usage(`--pool (${opts.pool}) must be smaller than --clients (${opts.clients})`);
  return { name, opts, json };
}

async function main(): Promise<void> {
  const { opts, json } = parseArgs(process.argv.slice(2));
  const log = json ? () => undefined : (line: string) => console.log(line);
  const r = await soakFacade(opts, log);
  if (json) console.log(JSON.stringify(r));
  else {
    const ms = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(1));
    console.log(`\nfacade soak, ${r.seconds.toFixed(0)} s`);
    console.log(`  normal:        ${r.normal.ok} ok, ${r.normal.failed} failed ${JSON.stringify(r.normal.failures)}, ${r.normal.aborted} aborted by the client; p50 ${ms(r.normal.p50Ms)} ms, p99 ${ms(r.normal.p99Ms)} ms`);
    console.log(`  slow uploads:  ${r.slowUploads.answered408} answered 408, ${r.slowUploads.otherEnd} closed otherwise, ${r.slowUploads.notReaped} not reaped`);
    console.log(`  idle sockets:  ${r.idle.reaped} reaped, ${r.idle.notReaped} not reaped, ${r.idle.failed} failed`);
    console.log(`  silent sockets: ${r.silent.reaped} reaped, ${r.silent.notReaped} not reaped`);
    console.log(`  fds:  ${r.before.fds} before, ${r.after.fds} after`);
    console.log(`  RSS:  ${mb(r.before.rssBytes)} MB before, ${mb(r.after.rssBytes)} MB after; V8 heap used ${mb(r.before.heapUsedBytes ?? 0)} → ${mb(r.after.heapUsedBytes ?? 0)} MB`);
    for (const l of r.metrics) console.log(`  ${l}`);
    console.log(r.ok ? 'PASS' : `FAIL: ${r.problems.join('; ')}`);
  }
  process.exit(r.ok ? 0 : 1);
}

main().catch((err) => {
  console.error(`soak: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
