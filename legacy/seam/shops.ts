import { isAppError } from '../../lib/errors.ts';
import type { ShopRow } from '../contract/rows.ts';
import * as models from '../models/shops.ts';
import type { Counted, Db, Paging } from '../models/db.ts';
import { shopFromWire } from '../../services/kit/wire.ts';
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
