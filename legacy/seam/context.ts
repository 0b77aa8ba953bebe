import type { Knex } from 'knex';
import type { Domain, OwnershipRegistry } from '../../lib/ownership/index.ts';
import { createSeam, type Connection, type Seam as DataSeam, type SeamOptions } from '../../lib/seam/index.ts';
import type { ProductApi, ShopApi, UserApi } from '../../rpc/thrift-ports.ts';

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
 *
 * Where legacy still runs the SQL itself (owner 'legacy'), `knexFor(db,
 * domain)` gives the knex of the domain's current database through the
 * generic seam library (lib/seam): the domain's own database once the
 * registry says `database: 'own'`, else `db`; `writeThrough` retries a write
 * that meets split-db's fence against the new owner (503 when it never comes).
 * Both need `connections` in the context; without them they return/use `db`.
 */
export interface SeamApis {
  product: Pick<ProductApi, 'getMany' | 'listProducts'> & { getProduct(ctx: Record<string, unknown> | undefined, id: string, view: { withImages?: boolean; withShop?: boolean; includeHidden?: boolean }): Promise<import('../../rpc/wire.ts').WireProduct> };
  shop: Pick<ShopApi, 'getShop' | 'getMerchants'> & { listShops(ctx: Record<string, unknown> | undefined, query: { filter?: { statuses?: string[]; contractStatuses?: string[]; q?: string }; page?: { limit?: number; offset?: number } }): Promise<{ items: import('../../rpc/wire.ts').WireShop[]; page: { total?: number | null } }> };
  user: UserApi & {
    getUser(ctx: Record<string, unknown> | undefined, id: string): Promise<import('../../rpc/wire.ts').WireUser>;
    listUsers(ctx: Record<string, unknown> | undefined, query: { q?: string; page?: { limit?: number; offset?: number } }): Promise<{ items: import('../../rpc/wire.ts').WireUser[]; page: { total?: number | null } }>;
  };
}

export interface SeamContext {
  registry: OwnershipRegistry;
  apis: SeamApis;
  /** Each domain's own database (knex or factory): enables knexFor/writeThrough through lib/seam. */
  connections?: Partial<Record<Domain, Connection>>;
  /** Options passed on to createSeam (retry budgets, logger, metrics). */
  data?: Omit<SeamOptions, 'registry' | 'connections'>;
}

interface Attached extends SeamContext {
  dataSeam?: DataSeam;
}

const seams = new WeakMap<object, Attached>();

export function attachSeam(knex: Knex, ctx: SeamContext): void {
  const prev = seams.get(knex);
  if (prev?.dataSeam) void prev.dataSeam.close();
  const conns = Object.entries(ctx.connections ?? {}).filter((e): e is [string, Connection] => e[1] !== undefined);
  const dataSeam = conns.length
    ? createSeam({ ...ctx.data, registry: ctx.registry, connections: { legacy: knex, ...Object.fromEntries(conns) } })
    : undefined;
  seams.set(knex, { ...ctx, dataSeam });
}

export function detachSeam(knex: Knex): void {
  const prev = seams.get(knex);
  seams.delete(knex);
  if (prev?.dataSeam) void prev.dataSeam.close();
}

function attached(db: unknown): Attached | undefined {
  return typeof db === 'function' || (typeof db === 'object' && db !== null) ? seams.get(db as object) : undefined;
}

function hasConnection(ctx: Attached | undefined, domain: Domain): ctx is Attached & { dataSeam: DataSeam } {
  return !!ctx?.dataSeam && ctx.connections?.[domain] !== undefined;
}

/** The knex that holds `domain`'s tables now (own database after the split's cutover), or `db` itself without a seam. */
export function knexFor(db: Knex, domain: Domain): Knex {
  const ctx = attached(db);
  return hasConnection(ctx, domain) ? ctx.dataSeam.knex(domain) : db;
}

/** Runs a write on the domain's current database, retrying across a cutover's fence (lib/seam); plain `fn(db)` without a seam. */
export function writeThrough<T>(db: Knex, domain: Domain, fn: (k: Knex) => Promise<T>, opts?: { requestId?: string }): Promise<T> {
  const ctx = attached(db);
  return hasConnection(ctx, domain) ? ctx.dataSeam.write(domain, fn, opts) : fn(db);
}

/** Health: the data seam's per-domain state (empty without connections). */
export function dataSeamState(db: Knex): ReturnType<DataSeam['state']> {
  return attached(db)?.dataSeam?.state() ?? [];
}

/** The service APIs to use for `domain` when the registry says the service owns it; undefined → use knex. */
export function viaService(db: unknown, domain: Domain): SeamApis | undefined {
  const ctx = attached(db);
  if (!ctx) return undefined;
  return ctx.registry.get(domain).owner === 'service' ? ctx.apis : undefined;
}
