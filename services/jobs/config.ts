import { z } from 'zod';
import { DEFAULT_MYSQL_URL, DEFAULT_REDIS_URL, bool, int, url } from '../../lib/config.ts';
import { DEFAULT_PREFIX } from '../../lib/events/queues.ts';

/**
 * The events/jobs process: outbox relay + periodic jobs worker + schedules.
 * Each owner's tables are reached through that owner's database URL (all the
 * legacy database until the split moves them), or over Thrift for the product
 * and shop services with JOBS_PEERS=thrift.
 */
export const jobsConfigSchema = z.object({
  MYSQL_URL: url(DEFAULT_MYSQL_URL),
  /** Where the product outbox lives (legacy DB before the split, product_svc after). */
  OUTBOX_DB_URL: z.string().url().optional(),
  PRODUCT_DB_URL: z.string().url().optional(),
  SHOP_DB_URL: z.string().url().optional(),
  USER_DB_URL: z.string().url().optional(),
  JOBS_PEERS: z.enum(['db', 'thrift']).default('db'),
  PRODUCT_THRIFT: z.string().regex(/^[A-Za-z0-9.\-_]+:\d{1,5}$/, 'must be host:port').default('127.0.0.1:9001'),
  SHOP_THRIFT: z.string().regex(/^[A-Za-z0-9.\-_]+:\d{1,5}$/, 'must be host:port').default('127.0.0.1:9002'),
  REDIS_URL: url(DEFAULT_REDIS_URL),
  QUEUE_PREFIX: z.string().min(1).max(40).default(DEFAULT_PREFIX),
  RELAY_ENABLED: bool(true),
  SCHEDULES_ENABLED: bool(true),
  OUTBOX_RETENTION_HOURS: int(72, 1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type JobsConfig = z.output<typeof jobsConfigSchema>;
