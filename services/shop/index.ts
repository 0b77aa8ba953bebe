import { parseConfig } from '../../lib/config.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import type { OwnershipRegistry } from '../../lib/ownership/index.ts';
import type { Knex } from '../../lib/db.ts';
import ShopService from '../../thrift/gen-nodejs/ShopService.js';
import { closeServiceClients, createServiceClients } from '../../rpc/index.ts';
import type { ServiceConfig } from '../common/config.ts';
import { healthOf, runUntilSignal, serveService, setupDb, type RunningService } from '../common/bootstrap.ts';
import { LegacyStaffSessions, LegacyViewCounts } from '../common/legacy-owned.ts';
import { newLikesOver, shopProductsOver, type LikesByDayApi } from '../../rpc/merchant-stats.ts';
import type { ProductCommands, SearchIndex } from '../../rpc/ports.ts';
import { productCommandsOver, searchIndexOver, type ProductApi, type SearchApi } from '../../rpc/thrift-ports.ts';
import { closeShop, recoverCloseShop, type CloseShopPorts } from './close-shop.ts';
import { shopConfigSchema } from './config.ts';
import { createShopHandler } from './handler.ts';
import { createShopEdge } from './http.ts';
import { ShopRepository } from './repository.ts';
import { SqlSagaStore } from './saga-store.ts';

export { shopConfigSchema } from './config.ts';

export interface StartOptions {
  logger?: Logger;
  registry?: OwnershipRegistry;
  legacyKnex?: Knex;
  /** In-process peers / adapters instead of Thrift clients (tests). */
  peers?: { product?: ProductApi; search?: SearchApi; user?: LikesByDayApi };
  products?: ProductCommands;
  search?: SearchIndex;
}

/** Starts the shop service: HTTP edge, Thrift server, close-shop saga (recovering interrupted sagas first). */
export async function startShopService(config: ServiceConfig, opts: StartOptions = {}): Promise<RunningService & { handler: ReturnType<typeof createShopHandler> }> {
  const logger = opts.logger ?? createLogger('shop-service', { level: config.logLevel });
  const db = await setupDb(config, logger, opts);
  const endpoints: Record<string, object> = {};
  if (!opts.peers?.product && !opts.products) endpoints.product = config.peers.product!;
  if (!opts.peers?.search && !opts.search) endpoints.search = config.peers.search!;
  if (!opts.peers?.user) endpoints.user = config.peers.user!;
  const clients = createServiceClients(endpoints as never, { timeoutMs: config.callTimeoutMs }) as { product?: ProductApi; search?: SearchApi; user?: LikesByDayApi };
  const productApi = opts.peers?.product ?? clients.product;
  const searchApi = opts.peers?.search ?? clients.search;
  const userApi = opts.peers?.user ?? clients.user;
  const repo = new ShopRepository(db.live);
  const ports: CloseShopPorts = {
    shops: { status: async (id) => (await repo.get(id))?.status, setStatusIf: (id, from, to) => repo.setStatusIf(id, from, to) },
    products: opts.products ?? productCommandsOver(productApi!),
    search: opts.search ?? searchIndexOver(searchApi!, productApi!),
  };
  const store = new SqlSagaStore(db.live);
  try {
    const recovered = await recoverCloseShop(ports, store);
    if (recovered.length) logger.warn({ recovered: recovered.map((r) => ({ id: r.id, status: r.status })) }, 'compensated interrupted close-shop sagas');
  } catch (err) {
    logger.error({ err }, 'saga recovery failed; will retry on next start');
  }
  const handler = createShopHandler({ repo });
  const views = new LegacyViewCounts(db.legacyKnex);
  const checks = { db: async () => { await db.live.current().raw('SELECT 1'); } };
  const running = await serveService({
    service: 'shop', module: ShopService, handler, config, logger, healthChecks: checks,
    edge: () => createShopEdge({
      repo, staff: new LegacyStaffSessions(db.legacyKnex), logger,
      closeShop: (shopId) => closeShop(ports, store, shopId), health: healthOf(checks),
      stats: {
        shopProducts: shopProductsOver(productApi!),
        shopEvents: (shopId, window) => views.inShopWindow(shopId, window),
        newLikes: newLikesOver(userApi!),
      },
    }),
    release: async () => {
      await closeServiceClients(clients as never);
      await db.close();
    },
  });
  return { ...running, handler };
}

if (import.meta.main) {
  await runUntilSignal(() => startShopService(parseConfig(shopConfigSchema, process.env)));
}
