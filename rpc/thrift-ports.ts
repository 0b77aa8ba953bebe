import { isAppError } from '../lib/errors.ts';
import type { Catalog, CatalogProduct, ProductCommands, ProductStatusChange, SearchIndex, SessionVerifier, ShopDirectory } from './ports.ts';
import { merchantFromWire, productFromWire, shopFromWire, type WireMerchant, type WireProduct, type WireShop, type WireStatusChange } from './wire.ts';
import { chunks } from './keyset.ts';

/**
 * The ports of rpc/ports.ts over the services' Thrift APIs. The
 * client types are the few methods used, so a generated client from
 * rpc/ (createServiceClients) fits, and so does a handler
 * object called in-process (tests, single-process runs). The request id and
 * deadline travel in the context the plumbing fills in.
 */
type Ctx = Record<string, unknown> | undefined;

export interface ShopApi {
  getShop(ctx: Ctx, id: string): Promise<WireShop>;
  getMany(ctx: Ctx, ids: string[]): Promise<WireShop[]>;
  applyFollowerDeltas(ctx: Ctx, deltas: { shopId: string; delta: number }[]): Promise<void>;
  getMerchants(ctx: Ctx, ids: string[]): Promise<WireMerchant[]>;
}

export interface UserApi {
  verifySession(ctx: Ctx, token: string): Promise<{ user: { id: string } }>;
}

export interface ProductApi {
  getMany(ctx: Ctx, ids: string[], view: { withImages?: boolean; withShop?: boolean; includeHidden?: boolean }): Promise<WireProduct[]>;
  applyCounters(ctx: Ctx, deltas: { productId: string; likeDelta?: number; viewDelta?: number }[]): Promise<void>;
  listProducts(ctx: Ctx, query: { filter?: { shopId?: string; statuses?: string[] }; page?: { limit?: number; offset?: number } }): Promise<{ items: WireProduct[]; page: { total?: number | null } }>;
  hideByShop(ctx: Ctx, shopId: string): Promise<WireStatusChange[]>;
  restoreStatuses(ctx: Ctx, changes: WireStatusChange[]): Promise<WireStatusChange[]>;
}

export interface SearchDocument {
  productId: string; shopId: string; categoryId?: number; name: string; description?: string; price: string; salePrice?: string;
  status: string; popularityScore: number; createdAt: string; shopName?: string;
}

export interface SearchApi {
  removeDocuments(ctx: Ctx, productIds: string[]): Promise<number>;
  indexDocuments(ctx: Ctx, docs: SearchDocument[]): Promise<number>;
}

const BATCH = 500;
const batches = <T>(xs: T[], n = BATCH): T[][] => chunks(xs, n);
const str = (ids: number[]) => ids.map(String);

function notFound(err: unknown): boolean {
  return isAppError(err) && err.code === 'NOT_FOUND';
}

export function shopDirectoryOver(api: ShopApi): ShopDirectory {
  return {
    async getMany(ids) {
      const out = [];
      for (const c of batches([...new Set(ids)])) out.push(...(await api.getMany(undefined, str(c))).map(shopFromWire));
      return out;
    },
    async get(id) {
      try {
        return shopFromWire(await api.getShop(undefined, String(id)));
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },
    async adjustFollowers(shopId, delta) {
      await api.applyFollowerDeltas(undefined, [{ shopId: String(shopId), delta }]);
    },
    async getMerchant(id) {
      const [m] = await api.getMerchants(undefined, [String(id)]);
      return m ? merchantFromWire(m) : undefined;
    },
  };
}

export function sessionVerifierOver(api: UserApi): SessionVerifier {
  return {
    async verify(token) {
      try {
        return Number((await api.verifySession(undefined, token)).user.id);
      } catch (err) {
        if (isAppError(err) && (err.code === 'UNAUTHENTICATED' || err.code === 'VALIDATION_FAILED')) return null;
        throw err;
      }
    },
  };
}

export function catalogOver(api: ProductApi): Catalog {
  return {
    async getMany(ids, opts) {
      const out: CatalogProduct[] = [];
      for (const c of batches(ids)) {
        for (const p of await api.getMany(undefined, str(c), { withImages: true, withShop: true, includeHidden: opts.includeHidden })) {
          const { row, images, shopName } = productFromWire(p);
          out.push({ row, images, shopName: shopName ?? '' });
        }
      }
      return out;
    },
    async statuses(ids) {
      const out = new Map();
      for (const c of batches([...new Set(ids)])) {
        for (const p of await api.getMany(undefined, str(c), { includeHidden: true })) out.set(Number(p.id), p.status);
      }
      return out;
    },
    async applyCounters(deltas) {
      for (const c of batches(deltas)) await api.applyCounters(undefined, c.map((d) => ({ productId: String(d.productId), likeDelta: d.likeDelta, viewDelta: d.viewDelta })));
    },
  };
}

const toChange = (c: WireStatusChange): ProductStatusChange => ({ id: Number(c.id), fromStatus: c.fromStatus as ProductStatusChange['fromStatus'], toStatus: c.toStatus as ProductStatusChange['toStatus'] });

export function productCommandsOver(api: ProductApi): ProductCommands {
  return {
    async previewHideByShop(shopId) {
      const out: ProductStatusChange[] = [];
      for (const status of ['active', 'sold_out']) {
        for (let offset = 0; ; offset += 100) {
          const page = await api.listProducts(undefined, { filter: { shopId: String(shopId), statuses: [status] }, page: { limit: 100, offset } });
          out.push(...page.items.map((p) => ({ id: Number(p.id), fromStatus: p.status as ProductStatusChange['fromStatus'], toStatus: 'hidden' as const })));
          if (page.items.length < 100) break;
        }
      }
      return out.sort((a, b) => a.id - b.id);
    },
    async hideByShop(shopId) {
      return (await api.hideByShop(undefined, String(shopId))).map(toChange);
    },
    async restoreStatuses(changes) {
      const out: ProductStatusChange[] = [];
      for (const c of batches(changes)) {
        out.push(...(await api.restoreStatuses(undefined, c.map((x) => ({ id: String(x.id), fromStatus: x.fromStatus, toStatus: x.toStatus })))).map(toChange));
      }
      return out;
    },
  };
}

/**
 * Search service side of the saga: remove = removeDocuments; the
 * compensation re-indexes the products from the product service (the source
 * of truth) with the status they had before the saga hid them.
 */
export function searchIndexOver(search: SearchApi, products: ProductApi): SearchIndex {
  return {
    async remove(ids) {
      for (const c of batches(ids)) await search.removeDocuments(undefined, str(c));
    },
    async reindex(items) {
      for (const c of batches(items)) {
        const statusOf = new Map(c.map((i) => [String(i.id), i.status]));
        const found = await products.getMany(undefined, c.map((i) => String(i.id)), { withShop: true, includeHidden: true });
        if (found.length === 0) continue;
        await search.indexDocuments(undefined, found.map((p) => ({
          productId: p.id, shopId: p.shopId, categoryId: p.categoryId ?? undefined, name: p.name, description: p.description ?? undefined,
          price: p.price, salePrice: p.salePrice ?? undefined, status: statusOf.get(p.id) ?? p.status, popularityScore: p.popularityScore, createdAt: p.createdAt,
          shopName: p.shop?.name,
        })));
      }
    },
  };
}
