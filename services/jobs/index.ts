/**
 * Events and periodic jobs process: `node services/jobs/index.ts`.
 * Runs the outbox relays (product changes → BullMQ; the legacy database's
 * outbox and the product database's, outbox-relays.ts), registers the
 * periodic job schedulers and runs their worker; tells a parent with an IPC
 * channel `{ type: 'ready' }` once running. Its configuration names no
 * database that moves at a cutover (config.ts), so it follows splits and
 * rollbacks without a restart. SIGTERM/SIGINT: the relays finish their batch,
 * the worker finishes the job in flight; nothing is lost (unsent outbox rows
 * and queued jobs wait for the next start).
 */
import { Queue, type Worker } from 'bullmq';
import type { Registry } from 'prom-client';
import { parseConfig } from '../../lib/config.ts';
import { createKnex, type Knex } from '../../lib/db.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import { createMysqlOwnershipRegistry, type OwnershipRegistry } from '../../lib/ownership/index.ts';
import { createRedis } from '../../lib/events/queues.ts';
import { runPeriodic, type PeriodicDeps } from './periodic.ts';
import type { PopularityParams } from '../../lib/contract/jobs/scoring.ts';
import { newRegistry } from '../../rpc/index.ts';
import { parseHostPort } from '../common/config.ts';
import { createLiveDb, type LiveDb } from '../common/live-db.ts';
import { jobsConfigSchema, type JobsConfig } from './config.ts';
import { OutboxRelays } from './outbox-relays.ts';
import type { JobPorts } from '../../rpc/jobs/ports.ts';
import { createJobsWorker, PERIODIC_QUEUE, registerSchedules } from './queue.ts';
import { callCounts, createJobClients, dbJobPorts, thriftJobPorts, type JobClients } from './wire.ts';

export { jobsConfigSchema } from './config.ts';

export const LEGACY_HAS_THEM = 'tables co-located: legacy-jobs runs the SQL version (JOBS_WHILE_COLOCATED=legacy)';

export interface RunningJobs {
  name: string;
  relay: OutboxRelays | null;
  worker: Worker;
  queue: Queue;
  ports: JobPorts;
  /** Thrift calls the jobs made so far ('service.method' → count); empty with JOBS_PEERS=db. */
  callCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export interface StartJobsOptions {
  logger?: Logger;
  /** The ownership registry to use (default: the MySQL one on MYSQL_URL, notified over REDIS_URL). */
  registry?: OwnershipRegistry;
  /** Registry for the Thrift client metrics (default: a fresh one). */
  metrics?: Registry;
  params?: PopularityParams;
  /** How often an absent product outbox is probed (outbox-relays.ts; default 2 s). */
  outboxProbeMs?: number;
}

export async function startJobs(config: JobsConfig, opts: StartJobsOptions = {}): Promise<RunningJobs> {
  const logger = opts.logger ?? createLogger('jobs', { level: config.LOG_LEVEL });
  const legacyKnex = createKnex(config.MYSQL_URL, { pool: { min: 0, max: 4 } });
  const cleanups: Array<() => Promise<unknown>> = [() => legacyKnex.destroy()];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const registry = opts.registry ?? await createMysqlOwnershipRegistry({ knex: legacyKnex, redisUrl: config.REDIS_URL, logger: logger.child({ component: 'ownership' }) });
    if (!opts.registry) cleanups.push(() => registry.close());
    const metrics = opts.metrics ?? newRegistry();
    let clients: JobClients | undefined;
    let ports: JobPorts;
    if (config.JOBS_PEERS === 'thrift') {
      clients = createJobClients({ product: parseHostPort(config.PRODUCT_THRIFT), shop: parseHostPort(config.SHOP_THRIFT), user: parseHostPort(config.USER_THRIFT) }, { timeoutMs: config.JOBS_CALL_TIMEOUT_MS, metrics });
      cleanups.push(() => clients!.close());
      ports = thriftJobPorts(legacyKnex, clients);
    } else {
      const owner = (d: 'product' | 'shop' | 'user', ownDsn: string): LiveDb => {
        const live = createLiveDb({ legacyDsn: config.MYSQL_URL, ownDsn, which: () => registry.get(d).database, pool: { min: 0, max: 4 }, handles: { legacy: legacyKnex } });
        cleanups.push(() => live.close());
        return live;
      };
      ports = dbJobPorts(legacyKnex, { product: owner('product', config.PRODUCT_DB_URL), shop: owner('shop', config.SHOP_DB_URL), user: owner('user', config.USER_DB_URL) });
    }
    const deps: PeriodicDeps = {
      legacyKnex, registry, ports: () => ports, params: opts.params,
      whileColocated: config.JOBS_WHILE_COLOCATED === 'legacy' ? 'skip' : 'services', afterSplit: 'services',
      skipReason: { whileColocated: LEGACY_HAS_THEM },
    };

    const producer = createRedis(config.REDIS_URL, 'producer');
    const workerConn = createRedis(config.REDIS_URL, 'worker');
    for (const c of [producer, workerConn]) c.on('error', () => {});
    cleanups.push(async () => {
      producer.disconnect();
      workerConn.disconnect();
    });
    const relay = config.RELAY_ENABLED
      ? new OutboxRelays({
        sources: [{ name: 'legacy', knex: legacyKnex }, ...(config.PRODUCT_DB_URL !== config.MYSQL_URL ? [{ name: 'product', dsn: config.PRODUCT_DB_URL }] : [])],
        connection: producer, prefix: config.QUEUE_PREFIX, logger: logger.child({ component: 'relay' }), probeMs: opts.outboxProbeMs,
      })
      : null;
    relay?.start();
    cleanups.push(async () => relay?.stop());
    const queue = new Queue(PERIODIC_QUEUE, { connection: producer, prefix: config.QUEUE_PREFIX });
    cleanups.push(() => queue.close());
    if (config.SCHEDULES_ENABLED) await registerSchedules(queue);
    const worker = createJobsWorker({
      connection: workerConn, prefix: config.QUEUE_PREFIX, logger: logger.child({ component: 'periodic' }),
      run: (job, day) => runPeriodic(deps, job, day),
      purge: relay ? () => relay.purgePublished(config.OUTBOX_RETENTION_HOURS * 3_600_000) : undefined,
    });
    cleanups.push(() => worker.close());
    logger.info({ relay: relay ? Object.keys(relay.status()) : false, schedules: config.SCHEDULES_ENABLED, peers: config.JOBS_PEERS, whileColocated: config.JOBS_WHILE_COLOCATED }, 'jobs process running');
    let closing: Promise<void> | undefined;
    return {
      name: 'jobs', relay, worker, queue, ports,
      callCounts: () => (clients ? callCounts(metrics) : Promise.resolve({})),
      close() {
        // reverse start order: worker, queue, relays, Redis, clients, pools
        closing ??= cleanup();
        return closing;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
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
