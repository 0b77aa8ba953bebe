import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { runPopularity } from '../popularity.ts';
import { runShopStats } from '../shop-stats.ts';
import { D, PARAMS, loadFixture } from './fixture.ts';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
const run = promisify(execFile);

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
