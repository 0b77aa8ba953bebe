/**
 * `npm run demo [-- options]`: walks the Zigzag migration end to end under
 * live client traffic, in its own databases and ports, and prints each step's
 * evidence and a summary. Exit 0 only with 0 client-visible errors, 0 data
 * differences and no failed step.
 */
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { DEFAULT_MYSQL_URL, DEFAULT_REDIS_URL, parseConfig } from '../../lib/config.ts';
import { withDatabase } from '../../lib/db.ts';
import { runDemo } from './demo.ts';

const envSchema = z.object({
  MYSQL_URL: z.string().regex(/^(mysql|mariadb):\/\//, 'must be a mysql:// URL').default(DEFAULT_MYSQL_URL),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default(DEFAULT_REDIS_URL),
});

const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};

async function main(argv: string[]): Promise<number> {
  const program = new Command('demo')
    .description('Walk the strangler-fig migration of the Zigzag monolith end to end under live client traffic')
    .option('--scale <n>', 'seed scale (1 = 2,000 products, 1,000 users)', positive('scale'), 0.5)
    .option('--dwell <seconds>', 'seconds of traffic in each phase (shadow, canary, …)', positive('dwell'), 4)
    .option('--load <level>', 'client load level (1 = 6 shopper apps, 1 admin web, 2 merchant web)', positive('load'), 1)
    .option('--keep', 'keep the demo databases afterwards (they are dropped by default)', false)
    .option('--force-cutover', 'cut split tables over even while legacy code still reaches them directly (shows the errors that causes)', false)
    .option('--json', 'print the summary as JSON after the table', false)
    .addHelpText('after', '\nExamples:\n  npm run demo\n  npm run demo -- --scale 2 --dwell 10 --load 2\n  MYSQL_URL=mysql://root@db:3306/ npm run demo -- --keep\n\n' +
      'The demo creates its own databases (demo_<run>_legacy, demo_<run>_product_svc, …) on the MYSQL_URL server and\n' +
      'uses free ports and a unique Redis prefix, so it never touches a running `npm start` stack.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error: ') ? `demo: ${s.slice(7)}` : s) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code === undefined ? 2 : code === 0 ? 0 : 2;
  }
  const o = program.opts<{ scale: number; dwell: number; load: number; keep: boolean; json: boolean; forceCutover: boolean }>();
  const env = parseConfig(envSchema, process.env);
  const result = await runDemo({
    serverDsn: withDatabase(env.MYSQL_URL, undefined), redisUrl: env.REDIS_URL,
    options: { scale: o.scale, dwellMs: o.dwell * 1000, level: o.load, keep: o.keep, forceCutover: o.forceCutover },
    print: (l) => console.log(l),
  });
  if (o.json) console.log(JSON.stringify({ verdict: result.verdict, evidence: result.evidence }, null, 2));
  return result.verdict.ok ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  console.error(`demo: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  process.exit(1);
});
