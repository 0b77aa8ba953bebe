import { expect } from 'chai';
import { parseConfig } from '../../../lib/config.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix, waitFor } from '../../../test/helpers/wait.ts';
import { dropRedisPrefix } from '../../../test/helpers/redis.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { runPopularity } from '../../../legacy/jobs/popularity.ts';
import { runShopStats } from '../../../legacy/jobs/shop-stats.ts';
import { KnexEventLog, KnexLikeLog, KnexProductCatalog, KnexShopDirectory, KnexShopStatsSink } from '../adapters.ts';
import { runPopularityViaServices } from '../../../rpc/jobs/popularity.ts';
import { runShopStatsViaServices } from '../../../rpc/jobs/shop-stats.ts';
import { jobDay } from '../queue.ts';
import { jobsConfigSchema, startJobs } from '../index.ts';
import type { JobPorts } from '../../../rpc/jobs/ports.ts';
import { DAY, PARAMS, readScores, readStats, resetScores, seedJobsFixture } from './fixture.ts';

function ports(db: TestDatabase): JobPorts {
  const k = db.knex;
  return { events: new KnexEventLog(k), likes: new KnexLikeLog(k), products: new KnexProductCatalog(k), shops: new KnexShopDirectory(k), stats: new KnexShopStatsSink(k) };
}

describe('periodic jobs over per-owner ports (JOBS_PEERS=db) @integration', function () {
  let db: TestDatabase;
  const scores = () => readScores(db);
  const stats = () => readStats(db);

  before(async () => {
    db = await createTestDatabase('jobs_svc', ['legacy']);
    await seedJobsFixture(db);
  });
  after(async () => {
    await db?.drop();
  });

  it('popularity: the batch-API version writes exactly what the legacy SQL job writes (and keeps updated_at)', async () => {
    const legacy = await runPopularity(db.knex, { day: DAY, params: PARAMS });
    const legacyScores = await scores();
    expect(legacy.scored).to.be.above(0);
    await resetScores(db);
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
    expect(legacy.map((r) => Number(r.likes))).to.deep.equal([2, 1, 1, 0]); // shops 1..4: likes of DAY by their products' shop
  });

  it('resolves the job day from the data or the clock', () => {
    expect(jobDay({}, Date.parse('2026-05-20T23:00:00Z'))).to.equal('2026-05-20');
    expect(jobDay({ dayOffset: -1 }, Date.parse('2026-05-20T00:20:00Z'))).to.equal('2026-05-19');
    expect(jobDay({ day: '2026-01-02' }, 0)).to.equal('2026-01-02');
    expect(() => jobDay({ day: '2026-13-01' }, 0)).to.throw(/calendar date/);
  });

  it('runs as BullMQ job schedulers: registered once per id, a triggered run is processed, shutdown is clean', async () => {
    const prefix = uniqueRedisPrefix('jobs');
    const config = parseConfig(jobsConfigSchema, { MYSQL_URL: db.dsn, PRODUCT_DB_URL: db.dsn, JOBS_PEERS: 'db', QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' });
    const a = await startJobs(config, { logger: silentLogger() });
    const b = await startJobs(config, { logger: silentLogger() }); // a second process registers the same schedulers
    try {
      const schedulers = await a.queue.getJobSchedulers();
      expect(schedulers.map((s) => s.key).sort()).to.deep.equal(['outbox-purge-daily', 'popularity-hourly', 'shop-stats-final', 'shop-stats-hourly']);
      await db.knex('shop_daily_stats').del();
      const job = await a.queue.add('shop-stats', { day: DAY });
      await waitFor(async () => (await job.getState()) === 'completed', { timeoutMs: 10_000, what: 'shop-stats job completed' });
      expect((await stats()).length).to.equal(4);
      expect((await a.queue.getJob(job.id!))?.returnvalue).to.include({ job: 'shop-stats', day: DAY, via: 'services' });
    } finally {
      await Promise.all([a.close(), b.close()]);
      await dropRedisPrefix(prefix); // the schedulers' repeat keys too, once neither process re-creates them
    }
  });
});
