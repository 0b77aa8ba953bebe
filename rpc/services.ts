/**
 * The four Zigzag services' generated modules, default Thrift ports, and a
 * one-call way to get typed clients for them:
 *
 *   const clients = createServiceClients({ product: { port: 9001 }, shop: { port: 9002 } });
 *   const products = await clients.product.getMany(ctx, ['1', '2'], { withShop: true });
 *   await closeServiceClients(clients);
 */
import ProductService from '../thrift/gen-nodejs/ProductService.js';
import SearchService from '../thrift/gen-nodejs/SearchService.js';
import ShopService from '../thrift/gen-nodejs/ShopService.js';
import UserService from '../thrift/gen-nodejs/UserService.js';
import { createThriftClient, type ThriftClient, type ThriftClientOptions } from './client.ts';

export const SERVICE_MODULES = {
  product: ProductService,
  shop: ShopService,
  user: UserService,
  search: SearchService,
} as const;

export type ServiceName = keyof typeof SERVICE_MODULES;

export const DEFAULT_THRIFT_PORTS: Record<ServiceName, number> = { product: 9001, shop: 9002, user: 9003, search: 9004 };

export type ServiceClients = { [K in ServiceName]: ThriftClient<(typeof SERVICE_MODULES)[K]> };

type PerService = Partial<Omit<ThriftClientOptions, 'service'>>;

/** Typed clients for the services named in `endpoints` (defaults: 127.0.0.1 and the default ports). */
export function createServiceClients<K extends ServiceName>(
  endpoints: { [P in K]: PerService },
  shared: PerService = {},
): Pick<ServiceClients, K> {
  const out: Partial<Record<ServiceName, unknown>> = {};
  for (const name of Object.keys(endpoints) as K[]) {
    out[name] = createThriftClient(SERVICE_MODULES[name], { port: DEFAULT_THRIFT_PORTS[name], ...shared, ...endpoints[name], service: name });
  }
  return out as Pick<ServiceClients, K>;
}

export async function closeServiceClients(clients: Partial<ServiceClients>): Promise<void> {
  await Promise.all(Object.values(clients).map((c) => (c as { $close(): Promise<void> }).$close()));
}
