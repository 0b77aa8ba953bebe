/**
 * `npm run seed -- [--scale N] [--seed S] [--truncate] [--anchor ISO] [--connections C] [--batch B]`
 * Migrates the target (MYSQL_URL) if needed, then seeds it and prints rows/s per table.
 */
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { DEFAULT_MYSQL_URL, parseConfig } from '../../lib/config.ts';
import { maskDsn } from '../../lib/mask.ts';
import { migrateLegacy, oneLine } from '../migrate.ts';
import { DEFAULT_SEED, planCounts } from './plan.ts';
import { DEFAULT_CONNECTIONS, formatReport, seedDatabase } from './run.ts';

const configSchema = z.object({ MYSQL_URL: z.string().min(1).default(DEFAULT_MYSQL_URL) });

const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};
const positiveInt = (name: string) => (v: string) => {
  const n = positive(name)(v);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const integer = (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('seed must be an integer');
  return n;
};
const isoTime = (v: string) => {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('anchor must be an ISO date/time, e.g. 2026-01-31T00:00:00Z');
  return ms;
};

async function main(argv: string[]): Promise<void> {
  const program = new Command('seed')
    .description('Seed the legacy database with deterministic Zigzag-style demo data')
    .option('--scale <n>', 'data volume; 1 = 2,000 products, 500 = 1 M products', positive('scale'), 1)
    .option('--seed <n>', 'PRNG seed: same seed + scale + anchor ⇒ same rows', integer, DEFAULT_SEED)
    .option('--truncate', 'empty the seeded tables first (otherwise a non-empty database is refused)', false)
    .option('--anchor <iso>', 'time the data ends at (default: now, to the minute)', isoTime)
    .option('--connections <n>', 'parallel insert connections', positiveInt('connections'), DEFAULT_CONNECTIONS)
    .option('--batch <n>', 'rows per INSERT for every table (default: per table, 1,000–5,000)', positiveInt('batch'))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error: ') ? `seed: ${s.slice(7)}` : s) });
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ scale: number; seed: number; truncate: boolean; anchor?: number; connections: number; batch?: number }>();
  const config = parseConfig(configSchema, process.env);
  const where = maskDsn(config.MYSQL_URL);
  const anchorMs = o.anchor ?? Math.floor(Date.now() / 60_000) * 60_000;
  const c = planCounts(o.scale);
  console.log(`seed: ${where}: scale ${o.scale} (${c.shops} shops, ${c.products} products, ${c.users} users, ~${c.likesTarget} likes, ${c.logs} logs), seed ${o.seed}, anchor ${new Date(anchorMs).toISOString()}`);
  try {
    await migrateLegacy(config.MYSQL_URL);
  } catch (err) {
    throw new Error(`${where}: ${oneLine(err)}`);
  }
  const report = await seedDatabase(config.MYSQL_URL, {
    scale: o.scale, seed: o.seed, anchorMs, truncate: o.truncate, connections: o.connections, batchSize: o.batch,
    onProgress: (p) => console.log(`seed:   ${p.table} ${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')} (${Math.round((p.done * 100) / p.total)} %), ${Math.round((p.done * 1000) / p.elapsedMs).toLocaleString('en-US')} rows/s`),
  });
  console.log(`seed: done\n${formatReport(report)}`);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e?.code === 'string' && e.code.startsWith('commander.')) process.exit(e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2);
    console.error(`seed: ${oneLine(err)}`);
    process.exit(1);
  });
}
