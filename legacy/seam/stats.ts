import { merchantStatsJson, type MerchantStatsJson, type StatsWindow } from '../../lib/contract/merchant-stats.ts';
import { productStat } from '../../lib/contract/activity.ts';
import type { PageRequest } from '../../lib/contract/paging.ts';
import type { Db } from '../models/db.ts';
import * as models from '../models/stats.ts';
import { gatherMerchantStats, newLikesOver, shopProductsOver, type LikesByDayApi, type MerchantStatsSources } from '../../rpc/merchant-stats.ts';
import { viaService } from './context.ts';

/**
 * The merchant report behind the seam. While legacy owns products and users
 * it is the SQL join (legacy/models/stats.ts productStats + shopTotals).
 * Once either has moved the join is impossible (the tables live in other
 * databases), so the report is assembled (lib/contract/merchant-stats.ts)
 * from the owners: products from the product service or `products`, new
 * likes from the user service (likesByDay) or `likes`, views and clicks from
 * `logs`, which stays legacy's. The answer is the same either way.
 */
export async function merchantStats(db: Db, shopId: number, window: StatsWindow, paging: PageRequest): Promise<MerchantStatsJson> {
  const productApi = viaService(db, 'product');
  const userApi = viaService(db, 'user') as unknown as { user: LikesByDayApi } | undefined;
  if (!productApi && !userApi) {
    const [{ rows, total }, totals] = await Promise.all([
      models.productStats(db, shopId, window.from, window.to, paging),
      models.shopTotals(db, shopId, window.from, window.to),
    ]);
    return merchantStatsJson(shopId, window, totals, rows.map(productStat), paging, total);
  }
  const sources: MerchantStatsSources = {
    shopProducts: productApi ? shopProductsOver(productApi.product) : (id) => models.shopStatsProducts(db, id),
    shopEvents: (id, w) => models.shopEventsByProduct(db, id, w.from, w.to),
    newLikes: userApi ? newLikesOver(userApi.user) : (ids, w) => models.newLikesByProduct(db, ids, w.from, w.to),
  };
  return gatherMerchantStats(sources, shopId, window, paging);
}
