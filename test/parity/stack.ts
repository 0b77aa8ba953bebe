import { silentLogger, type Logger } from '../../lib/logger.ts';
import { MemoryOwnershipRegistry } from '../../lib/ownership/index.ts';
import type { ServiceConfig } from '../../services/common/config.ts';
import type { RunningService } from '../../services/common/bootstrap.ts';
import type { SearchIndex } from '../../rpc/ports.ts';
import { startProductService } from '../../services/product/index.ts';
import { startShopService } from '../../services/shop/index.ts';
import { startUserService } from '../../services/user/index.ts';
import { freePort } from '../../lib/free-ports.ts';

export interface ServiceStack {
  product: RunningService;
  shop: RunningService;
  user: RunningService;
  registry: MemoryOwnershipRegistry;
  /** The configs they were started with (restart one on the same ports). */
  configs: Record<'product' | 'shop' | 'user', ServiceConfig>;
  /** Starts the shop service again on its ports (after `shop.close()`), replacing `shop`. */
  restartShop(): Promise<RunningService>;
  close(): Promise<void>;
}

/**
 * The three services in this process, talking to each other over real Thrift
 * (framed TCP on free ports), HTTP edges on port 0. `legacyDsn` is the legacy
 * database they use before the split; `ownDsns` their own databases, used
 * when `registry` says `own`.
 */
export async function startServiceStack(opts: StackOptions): Promise<ServiceStack> {
  // Thrift ports are picked before the services bind them; another process may take one meanwhile: retry
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if ((err as { code?: string })?.code !== 'EADDRINUSE' || attempt >= 5) throw err;
    }
  }
}

type StackOptions = Parameters<typeof startOnce>[0];

async function startOnce(opts: { legacyDsn: string; ownDsns?: Partial<Record<'product' | 'shop' | 'user', string>>; registry?: MemoryOwnershipRegistry; search?: SearchIndex; logger?: Logger; callTimeoutMs?: number }): Promise<ServiceStack> {
  const [pt, st, ut, searchPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const registry = opts.registry ?? new MemoryOwnershipRegistry();
  const logger = opts.logger ?? silentLogger();
  const peers = { product: { host: '127.0.0.1', port: pt }, shop: { host: '127.0.0.1', port: st }, user: { host: '127.0.0.1', port: ut }, search: { host: '127.0.0.1', port: searchPort } };
  const base = (service: ServiceConfig['service'], thriftPort: number): ServiceConfig => ({
    service, host: '127.0.0.1', httpPort: 0, thriftPort, mysqlUrl: opts.legacyDsn,
    ownDbUrl: opts.ownDsns?.[service] ?? opts.legacyDsn, dbMode: 'registry', redisUrl: undefined, peers, callTimeoutMs: opts.callTimeoutMs ?? 2000, logLevel: 'silent',
  });
  const configs = { product: base('product', pt), shop: { ...base('shop', st), httpPort: 0 }, user: base('user', ut) };
  const started: RunningService[] = [];
  const track = async <T extends RunningService>(p: Promise<T>): Promise<T> => {
    try {
      const svc = await p;
      started.push(svc);
      return svc;
    } catch (err) {
      await Promise.all(started.map((x) => x.close()));
      throw err;
    }
  };
  let shop = await track(startShopService(configs.shop, { logger, registry, search: opts.search }));
  configs.shop.httpPort = shop.httpPort;
  const product = await track(startProductService(configs.product, { logger, registry }));
  const user = await track(startUserService(configs.user, { logger, registry }));
  const stack: ServiceStack = {
    product, shop, user, registry, configs,
    async restartShop() {
      shop = await startShopService(configs.shop, { logger, registry, search: opts.search });
      stack.shop = shop;
      return shop;
    },
    async close() {
      await Promise.all([product.close(), stack.shop.close(), user.close()]);
    },
  };
  return stack;
}
