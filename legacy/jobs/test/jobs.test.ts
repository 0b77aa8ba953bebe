import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { runPopularity } from '../popularity.ts';
import { runShopStats } from '../shop-stats.ts';

const D = '2026-03-10';
const PARAMS = { weights: { view: 1, click: 3, like: 5 }, halfLifeDays: 1, windowDays: 14 };
const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
const run = promisify(execFile);

/**
 * Fixture (day D = 2026-03-10, half-life 1 day, weights view 1 / click 3 / like 5):
 *   p1 (shop 1, active): 3 views on D, 1 click on D-1, like on D-3       ⇒ 3 + 3·½ + 5·⅛ = 5.125
 *                        + a view on D+1, a view on D-14, a like on D-20 (outside the window)
 *   p2 (shop 1, active): 2 clicks on D-2, 1 click on D 23:59:59.999999, like on D ⇒ 2·3·¼ + 3 + 5 = 9.5
 *   p3 (shop 1, hidden): 5 views on D                                     ⇒ 0
 *   p4 (shop 2, suspended contract): 5 views on D                         ⇒ 0
 *   p5 (shop 1, active): stored score 9, no events                        ⇒ reset to 0
 */
async function loadFixture(db: TestDatabase): Promise<void> {
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

describe('legacy jobs on the real database @integration', () => {
  let db: TestDatabase;
  const scores = async () => Object.fromEntries(((await db.knex('products').select('id', 'popularity_score').orderBy('id')) as { id: number; popularity_score: number }[])
    .map((r) => [r.id, r.popularity_score]));

  before(async () => {
    db = await createTestDatabase('jobs');
    await loadFixture(db);
  });
  after(async () => {
    await db?.drop();
  });

  it('popularity: scores exactly what the fixture implies, leaving updated_at alone', async () => {
    const r = await runPopularity(db.knex, { day: D, params: PARAMS });
    expect(await scores()).to.deep.equal({ 1: 5.125, 2: 9.5, 3: 0, 4: 0, 5: 0 });
    expect(r).to.include({ day: D, scored: 2, updated: 2, zeroed: 1, events: 9 }); // p1: 3 views + 1 click + 1 like; p2: 3 clicks + 1 like (p3, p4 not eligible)
    const stamps = await db.knex('products').distinct('updated_at');
    expect(stamps).to.deep.equal([{ updated_at: '2026-01-01 00:00:00.000001' }]);
  });

  it('popularity: a re-run writes nothing; a later day decays the scores', async () => {
    const again = await runPopularity(db.knex, { day: D, params: PARAMS });
    expect(again).to.include({ updated: 0, zeroed: 0, scored: 2 });
    await runPopularity(db.knex, { day: '2026-03-11', params: PARAMS });
    // p1: the D+1 view (age 0) now counts; everything else is one day older
    expect(await scores()).to.deep.equal({ 1: 1 + 3 * 0.5 + 3 * 0.25 + 5 / 16, 2: 2 * 3 / 8 + 3 / 2 + 5 / 2, 3: 0, 4: 0, 5: 0 });
  });

  it('shop stats: upserts one row per shop for the day, from logs, likes and products', async () => {
    const r = await runShopStats(db.knex, { day: D, now: () => new Date(Date.UTC(2026, 2, 11, 3, 0, 0, 250)) });
    expect(r).to.include({ day: D, shops: 3 });
    const rows = await db.knex('shop_daily_stats').select('shop_id', db.knex.raw("DATE_FORMAT(day, '%Y-%m-%d') AS day"), 'views', 'clicks', 'likes', 'active_products', 'computed_at').orderBy('shop_id');
    expect(rows).to.deep.equal([
      { shop_id: 1, day: D, views: 8, clicks: 1, likes: 1, active_products: 3, computed_at: '2026-03-11 03:00:00.250000' },
      { shop_id: 2, day: D, views: 5, clicks: 0, likes: 0, active_products: 1, computed_at: '2026-03-11 03:00:00.250000' },
      { shop_id: 3, day: D, views: 0, clicks: 0, likes: 0, active_products: 0, computed_at: '2026-03-11 03:00:00.250000' },
    ]);
    await runShopStats(db.knex, { day: '2026-03-09' });
    const d9 = await db.knex('shop_daily_stats').where({ shop_id: 1, day: '2026-03-09' }).first('views', 'clicks', 'likes');
    expect(d9).to.deep.equal({ views: 0, clicks: 1, likes: 0 });
    expect(await db.knex('shop_daily_stats').count({ n: '*' })).to.deep.equal([{ n: 6 }]);
  });

  it('npm run jobs: runs by hand with --day, and rejects bad input with one line and a non-zero exit', async () => {
    const env = { ...process.env, MYSQL_URL: db.dsn };
    const ok = await run(process.execPath, [CLI, 'all', '--day', D], { env });
    expect(ok.stdout).to.match(/popularity 2026-03-10: \d+ events → 2 products scored/);
    expect(ok.stdout).to.match(/shop-stats 2026-03-10: 3 shops upserted/);
    for (const args of [['all', '--day', '2026-02-30'], ['rank-everything'], []]) {
      const err = await run(process.execPath, [CLI, ...args], { env }).then(() => undefined, (e: { code: number; stderr: string }) => e);
      expect(err, args.join(' ')).to.not.equal(undefined);
      expect(err!.code).to.equal(2);
      expect(err!.stderr.trim().split('\n')).to.have.length(1);
      expect(err!.stderr).to.match(/^jobs: /);
    }
  });
});
