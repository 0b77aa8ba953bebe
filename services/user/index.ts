import { parseConfig } from '../../lib/config.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import type { OwnershipRegistry } from '../../lib/ownership/index.ts';
import type { Knex } from '../../lib/db.ts';
import UserServiceModule from '../../thrift/gen-nodejs/UserService.js';
import { closeServiceClients, createServiceClients } from '../../rpc/index.ts';
import { createRedis } from '../../lib/events/queues.ts';
import { healthOf, runUntilSignal, serveService, setupDb, type RunningService } from '../common/bootstrap.ts';
import { LegacyActivityLog } from '../common/legacy-owned.ts';
import { catalogOver, shopDirectoryOver, type ProductApi, type ShopApi } from '../../rpc/thrift-ports.ts';
import { userConfigSchema, type UserServiceConfig } from './config.ts';
import { LikesCleanupWorker } from './likes-cleanup.ts';
import { createUserHandler } from './handler.ts';
import { createUserEdge } from './http.ts';
import { UserRepository } from './repository.ts';
import { UserService } from './service.ts';

export { userConfigSchema, type UserServiceConfig } from './config.ts';

export interface StartOptions {
  logger?: Logger;
  registry?: OwnershipRegistry;
  legacyKnex?: Knex;
  peers?: { product?: ProductApi; shop?: ShopApi };
}

/**
 * Starts the user service: HTTP edge + Thrift server (verifySession for every other edge), and with
 * `config.likesCleanup` the worker that deletes the likes of deleted products (likes-cleanup.ts).
 */
export async function startUserService(config: UserServiceConfig, opts: StartOptions = {}): Promise<RunningService & { handler: ReturnType<typeof createUserHandler>; likesCleanup: LikesCleanupWorker | null }> {
  const logger = opts.logger ?? createLogger('user-service', { level: config.logLevel });
  const db = await setupDb(config, logger, opts);
  const endpoints: Record<string, object> = {};
  if (!opts.peers?.product) endpoints.product = config.peers.product!;
  if (!opts.peers?.shop) endpoints.shop = config.peers.shop!;
  const clients = createServiceClients(endpoints as never, { timeoutMs: config.callTimeoutMs }) as { product?: ProductApi; shop?: ShopApi };
  const repo = new UserRepository(db.live);
  const service = new UserService({
    repo, catalog: catalogOver(opts.peers?.product ?? clients.product!),
    shops: shopDirectoryOver(opts.peers?.shop ?? clients.shop!), activity: new LegacyActivityLog(db.legacyKnex), logger,
  });
  const handler = createUserHandler({ service });
  const checks = { db: async () => { await db.live.current().raw('SELECT 1'); } };
  // the worker does not wait for Redis: the service serves without it, the worker connects (and catches up) when Redis is there
  const redis = config.likesCleanup ? createRedis(config.likesCleanup.redisUrl, 'worker') : null;
  redis?.on('error', () => {}); // BullMQ reports through the worker's 'error' event
  const likesCleanup = config.likesCleanup && redis
    ? new LikesCleanupWorker({ connection: redis, prefix: config.likesCleanup.queuePrefix, concurrency: config.likesCleanup.concurrency, repo, logger: logger.child({ component: 'likes-cleanup' }) })
    : null;
  const running = await serveService({
    service: 'user', module: UserServiceModule, handler, config, logger, healthChecks: checks,
    edge: () => createUserEdge({ service, logger, health: healthOf(checks) }),
    release: async () => {
      await likesCleanup?.close(); // before the pools: jobs in flight finish their deletes
      redis?.disconnect();
      await closeServiceClients(clients as never);
      await db.close();
    },
  });
  return { ...running, handler, likesCleanup };
}

if (import.meta.main) {
  await runUntilSignal(() => startUserService(parseConfig(userConfigSchema, process.env)));
}
