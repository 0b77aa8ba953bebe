import { z } from 'zod';
import { DEFAULT_MYSQL_URL, DEFAULT_REDIS_URL, bool, int } from '../../lib/config.ts';
import { DEFAULT_PREFIX } from '../../lib/events/queues.ts';

const mysqlUrl = (def: string) => z.string().regex(/^(mysql|mariadb):\/\//, 'must be a mysql:// URL').default(def);
const hostPort = (def: string) => z.string().regex(/^[A-Za-z0-9.\-_]+:\d{1,5}$/, 'must be host:port').default(def);

/**
 * The events/jobs process: outbox relay + periodic jobs worker + schedules.
 * Nothing here changes at a cutover, so the process never needs a restart:
 * - MYSQL_URL: the legacy database (the legacy-owned `logs` and
 *   `shop_daily_stats`, the ownership registry, the job locks, the product
 *   outbox before the product split);
 * - PRODUCT_DB_URL: the product service's own database (its outbox after the
 *   split; both outboxes are relayed, see outbox-relays.ts);
 * - JOBS_PEERS=thrift (default): likes, products and shops through the
 *   services' batch Thrift calls (PRODUCT_THRIFT, SHOP_THRIFT, USER_THRIFT);
 *   `db`: through each owner's own tables on the database the ownership
 *   registry names now (PRODUCT_DB_URL, SHOP_DB_URL, USER_DB_URL after its
 *   split, MYSQL_URL before), never joined across owners;
 * - JOBS_WHILE_COLOCATED: while products, shops and users are all legacy's,
 *   `services` (default) runs the jobs through the services anyway; `legacy`
 *   skips them because legacy-jobs runs its SQL version then (npm start).
 */
export const jobsConfigSchema = z.object({
  MYSQL_URL: mysqlUrl(DEFAULT_MYSQL_URL),
  PRODUCT_DB_URL: mysqlUrl('mysql://root@127.0.0.1:3306/product_svc'),
  SHOP_DB_URL: mysqlUrl('mysql://root@127.0.0.1:3306/shop_svc'),
  USER_DB_URL: mysqlUrl('mysql://root@127.0.0.1:3306/user_svc'),
  JOBS_PEERS: z.enum(['thrift', 'db']).default('thrift'),
  PRODUCT_THRIFT: hostPort('127.0.0.1:9001'),
  SHOP_THRIFT: hostPort('127.0.0.1:9002'),
  USER_THRIFT: hostPort('127.0.0.1:9003'),
  /** Deadline per batch Thrift call of a job (a page of 5000 scores or likes takes longer than a request's call). */
  JOBS_CALL_TIMEOUT_MS: int(30_000, 1),
  JOBS_WHILE_COLOCATED: z.enum(['services', 'legacy']).default('services'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default(DEFAULT_REDIS_URL),
  QUEUE_PREFIX: z.string().min(1).max(40).default(DEFAULT_PREFIX),
  RELAY_ENABLED: bool(true),
  SCHEDULES_ENABLED: bool(true),
  OUTBOX_RETENTION_HOURS: int(72, 1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type JobsConfig = z.output<typeof jobsConfigSchema>;
