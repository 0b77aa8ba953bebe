import { z } from 'zod';
import { DEFAULT_MYSQL_URL, bool } from '../../lib/config.ts';
import { parseDuration } from './schedule.ts';

const duration = (def: string) => z.string().default(def).transform((s, ctx) => {
  try {
    return parseDuration(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/**
 * Scheduler config (env), parsed once by legacy/jobs/index.ts:
 * JOBS_INTERVAL (default 1h) and JOBS_OFFSET (default 0s): runs at offset + k·interval UTC,
 * e.g. JOBS_INTERVAL=1d JOBS_OFFSET=3h ⇒ daily at 03:00 UTC; JOBS_RUN_ON_START (default true).
 */
export const jobsConfigSchema = z.object({
  MYSQL_URL: z.string().regex(/^(mysql|mariadb):\/\//, 'must be a mysql:// URL').default(DEFAULT_MYSQL_URL),
  JOBS_INTERVAL: duration('1h').refine((ms) => ms >= 1000, 'must be at least 1s'),
  JOBS_OFFSET: duration('0s'),
  JOBS_RUN_ON_START: bool(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type JobsConfig = z.output<typeof jobsConfigSchema>;
