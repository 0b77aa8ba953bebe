/**
 * Events and periodic jobs process: `node services/jobs/index.ts`.
 * Runs the outbox relay (product changes → BullMQ), registers the periodic
 * job schedulers and runs their worker; tells a parent with an IPC channel
 * `{ type: 'ready' }` once running. SIGTERM/SIGINT: the relay finishes
 * its batch, the worker finishes the job in flight; nothing is lost (unsent
 * outbox rows and queued jobs wait for the next start).
 */
import { Queue, type Worker } from 'bullmq';
import { parseConfig } from '../../lib/config.ts';
import { createKnex, type Knex } from '../../lib/db.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import { createRedis } from '../../lib/events/queues.ts';
import { OutboxRelay } from '../../lib/events/relay.ts';
import { closeServiceClients, createServiceClients } from '../common/thrift/index.ts';
import { parseHostPort } from '../kit/config.ts';
import {
  KnexEventLog, KnexLikeLog, KnexProductCatalog, KnexShopDirectory, KnexShopStatsSink, ThriftProductCatalog, ThriftShopDirectory,
  type ProductBatchApi, type ShopBatchApi,
} from './adapters.ts';
import { jobsConfigSchema, type JobsConfig } from './config.ts';
import type { JobPorts } from './ports.ts';
import { createJobsWorker, PERIODIC_QUEUE, registerSchedules } from './queue.ts';

export { jobsConfigSchema } from './config.ts';

export interface RunningJobs {
  name: string;
  relay: OutboxRelay | null;
  worker: Worker;
  queue: Queue;
  close(): Promise<void>;
}

export async function startJobs(config: JobsConfig, opts: { logger?: Logger } = {}): Promise<RunningJobs> {
  const logger = opts.logger ?? createLogger('jobs', { level: config.LOG_LEVEL });
  const knexes = new Map<string, Knex>();
  const db = (dsn: string | undefined) => {
    const key = dsn ?? config.MYSQL_URL;
    if (!knexes.has(key)) knexes.set(key, createKnex(key, { pool: { min: 0, max: 4 } }));
    return knexes.get(key)!;
  };
  const clients = config.JOBS_PEERS === 'thrift'
    ? createServiceClients({ product: parseHostPort(config.PRODUCT_THRIFT), shop: parseHostPort(config.SHOP_THRIFT) }) as unknown as { product: ProductBatchApi; shop: ShopBatchApi }
    : null;
  const productDb = new KnexProductCatalog(db(config.PRODUCT_DB_URL));
  const ports: JobPorts = {
    events: new KnexEventLog(db(config.MYSQL_URL)),
    likes: new KnexLikeLog(db(config.USER_DB_URL)),
    products: clients ? new ThriftProductCatalog(clients.product, productDb) : productDb,
    shops: clients ? new ThriftShopDirectory(clients.shop) : new KnexShopDirectory(db(config.SHOP_DB_URL)),
    stats: new KnexShopStatsSink(db(config.MYSQL_URL)),
  };
  const producer = createRedis(config.REDIS_URL, 'producer');
  const workerConn = createRedis(config.REDIS_URL, 'worker');
  for (const c of [producer, workerConn]) c.on('error', () => {});
  const relay = config.RELAY_ENABLED
    ? new OutboxRelay({ knex: db(config.OUTBOX_DB_URL), connection: producer, prefix: config.QUEUE_PREFIX, logger: logger.child({ component: 'relay' }) })
    : null;
  relay?.start();
  const queue = new Queue(PERIODIC_QUEUE, { connection: producer, prefix: config.QUEUE_PREFIX });
  if (config.SCHEDULES_ENABLED) await registerSchedules(queue);
  const worker = createJobsWorker({
    connection: workerConn, prefix: config.QUEUE_PREFIX, ports, logger: logger.child({ component: 'periodic' }),
    purge: relay ? () => relay.purgePublished(config.OUTBOX_RETENTION_HOURS * 3_600_000) : undefined,
  });
  logger.info({ relay: !!relay, schedules: config.SCHEDULES_ENABLED, peers: config.JOBS_PEERS }, 'jobs process running');
  let closing: Promise<void> | undefined;
  return {
    name: 'jobs', relay, worker, queue,
    close() {
      closing ??= (async () => {
        await relay?.stop();
        await worker.close();
        await queue.close();
        producer.disconnect();
        workerConn.disconnect();
        if (clients) await closeServiceClients(clients as never);
        for (const k of knexes.values()) await k.destroy();
      })();
      return closing;
    },
  };
}

if (import.meta.main) {
  let running: RunningJobs;
  try {
    running = await startJobs(parseConfig(jobsConfigSchema, process.env));
  } catch (err) {
    process.stderr.write(`jobs: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  // a supervising parent (npm start) waits for this
  process.send?.({ type: 'ready' });
  const stop = (signal: string) => {
    process.stderr.write(`jobs: ${signal}, finishing work in flight\n`);
    running.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
