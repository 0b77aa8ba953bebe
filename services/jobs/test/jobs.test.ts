import { expect } from 'chai';
import { parseConfig } from '../../../lib/config.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix, waitFor } from '../../../test/helpers/wait.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { runPopularity } from '../../../legacy/jobs/popularity.ts';
import { runShopStats } from '../../../legacy/jobs/shop-stats.ts';
import { KnexEventLog, KnexLikeLog, KnexProductCatalog, KnexShopDirectory, KnexShopStatsSink } from '../adapters.ts';
import { runPopularityViaServices } from '../popularity.ts';
import { runShopStatsViaServices } from '../shop-stats.ts';
import { jobDay } from '../queue.ts';
import { jobsConfigSchema, startJobs } from '../index.ts';
import type { JobPorts } from '../ports.ts';

const DAY = '2026-05-20';
const PARAMS = { weights: { view: 1, click: 3, like: 5 }, halfLifeDays: 2, windowDays: 7 };

/** Shops: 1 open/active, 2 closed, 3 open/terminated. Products across them in every status; logs and likes around DAY. */
async function seed(db: TestDatabase): Promise<void> {
  const k = db.knex;
  await k('shops').insert([
    { id: 1, name: '하루옷장', slug: 'a', status: 'open', contract_status: 'active' },
    { id: 2, name: 'Closed Co', slug: 'b', status: 'closed', contract_status: 'active' },
    { id: 3, name: '끝난가게', slug: 'c', status: 'open', contract_status: 'terminated' },
  ]);
  const p = (id: number, shop: number, status: string, score = 0) => ({ id, shop_id: shop, external_id: `e${id}`, name: `상품${id}`, price: '1000.00', status, popularity_score: score });
  await k('products').insert([p(1, 1, 'active'), p(2, 1, 'active', 4), p(3, 1, 'sold_out'), p(4, 2, 'active'), p(5, 3, 'active'), p(6, 1, 'active', 2.5)]);
  await k('users').insert([{ id: 1, email: 'u1@x.test', password_hash: 'h', name: 'u1' }, { id: 2, email: 'u2@x.test', password_hash: 'h', name: 'u2' }]);
  const log = (type: string, productId: number, shopId: number, at: string) => ({ type, product_id: productId, shop_id: shopId, created_at: at });
  const rows = [];
  for (let d = 0; d < 9; d++) {
    const day = new Date(Date.parse(`${DAY}T00:00:00Z`) - d * 86_400_000).toISOString().slice(0, 10);
    for (const [pid, sid] of [[1, 1], [2, 1], [3, 1], [4, 2], [5, 3]]) {
      for (let i = 0; i < (pid + d) % 4; i++) rows.push(log(i % 3 ? 'view' : 'click', pid, sid, `${day} ${String(1 + i).padStart(2, '0')}:00:00.000000`));
    }
  }
  rows.push(log('view', 1, 1, '2026-05-21 00:00:00.000000'));
  await k('logs').insert(rows);
  await k('likes').insert([
    { user_id: 1, product_id: 1, created_at: `${DAY} 05:00:00.000000` },
    { user_id: 2, product_id: 1, created_at: '2026-05-18 05:00:00.000000' },
    { user_id: 1, product_id: 2, created_at: '2026-05-01 05:00:00.000000' },
    { user_id: 1, product_id: 4, created_at: `${DAY} 06:00:00.000000` },
  ]);
}

function ports(db: TestDatabase): JobPorts {
  const k = db.knex;
  return { events: new KnexEventLog(k), likes: new KnexLikeLog(k), products: new KnexProductCatalog(k), shops: new KnexShopDirectory(k), stats: new KnexShopStatsSink(k) };
}

describe('periodic jobs over the services\' batch APIs @integration', function () {
  let db: TestDatabase;
  const scores = async () => (await db.knex('products').select('id', 'popularity_score', 'updated_at').orderBy('id')).map((r) => [Number(r.id), Number(r.popularity_score), r.updated_at]);
  const stats = async () => (await db.knex('shop_daily_stats').select('shop_id', 'day', 'views', 'clicks', 'likes', 'active_products').orderBy('shop_id'));

  before(async () => {
    db = await createTestDatabase('jobs_svc', ['legacy']);
    await seed(db);
  });
  after(async () => {
    await db?.drop();
  });

  it('popularity: the batch-API version writes exactly what the legacy SQL job writes (and keeps updated_at)', async () => {
    const initial = await scores();
    const legacy = await runPopularity(db.knex, { day: DAY, params: PARAMS });
    const legacyScores = await scores();
    expect(legacy.scored).to.be.above(0);
    for (const [id, score] of initial) await db.knex('products').where({ id }).update({ popularity_score: score, updated_at: db.knex.raw('updated_at') });
    const ours = await runPopularityViaServices(ports(db), { day: DAY, params: PARAMS });
    expect(await scores()).to.deep.equal(legacyScores);
    expect({ ...ours, ms: 0 }).to.deep.equal({ ...legacy, ms: 0 });
    const again = await runPopularityViaServices(ports(db), { day: DAY, params: PARAMS });
    expect(again.updated + again.zeroed).to.equal(0); // a re-run writes nothing
  });

  it('shop stats: same rows as the legacy SQL job', async () => {
    await runShopStats(db.knex, { day: DAY });
    const legacy = await stats();
    await db.knex('shop_daily_stats').del();
    await runShopStatsViaServices(ports(db), { day: DAY });
    expect(await stats()).to.deep.equal(legacy);
    expect(legacy.find((r) => Number(r.shop_id) === 2)?.likes).to.equal(1);
  });

  it('resolves the job day from the data or the clock', () => {
    expect(jobDay({}, Date.parse('2026-05-20T23:00:00Z'))).to.equal('2026-05-20');
    expect(jobDay({ dayOffset: -1 }, Date.parse('2026-05-20T00:20:00Z'))).to.equal('2026-05-19');
    expect(jobDay({ day: '2026-01-02' }, 0)).to.equal('2026-01-02');
    expect(() => jobDay({ day: '2026-13-01' }, 0)).to.throw(/calendar date/);
  });

  it('runs as BullMQ job schedulers: registered once per id, a triggered run is processed, shutdown is clean', async () => {
    const prefix = uniqueRedisPrefix('jobs');
    const config = parseConfig(jobsConfigSchema, { MYSQL_URL: db.dsn, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' });
    const a = await startJobs(config, { logger: silentLogger() });
    const b = await startJobs(config, { logger: silentLogger() }); // a second process registers the same schedulers
    try {
      const schedulers = await a.queue.getJobSchedulers();
      expect(schedulers.map((s) => s.key).sort()).to.deep.equal(['outbox-purge-daily', 'popularity-hourly', 'shop-stats-final', 'shop-stats-hourly']);
      await db.knex('shop_daily_stats').del();
      const job = await a.queue.add('shop-stats', { day: DAY });
      await waitFor(async () => (await job.getState()) === 'completed', { timeoutMs: 10_000, what: 'shop-stats job completed' });
      expect((await stats()).length).to.equal(3);
    } finally {
      await a.queue.obliterate({ force: true });
      await Promise.all([a.close(), b.close()]);
    }
  });
});
