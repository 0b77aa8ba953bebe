import type { TestDatabase } from '../../../test/helpers/db.ts';

export const DAY = '2026-05-20';
/** Window DAY-6 .. DAY (from 2026-05-14 00:00:00.000000 to 2026-05-21 00:00:00.000000). */
export const PARAMS = { weights: { view: 1, click: 3, like: 5 }, halfLifeDays: 2, windowDays: 7 };

/** Scores stored before any run (p2 and p6 score already; p6 has no events and drops to 0). */
export const INITIAL_SCORES: Record<number, number> = { 1: 0, 2: 4, 3: 0, 4: 0, 5: 0, 6: 2.5, 7: 0, 8: 0 };

/**
 * Shops: 1 open/active, 2 closed, 3 open/terminated, 4 open/active (likes only).
 * Products in every status across them; logs over nine days around DAY; likes
 * on the window's and the day's edges (00:00:00.000000 and 23:59:59.999999 on
 * both sides), so day → age conversion and [from, to) bounds must be exact.
 */
export async function seedJobsFixture(db: TestDatabase): Promise<void> {
  const k = db.knex;
  await k('shops').insert([
    { id: 1, name: '하루옷장', slug: 'a', status: 'open', contract_status: 'active' },
    { id: 2, name: 'Closed Co', slug: 'b', status: 'closed', contract_status: 'active' },
    { id: 3, name: '끝난가게', slug: 'c', status: 'open', contract_status: 'terminated' },
    { id: 4, name: 'Likes Only', slug: 'd', status: 'open', contract_status: 'active' },
  ]);
  const p = (id: number, shop: number, status: string) => ({
    id, shop_id: shop, external_id: `e${id}`, name: `상품${id}`, price: '1000.00', status, popularity_score: INITIAL_SCORES[id], updated_at: '2026-01-01 00:00:00.000001',
  });
  await k('products').insert([p(1, 1, 'active'), p(2, 1, 'active'), p(3, 1, 'sold_out'), p(4, 2, 'active'), p(5, 3, 'active'), p(6, 1, 'active'), p(7, 4, 'active'), p(8, 4, 'hidden')]);
  await k('users').insert([1, 2, 3, 4, 5, 6].map((id) => ({ id, email: `u${id}@x.test`, password_hash: 'h', name: `u${id}` })));
  const log = (type: string, productId: number, shopId: number, at: string) => ({ type, product_id: productId, shop_id: shopId, created_at: at });
  const rows = [];
  for (let d = 0; d < 9; d++) {
    const day = new Date(Date.parse(`${DAY}T00:00:00Z`) - d * 86_400_000).toISOString().slice(0, 10);
    for (const [pid, sid] of [[1, 1], [2, 1], [3, 1], [4, 2], [5, 3]]) {
      for (let i = 0; i < (pid + d) % 4; i++) rows.push(log(i % 3 ? 'view' : 'click', pid, sid, `${day} ${String(1 + i).padStart(2, '0')}:00:00.000000`));
    }
  }
  rows.push(log('view', 1, 1, '2026-05-21 00:00:00.000000'), log('click', 2, 1, '2026-05-13 23:59:59.999999'), log('view', 2, 1, '2026-05-14 00:00:00.000000'));
  await k('logs').insert(rows);
  const like = (user: number, product: number, at: string) => ({ user_id: user, product_id: product, created_at: at });
  await k('likes').insert([
    like(1, 1, `${DAY} 05:00:00.000000`),
    like(2, 1, '2026-05-18 05:00:00.000000'),
    like(3, 1, '2026-05-14 00:00:00.000000'), // first instant of the window: age 6
    like(4, 1, '2026-05-13 23:59:59.999999'), // last instant before it: out
    like(1, 2, '2026-05-01 05:00:00.000000'), // out
    like(3, 2, `${DAY} 23:59:59.999999`), // age 0
    like(4, 2, '2026-05-21 00:00:00.000000'), // after the day: out
    like(1, 4, `${DAY} 06:00:00.000000`), // closed shop: not ranked, but counts in shop 2's stats
    like(2, 5, `${DAY} 07:00:00.000000`), // terminated contract: same
    like(5, 7, '2026-05-19 23:59:59.999999'), // age 1
    like(6, 7, '2026-05-19 00:00:00.000000'), // age 1
    like(5, 8, '2026-05-17 12:00:00.000000'), // hidden product
  ]);
}

export async function resetScores(db: TestDatabase): Promise<void> {
  for (const [id, score] of Object.entries(INITIAL_SCORES)) {
    await db.knex('products').where({ id: Number(id) }).update({ popularity_score: score, updated_at: db.knex.raw('updated_at') });
  }
}

/** [id, score, updated_at] per product, by id. */
export async function readScores(db: TestDatabase): Promise<Array<[number, number, string]>> {
  return (await db.knex('products').select('id', 'popularity_score', 'updated_at').orderBy('id')).map((r) => [Number(r.id), Number(r.popularity_score), String(r.updated_at)]);
}

export async function readStats(db: TestDatabase): Promise<Array<Record<string, unknown>>> {
  return db.knex('shop_daily_stats').select('shop_id', db.knex.raw("DATE_FORMAT(day, '%Y-%m-%d') AS day"), 'views', 'clicks', 'likes', 'active_products').orderBy(['day', 'shop_id']);
}
