import { AppError } from '../../lib/errors.ts';
import { MAX_PAGE_SIZE } from '../../lib/contract/paging.ts';
import { idArg, idsArg, MAX_WIRE_BATCH, merchantToWire, shopToWire, type WireShop } from '../../rpc/wire.ts';
import { inIdOrder, type ContractStatus, type ShopPatch, type ShopStatus } from './logic.ts';
import type { ShopRepository } from './repository.ts';

/**
 * ShopService (thrift/shop.thrift) implementation: reads for the other
 * services (getMany is the batch the product listing uses, one call per
 * page), the close/reopen steps of the saga, follower counters for the user
 * service's bookmarks. Unlisted methods answer NOT_IMPLEMENTED.
 */
interface Ctx { requestId?: string }
const MAX_BATCH = MAX_WIRE_BATCH;

const id = idArg;
const ids = idsArg;

const CONTRACT: ContractStatus[] = ['pending', 'active', 'suspended', 'terminated'];
const RATE_RE = /^\d{1,3}(\.\d{1,2})?$/;

interface WireShopInput { name?: string | null; slug?: string | null; url?: string | null; description?: string | null; contractStatus?: string | null; commissionRate?: string | null; clearUrl?: boolean | null; clearDescription?: boolean | null }

function patchOf(w: WireShopInput): ShopPatch {
  const bad = (field: string, message: string): never => { throw new AppError('VALIDATION_FAILED', undefined, { details: [{ field, message }] }); };
  const p: ShopPatch = {};
  if (w.name != null) p.name = w.name.trim().length >= 1 && w.name.length <= 100 ? w.name : bad('name', 'must be 1..100 characters');
  if (w.slug != null) p.slug = /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(w.slug) && w.slug.length <= 100 ? w.slug : bad('slug', 'must be lowercase letters, digits and single dashes');
  if (w.url != null) p.url = w.url;
  if (w.clearUrl) p.url = null;
  if (w.description != null) p.description = w.description;
  if (w.clearDescription) p.description = null;
  if (w.contractStatus != null) p.contractStatus = CONTRACT.includes(w.contractStatus as ContractStatus) ? w.contractStatus as ContractStatus : bad('contractStatus', `must be one of ${CONTRACT.join(', ')}`);
  if (w.commissionRate != null) p.commissionRate = RATE_RE.test(w.commissionRate) && Number(w.commissionRate) <= 100 ? w.commissionRate : bad('commissionRate', 'must be 0..100 with at most 2 decimals');
  return p;
}

export function createShopHandler(deps: { repo: ShopRepository }) {
  const { repo } = deps;

  async function statusChange(shopId: number, from: ShopStatus, to: ShopStatus) {
    const before = await repo.get(shopId);
    if (!before) throw new AppError('NOT_FOUND', `Shop ${shopId} not found`);
    if (before.status === from) await repo.setStatusIf(shopId, from, to);
    const after = (await repo.get(shopId))!;
    return { shopId: String(shopId), fromStatus: before.status, toStatus: after.status, shop: shopToWire(after) };
  }

  return {
    async getShop(_ctx: Ctx, rawId: string): Promise<WireShop> {
      const sid = id(rawId);
      const row = await repo.get(sid);
      if (!row) throw new AppError('NOT_FOUND', `Shop ${sid} not found`);
      return shopToWire(row);
    },

    async getMany(_ctx: Ctx, rawIds: string[]): Promise<WireShop[]> {
      const wanted = ids(rawIds);
      return inIdOrder(wanted, await repo.getMany([...new Set(wanted)])).map(shopToWire);
    },

    async listShops(_ctx: Ctx, query?: { filter?: { statuses?: string[]; contractStatuses?: string[]; q?: string } | null; page?: { limit?: number; offset?: number } | null } | null) {
      const f = query?.filter ?? {};
      const limit = query?.page?.limit ?? 20;
      const offset = query?.page?.offset ?? 0;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw new AppError('VALIDATION_FAILED', `page.limit must be 1..${MAX_PAGE_SIZE}`);
      if (!Number.isInteger(offset) || offset < 0 || offset % limit !== 0) throw new AppError('VALIDATION_FAILED', 'page.offset must be a multiple of page.limit');
      if ((f.statuses?.length ?? 0) > 1 || (f.contractStatuses?.length ?? 0) > 1) throw new AppError('VALIDATION_FAILED', 'at most one status and one contract status');
      const { rows, total } = await repo.list({ status: f.statuses?.[0] as ShopStatus | undefined, contractStatus: f.contractStatuses?.[0] as ContractStatus | undefined, q: f.q ?? undefined },
        { page: offset / limit + 1, size: limit });
      return { items: rows.map(shopToWire), page: { limit, offset, total } };
    },

    async createShop(_ctx: Ctx, input: WireShopInput): Promise<WireShop> {
      const p = patchOf(input ?? {});
      if (!p.name || !p.slug) throw new AppError('VALIDATION_FAILED', 'name and slug are required');
      return shopToWire(await repo.create(p as ShopPatch & { name: string; slug: string }));
    },

    async updateShop(_ctx: Ctx, rawId: string, patch: WireShopInput): Promise<WireShop> {
      const sid = id(rawId);
      const row = await repo.update(sid, patchOf(patch ?? {}));
      if (!row) throw new AppError('NOT_FOUND', `Shop ${sid} not found`);
      return shopToWire(row);
    },

    async closeShop(_ctx: Ctx, rawId: string) {
      return statusChange(id(rawId), 'open', 'closed');
    },

    async reopenShop(_ctx: Ctx, rawId: string) {
      return statusChange(id(rawId), 'closed', 'open');
    },

    async applyFollowerDeltas(_ctx: Ctx, deltas: { shopId: string; delta: number }[]): Promise<void> {
      if (!Array.isArray(deltas) || deltas.length > MAX_BATCH) throw new AppError('VALIDATION_FAILED', `deltas: a list of at most ${MAX_BATCH}`);
      for (const d of deltas) {
        if (!Number.isSafeInteger(d.delta)) throw new AppError('VALIDATION_FAILED', 'delta must be an integer');
        await repo.adjustFollowers(id(d.shopId, 'shopId'), d.delta);
      }
    },

    async getMerchants(_ctx: Ctx, rawIds: string[]) {
      const out = [];
      for (const mid of ids(rawIds)) {
        const m = await repo.getMerchant(mid);
        if (m) out.push(merchantToWire(m));
      }
      return out;
    },
  };
}

export type ShopHandler = ReturnType<typeof createShopHandler>;
