/**
 * `npm run jobs -- popularity|shop-stats|all [--day YYYY-MM-DD]`: runs the
 * periodic jobs once, by hand. --day defaults to today (UTC): popularity is
 * ranked as of the end of that day; shop stats are computed for that day.
 * Behind the seam (seam.ts): the SQL join while products, shops and users are
 * all legacy's, through the services' Thrift APIs (PRODUCT_THRIFT,
 * SHOP_THRIFT, USER_THRIFT) after a split. Waits up to JOBS_LOCK_WAIT_S
 * (default 600) for a run of the same job in progress elsewhere.
 */
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { int, parseConfig } from '../../lib/config.ts';
import { createKnex } from '../../lib/db.ts';
import { maskDsn, maskSecretsInText } from '../../lib/mask.ts';
import { jobsSeamFields } from './config.ts';
import { dayOf, parseDay } from '../../lib/contract/jobs/days.ts';
import { JOB_NAMES, isJobName, runJobsBehindSeam } from './run.ts';
import { describeRun } from './seam.ts';
import { openJobsSeam } from './wiring.ts';

const configSchema = z.object({ ...jobsSeamFields, JOBS_LOCK_WAIT_S: int(600) });

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
  const knex = createKnex(config.MYSQL_URL, { pool: { max: 3 } });
  let busy = false;
  try {
    const seam = await openJobsSeam(knex, config, { whileColocated: 'sql', afterSplit: 'services', lockWaitSeconds: config.JOBS_LOCK_WAIT_S });
    try {
      for (const r of await runJobsBehindSeam(seam.deps, job, { day })) {
        console.log(`jobs: ${describeRun(r)}`);
        busy ||= !!r.busy;
      }
    } finally {
      await seam.close();
    }
  } catch (err) {
    throw new Error(`${maskDsn(config.MYSQL_URL)}: ${(err as Error).message}`);
  } finally {
    await knex.destroy();
  }
  if (busy) throw new Error(`another run was still in progress after ${config.JOBS_LOCK_WAIT_S} s`);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    const e = err as { code?: string; message?: string };
    if (typeof e?.code === 'string' && e.code.startsWith('commander.')) process.exit(e.code === 'commander.helpDisplayed' ? 0 : 2);
    console.error(`jobs: ${maskSecretsInText(String(e?.message ?? err)).split('\n')[0]}`);
    process.exit(1);
  });
}
