import type { TestDatabase } from '../../../test/helpers/db.ts';

export const D = '2026-03-10';
export const PARAMS = { weights: { view: 1, click: 3, like: 5 }, halfLifeDays: 1, windowDays: 14 };

/**
 * Fixture (day D = 2026-03-10, half-life 1 day, weights view 1 / click 3 / like 5):
 *   p1 (shop 1, active): 3 views on D, 1 click on D-1, like on D-3       ⇒ 3 + 3·½ + 5·⅛ = 5.125
 *                        + a view on D+1, a view on D-14, a like on D-20 (outside the window)
 *   p2 (shop 1, active): 2 clicks on D-2, 1 click on D 23:59:59.999999, like on D ⇒ 2·3·¼ + 3 + 5 = 9.5
 *   p3 (shop 1, hidden): 5 views on D                                     ⇒ 0
 *   p4 (shop 2, suspended contract): 5 views on D                         ⇒ 0
 *   p5 (shop 1, active): stored score 9, no events                        ⇒ reset to 0
 */
export async function loadFixture(db: TestDatabase): Promise<void> {
  const k = db.knex;
  await k('shops').insert([
    { id: 1, name: '블랑 샵', slug: 's1', contract_status: 'active', status: 'open' },
    { id: 2, name: 'Mood Lab', slug: 's2', contract_status: 'suspended', status: 'open' },
    { id: 3, name: '빈 가게', slug: 's3', contract_status: 'active', status: 'open' },
  ]);
  const product = (id: number, shop: number, status: string, score = 0) => ({
    id, shop_id: shop, external_id: `x${id}`, name: `상품 ${id}`, price: '10000.00', status, popularity_score: score, updated_at: '2026-01-01 00:00:00.000001',
  });
  await k('products').insert([product(1, 1, 'active'), product(2, 1, 'active'), product(3, 1, 'hidden'), product(4, 2, 'active'), product(5, 1, 'active', 9)]);
  await k('users').insert([{ id: 1, email: 'a@x.test', password_hash: 'h', name: '가' }, { id: 2, email: 'b@x.test', password_hash: 'h', name: '나' }]);
  const log = (type: string, productId: number | null, shopId: number | null, at: string) => ({ type, product_id: productId, shop_id: shopId, created_at: at });
  await k('logs').insert([
    ...[1, 2, 3].map(() => log('view', 1, 1, `${D} 10:00:00.000000`)),
    log('click', 1, 1, '2026-03-09 23:59:59.999999'),
    log('view', 1, 1, '2026-03-11 00:00:00.000000'),
    log('view', 1, 1, '2026-02-24 12:00:00.000000'),
    log('click', 2, 1, '2026-03-08 01:00:00.000000'), log('click', 2, 1, '2026-03-08 02:00:00.000000'),
    log('click', 2, 1, `${D} 23:59:59.999999`),
    ...[1, 2, 3, 4, 5].map(() => log('view', 3, 1, `${D} 09:00:00.000000`)),
    ...[1, 2, 3, 4, 5].map(() => log('view', 4, 2, `${D} 09:00:00.000000`)),
    { type: 'search', query: '니트', created_at: `${D} 09:00:00.000000` },
  ]);
  await k('likes').insert([
    { user_id: 1, product_id: 1, created_at: '2026-03-07 12:00:00.000000' },
    { user_id: 2, product_id: 2, created_at: `${D} 08:00:00.000000` },
    { user_id: 2, product_id: 1, created_at: '2026-02-18 08:00:00.000000' },
  ]);
  await k('shop_daily_stats').insert({ shop_id: 1, day: D, views: 999, clicks: 999, likes: 999, active_products: 999 });
}

