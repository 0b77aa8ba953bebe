import { isAppError } from '../../lib/errors.ts';
import type { ShopRow } from '../../lib/contract/rows.ts';
import * as models from '../models/shops.ts';
import type { Counted, Db, Paging } from '../models/db.ts';
import { shopFromWire } from '../../rpc/wire.ts';
import { viaService } from './context.ts';

/** legacy/models/shops.ts behind the seam: reads served by the shop service when it owns shops. */
export * from '../models/shops.ts';

export async function getShop(db: Db, id: number): Promise<ShopRow | undefined> {
  const api = viaService(db, 'shop');
  if (!api) return models.getShop(db, id);
  try {
    return shopFromWire(await api.shop.getShop(undefined, String(id)));
  } catch (err) {
    if (isAppError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

export async function getPublicShop(db: Db, id: number): Promise<ShopRow | undefined> {
  if (!viaService(db, 'shop')) return models.getPublicShop(db, id);
  const s = await getShop(db, id);
  return s && s.contract_status === models.PUBLIC_CONTRACT_STATUS ? s : undefined;
}

export async function listShops(db: Db, filter: models.ShopFilter, paging: Paging): Promise<Counted<ShopRow>> {
  const api = viaService(db, 'shop');
  if (!api) return models.listShops(db, filter, paging);
  const res = await api.shop.listShops(undefined, {
    filter: { statuses: filter.status ? [filter.status] : undefined, contractStatuses: filter.contractStatus ? [filter.contractStatus] : undefined, q: filter.q },
    page: { limit: paging.size, offset: (paging.page - 1) * paging.size },
  });
  return { rows: res.items.map(shopFromWire), total: Number(res.page.total ?? 0) };
}

type ShopWriteApi = { shop: {
  createShop(ctx: undefined, input: Record<string, unknown>): Promise<import('../../rpc/wire.ts').WireShop>;
  updateShop(ctx: undefined, id: string, patch: Record<string, unknown>): Promise<import('../../rpc/wire.ts').WireShop>;
  closeShop(ctx: undefined, id: string): Promise<unknown>;
  reopenShop(ctx: undefined, id: string): Promise<unknown>;
} };

function shopWire(input: models.ShopInput) {
  return {
    name: input.name, slug: input.slug, url: input.url ?? undefined, clearUrl: input.url === null ? true : undefined,
    description: input.description ?? undefined, clearDescription: input.description === null ? true : undefined,
    contractStatus: input.contractStatus, commissionRate: input.commissionRate,
  };
}

/** Status (open/closed) travels as closeShop/reopenShop: the service keeps it apart from content edits. */
async function applyStatus(api: ShopWriteApi, id: number, status: ShopRow['status'] | undefined): Promise<void> {
  if (status === 'closed') await api.shop.closeShop(undefined, String(id));
  else if (status === 'open') await api.shop.reopenShop(undefined, String(id));
}

export async function createShop(db: Db, input: models.ShopInput & { name: string; slug: string }): Promise<ShopRow> {
  const api = viaService(db, 'shop') as unknown as ShopWriteApi | undefined;
  if (!api) return models.createShop(db, input);
  const created = shopFromWire(await api.shop.createShop(undefined, shopWire(input)));
  if (input.status && input.status !== created.status) {
    await applyStatus(api, Number(created.id), input.status);
    return (await getShop(db, Number(created.id)))!;
  }
  return created;
}

export async function updateShop(db: Db, id: number, input: models.ShopInput): Promise<ShopRow | undefined> {
  const api = viaService(db, 'shop') as unknown as ShopWriteApi | undefined;
  if (!api) return models.updateShop(db, id, input);
  try {
    const { status, ...rest } = input;
    if (Object.values(rest).some((v) => v !== undefined)) await api.shop.updateShop(undefined, String(id), shopWire(rest));
    await applyStatus(api, id, status);
    return await getShop(db, id);
  } catch (err) {
    if (isAppError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}
