import type { Knex } from 'knex';
import type { Domain, OwnershipRegistry } from '../../lib/ownership/index.ts';
import type { ProductApi, ShopApi, UserApi } from '../../services/kit/thrift-ports.ts';

/**
 * The anti-corruption seam between legacy code and the extracted services.
 * Legacy reaches products, shops and users through the functions in
 * legacy/seam/*.ts, which have the model functions' names and signatures.
 * Each call asks the ownership registry who owns the domain NOW:
 *   owner 'legacy'  → the model function (direct knex, as before);
 *   owner 'service' → the owning service's Thrift API, answers converted
 *                     back to the same row shapes (so routes and presenters
 *                     do not change).
 * A seam is attached to a legacy app's knex handle; without one (tests,
 * tools, a monolith that never split) every call goes to knex.
 */
export interface SeamApis {
  product: Pick<ProductApi, 'getMany' | 'listProducts'> & { getProduct(ctx: Record<string, unknown> | undefined, id: string, view: { withImages?: boolean; withShop?: boolean; includeHidden?: boolean }): Promise<import('../../services/kit/wire.ts').WireProduct> };
  shop: Pick<ShopApi, 'getShop' | 'getMerchants'> & { listShops(ctx: Record<string, unknown> | undefined, query: { filter?: { statuses?: string[]; contractStatuses?: string[]; q?: string }; page?: { limit?: number; offset?: number } }): Promise<{ items: import('../../services/kit/wire.ts').WireShop[]; page: { total?: number | null } }> };
  user: UserApi & {
    getUser(ctx: Record<string, unknown> | undefined, id: string): Promise<import('../../services/kit/wire.ts').WireUser>;
    listUsers(ctx: Record<string, unknown> | undefined, query: { q?: string; page?: { limit?: number; offset?: number } }): Promise<{ items: import('../../services/kit/wire.ts').WireUser[]; page: { total?: number | null } }>;
  };
}

export interface SeamContext {
  registry: OwnershipRegistry;
  apis: SeamApis;
}

const seams = new WeakMap<object, SeamContext>();

export function attachSeam(knex: Knex, ctx: SeamContext): void {
  seams.set(knex, ctx);
}

export function detachSeam(knex: Knex): void {
  seams.delete(knex);
}

/** The service APIs to use for `domain` when the registry says the service owns it; undefined → use knex. */
export function viaService(db: unknown, domain: Domain): SeamApis | undefined {
  const ctx = typeof db === 'function' || (typeof db === 'object' && db !== null) ? seams.get(db as object) : undefined;
  if (!ctx) return undefined;
  return ctx.registry.get(domain).owner === 'service' ? ctx.apis : undefined;
}
