/**
 * Starts the product, shop and user services in this process on the demo's
 * ports, talking Thrift to each other, with one shared ownership registry
 * (MySQL table in the demo's legacy database, changes announced on the demo's
 * own Redis channel) so a split's flip switches them live.
 */
import { need, type DemoContext } from '../context.ts';
import type { OwnershipRegistry } from '../../../lib/ownership/index.ts';
import type { ServiceConfig } from '../../../services/common/config.ts';

type Starter = (config: ServiceConfig, opts: { logger?: import('../../../lib/logger.ts').Logger; registry?: OwnershipRegistry }) => Promise<{ httpUrl: string; close(): Promise<void> }>;

export interface RunningServices {
  registry: OwnershipRegistry;
  urls: Record<'product' | 'shop' | 'user', string>;
}

export async function ensureServices(ctx: DemoContext): Promise<RunningServices> {
  if (ctx.shared.services) return ctx.shared.services as RunningServices;
  const why = 'the services cannot start';
  const startProduct = await need<Starter>('services/product/index.ts', 'startProductService', why);
  const startShop = await need<Starter>('services/shop/index.ts', 'startShopService', why);
  const startUser = await need<Starter>('services/user/index.ts', 'startUserService', why);
  const { env, stack } = ctx;
  const registry = await stack.registry();
  const p = env.ports;
  const at = (port: number) => ({ host: '127.0.0.1', port });
  const peers = { product: at(p.productThrift), shop: at(p.shopThrift), user: at(p.userThrift), search: at(p.searchThrift) };
  const cfg = (service: ServiceConfig['service'], httpPort: number, thriftPort: number): ServiceConfig => ({
    service, host: '127.0.0.1', httpPort, thriftPort, mysqlUrl: env.legacyDsn, ownDbUrl: env.serviceDsns[service], dbMode: 'registry',
    redisUrl: env.redisUrl, peers, callTimeoutMs: 2000, logLevel: 'warn',
  });
  const log = (n: string) => stack.logger.child({ component: n });
  const shop = await startShop(cfg('shop', p.shopHttp, p.shopThrift), { logger: log('shop-service'), registry });
  stack.add({ name: 'shop service', close: () => shop.close() });
  const product = await startProduct(cfg('product', p.productHttp, p.productThrift), { logger: log('product-service'), registry });
  stack.add({ name: 'product service', close: () => product.close() });
  const user = await startUser(cfg('user', p.userHttp, p.userThrift), { logger: log('user-service'), registry });
  stack.add({ name: 'user service', close: () => user.close() });
  const running: RunningServices = { registry, urls: { product: product.httpUrl, shop: shop.httpUrl, user: user.httpUrl } };
  ctx.shared.services = running;
  ctx.say(`services started: product ${product.httpUrl} (Thrift :${p.productThrift}), shop ${shop.httpUrl} (:${p.shopThrift}), user ${user.httpUrl} (:${p.userThrift}); ownership ${registry.all().map((r) => `${r.domain}=${r.owner}/${r.database}`).join(' ')}`);
  return running;
}
