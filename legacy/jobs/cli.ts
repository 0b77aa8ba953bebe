/**
 * `npm run jobs -- popularity|shop-stats|all [--day YYYY-MM-DD]`: runs the
 * periodic jobs once, by hand. --day defaults to today (UTC): popularity is
 * ranked as of the end of that day; shop stats are computed for that day.
 */
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { DEFAULT_MYSQL_URL, parseConfig } from '../../lib/config.ts';
import { createKnex } from '../../lib/db.ts';
import { maskDsn, maskSecretsInText } from '../../lib/mask.ts';
import { dayOf, parseDay } from './days.ts';
import { JOB_NAMES, describeResult, isJobName, runJobs } from './run.ts';

const configSchema = z.object({ MYSQL_URL: z.string().min(1).default(DEFAULT_MYSQL_URL) });

async function main(argv: string[]): Promise<void> {
  const program = new Command('jobs')
    .description('Run the legacy periodic jobs once')
    .argument('<job>', JOB_NAMES.join('|'), (v) => {
      if (!isJobName(v)) throw new InvalidArgumentError(`must be one of ${JOB_NAMES.join(', ')}`);
      return v;
    })
    .option('--day <YYYY-MM-DD>', 'day to compute (UTC; default today)', (v) => {
      try {
        return parseDay(v);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    })
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error: ') ? `jobs: ${s.slice(7)}` : s) });
  program.parse(argv, { from: 'user' });
  const job = program.processedArgs[0] as (typeof JOB_NAMES)[number];
  const day = program.opts<{ day?: string }>().day ?? dayOf(Date.now());
  const config = parseConfig(configSchema, process.env);
  const knex = createKnex(config.MYSQL_URL, { pool: { max: 2 } });
  try {
    const result = await runJobs(knex, job, { day });
    for (const line of describeResult(result)) console.log(`jobs: ${line}`);
  } catch (err) {
    throw new Error(`${maskDsn(config.MYSQL_URL)}: ${(err as Error).message}`);
  } finally {
    await knex.destroy();
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    const e = err as { code?: string; message?: string };
    if (typeof e?.code === 'string' && e.code.startsWith('commander.')) process.exit(e.code === 'commander.helpDisplayed' ? 0 : 2);
    console.error(`jobs: ${maskSecretsInText(String(e?.message ?? err)).split('\n')[0]}`);
    process.exit(1);
  });
}
