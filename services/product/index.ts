import { parseConfig } from '../../lib/config.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import type { OwnershipRegistry } from '../../lib/ownership/index.ts';
import type { Knex } from '../../lib/db.ts';
import ProductService from '../../thrift/gen-nodejs/ProductService.js';
import { closeServiceClients, createServiceClients } from '../../rpc/index.ts';
import type { ServiceConfig } from '../common/config.ts';
import { healthOf, runUntilSignal, serveService, setupDb, type RunningService } from '../common/bootstrap.ts';
import { LegacyActivityLog, LegacyStaffSessions } from '../common/legacy-owned.ts';
import { sessionVerifierOver, shopDirectoryOver, type ShopApi, type UserApi } from '../../rpc/thrift-ports.ts';
import { productConfigSchema } from './config.ts';
import { createProductHandler } from './handler.ts';
import { createProductEdge } from './http.ts';
import { ProductRepository } from './repository.ts';
import { ProductWriter } from './writes.ts';
import { BulkUploader } from './bulk.ts';

export { productConfigSchema } from './config.ts';

export interface StartOptions {
  logger?: Logger;
  registry?: OwnershipRegistry;
  legacyKnex?: Knex;
  /** In-process peers instead of Thrift clients (tests, single-process runs). */
  peers?: { shop?: ShopApi; user?: UserApi };
}

/** Starts the product service: HTTP edge + Thrift server over its live database. */
export async function startProductService(config: ServiceConfig, opts: StartOptions = {}): Promise<RunningService & { handler: ReturnType<typeof createProductHandler> }> {
  const logger = opts.logger ?? createLogger('product-service', { level: config.logLevel });
  const db = await setupDb(config, logger, opts);
  const clients = createServiceClients({
    ...(opts.peers?.shop ? {} : { shop: { host: config.peers.shop!.host, port: config.peers.shop!.port } }),
    ...(opts.peers?.user ? {} : { user: { host: config.peers.user!.host, port: config.peers.user!.port } }),
  } as { shop?: object; user?: object } as never, { timeoutMs: config.callTimeoutMs }) as { shop?: ShopApi; user?: UserApi };
  const shopApi = opts.peers?.shop ?? clients.shop!;
  const userApi = opts.peers?.user ?? clients.user!;
  const repo = new ProductRepository(db.live);
  const shops = shopDirectoryOver(shopApi);
  const writer = new ProductWriter(db.live);
  const bulk = new BulkUploader(db.live, shops);
  const handler = createProductHandler({ repo, shops, writer, bulk });
  const checks = { db: async () => { await db.live.current().raw('SELECT 1'); } };
  const running = await serveService({
    service: 'product', module: ProductService, handler, config, logger, healthChecks: checks,
    edge: () => createProductEdge({
      repo, shops, sessions: sessionVerifierOver(userApi), activity: new LegacyActivityLog(db.legacyKnex), logger,
      writer, bulk, staff: new LegacyStaffSessions(db.legacyKnex), health: healthOf(checks),
    }),
    release: async () => {
      await closeServiceClients(clients as never);
      await db.close();
    },
  });
  return { ...running, handler };
}

if (import.meta.main) {
  await runUntilSignal(() => startProductService(parseConfig(productConfigSchema, process.env)));
}
