import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../../lib/config.ts';
import { createKnex, type Knex } from '../../../lib/db.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { createMysqlOwnershipRegistry } from '../../../lib/ownership/index.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix, waitFor } from '../../../test/helpers/wait.ts';
import { dropRedisPrefix } from '../../../test/helpers/redis.ts';
import { runPopularity } from '../../../legacy/jobs/popularity.ts';
import { runShopStats } from '../../../legacy/jobs/shop-stats.ts';
import { startServiceStack, type ServiceStack } from '../../../test/parity/stack.ts';
import { KnexLikeLog } from '../adapters.ts';
import { jobsConfigSchema, LEGACY_HAS_THEM, startJobs } from '../index.ts';
import { runPopularityViaServices } from '../../../rpc/jobs/popularity.ts';
import { runShopStatsViaServices } from '../../../rpc/jobs/shop-stats.ts';
import { ageDays, ThriftLikeLog } from '../../../rpc/jobs/thrift-adapters.ts';
import { createJobClients, thriftJobPorts, type JobClients } from '../wire.ts';
import { DAY, PARAMS, readScores, readStats, resetScores, seedJobsFixture } from './fixture.ts';

const at = (port: number) => ({ host: '127.0.0.1', port });
const sortBuckets = <T extends { productId: number; ageDays: number }>(xs: T[]) => [...xs].sort((a, b) => a.productId - b.productId || a.ageDays - b.ageDays);

/**
 * A database user that can reach only what stays legacy's (logs,
 * shop_daily_stats, the product outbox before the split, the ownership
 * table): a job that touched products, shops or likes with it would fail.
 */
async function legacyOwnedOnlyUser(root: Knex, database: string): Promise<{ dsn: string; drop(): Promise<void> }> {
  const user = `tj_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(8).toString('hex');
  await root.raw('CREATE USER ??@? IDENTIFIED BY ?', [user, '127.0.0.1', password]);
  const grant = (privs: string, table: string) => root.raw(`GRANT ${privs} ON ??.?? TO ??@?`, [database, table, user, '127.0.0.1']);
  await grant('SELECT', 'logs');
  await grant('SELECT, INSERT, UPDATE', 'shop_daily_stats');
  await grant('SELECT', 'service_ownership');
  await grant('SELECT, UPDATE, DELETE', 'event_outbox');
  return {
    dsn: `mysql://${user}:${password}@127.0.0.1:3306/${database}`,
    drop: async () => void (await root.raw('DROP USER IF EXISTS ??@?', [user, '127.0.0.1'])),
  };
}

describe('periodic jobs through the services over real Thrift @integration', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let stack: ServiceStack;
  let clients: JobClients;
  let legacyScores: Awaited<ReturnType<typeof readScores>>;
  let legacyResult: Awaited<ReturnType<typeof runPopularity>>;

  before(async () => {
    db = await createTestDatabase('jobs_thrift', ['legacy']);
    await seedJobsFixture(db);
    stack = await startServiceStack({ legacyDsn: db.dsn });
    clients = createJobClients({ product: at(stack.product.thriftPort), shop: at(stack.shop.thriftPort), user: at(stack.user.thriftPort) }, { timeoutMs: 10_000 });
    legacyResult = await runPopularity(db.knex, { day: DAY, params: PARAMS });
    legacyScores = await readScores(db);
    await resetScores(db);
  });
  after(async () => {
    await clients?.close();
    await stack?.close();
    await db?.drop();
  });

  it('likes by day over user.likesByDay give the SQL DATEDIFF buckets exactly (pages of 2 products)', async () => {
    const from = '2026-05-14 00:00:00.000000';
    const to = '2026-05-21 00:00:00.000000';
    const sql = await new KnexLikeLog(db.knex).productBuckets(DAY, from, to);
    const thrift = await new ThriftLikeLog(clients.user, { page: 2 }).productBuckets(DAY, from, to);
    expect(sortBuckets(thrift)).to.deep.equal(sortBuckets(sql));
    expect(sql.find((b) => b.productId === 1 && b.ageDays === 6)?.count).to.equal(1); // the window's first instant
    expect(sql.find((b) => b.productId === 2 && b.ageDays === 0)?.count).to.equal(1); // the day's last instant
    expect(ageDays('2026-03-01', '2026-02-28')).to.equal(1);
    expect(ageDays('2026-03-29', '2026-03-28')).to.equal(1);
  });

  it('popularity through the services writes exactly what the SQL join writes, over many small pages and batches', async () => {
    const ports = thriftJobPorts(db.knex, clients, { page: 2, ids: 2, scores: 2 });
    const before = await clients.callCounts();
    const ours = await runPopularityViaServices(ports, { day: DAY, params: PARAMS });
    expect(await readScores(db)).to.deep.equal(legacyScores); // scores, and updated_at untouched
    expect({ ...ours, ms: 0 }).to.deep.equal({ ...legacyResult, ms: 0 });
    expect(legacyResult).to.include({ scored: 3, zeroed: 1 }); // p1, p2, p7 scored; p6 reset
    const calls = await clients.callCounts();
    expect(calls['user.likesByDay'] - (before['user.likesByDay'] ?? 0)).to.be.above(1); // paged
    expect(calls['product.setScores'] - (before['product.setScores'] ?? 0)).to.equal(2); // 4 changes in batches of 2
    const again = await runPopularityViaServices(ports, { day: DAY, params: PARAMS });
    expect(again.updated + again.zeroed).to.equal(0);
  });

  it('shop stats through the services: the same rows as the SQL join', async () => {
    await runShopStats(db.knex, { day: DAY });
    const legacy = await readStats(db);
    await db.knex('shop_daily_stats').del();
    await runShopStatsViaServices(thriftJobPorts(db.knex, clients, { page: 2, ids: 2 }), { day: DAY });
    expect(await readStats(db)).to.deep.equal(legacy);
    expect(legacy.map((r) => Number(r.likes))).to.deep.equal([2, 1, 1, 0]);
  });

  it('the events process (JOBS_PEERS=thrift, the default) runs both jobs with a database user that can reach only legacy-owned tables', async () => {
    const limited = await legacyOwnedOnlyUser(db.knex, db.name);
    const probe = createKnex(limited.dsn, { pool: { max: 1 } });
    const prefix = uniqueRedisPrefix('jobs_thrift');
    let jobs: Awaited<ReturnType<typeof startJobs>> | undefined;
    try {
      // the control: this user cannot read a service's table
      const denied = await probe('products').first().then(() => undefined, (e: { code?: string }) => e.code);
      expect(denied).to.equal('ER_TABLEACCESS_DENIED_ERROR');
      await resetScores(db);
      await db.knex('shop_daily_stats').del();
      const config = parseConfig(jobsConfigSchema, {
        MYSQL_URL: limited.dsn, PRODUCT_DB_URL: limited.dsn, QUEUE_PREFIX: prefix, SCHEDULES_ENABLED: 'false', LOG_LEVEL: 'silent',
        PRODUCT_THRIFT: `127.0.0.1:${stack.product.thriftPort}`, SHOP_THRIFT: `127.0.0.1:${stack.shop.thriftPort}`, USER_THRIFT: `127.0.0.1:${stack.user.thriftPort}`,
      });
      expect(config.JOBS_PEERS).to.equal('thrift');
      jobs = await startJobs(config, { logger: silentLogger(), params: PARAMS });
      const results = [];
      for (const name of ['popularity', 'shop-stats']) {
        const job = await jobs.queue.add(name, { day: DAY });
        await waitFor(async () => ['completed', 'failed'].includes(await job.getState()), { timeoutMs: 20_000, what: `${name} job finished` });
        const done = await jobs.queue.getJob(job.id!);
        expect(done?.failedReason, name).to.equal(undefined);
        results.push(done!.returnvalue);
      }
      expect(results.map((r) => r.via)).to.deep.equal(['services', 'services']);
      expect(await readScores(db)).to.deep.equal(legacyScores);
      expect((await readStats(db)).map((r) => Number(r.likes))).to.deep.equal([2, 1, 1, 0]);
      const calls = await jobs.callCounts();
      for (const m of ['user.likesByDay', 'product.getMany', 'product.listScores', 'product.setScores', 'product.statsByShop', 'shop.getMany', 'shop.listShops']) {
        expect(calls[m], m).to.be.above(0);
      }
    } finally {
      await jobs?.close();
      await dropRedisPrefix(prefix); // every queue of the prefix (product-events, …), after the workers stopped
      await probe.destroy();
      await limited.drop();
    }
  });

  it('JOBS_WHILE_COLOCATED=legacy: skipped while the tables are co-located, through the services once one is split — no restart', async () => {
    const prefix = uniqueRedisPrefix('jobs_handover');
    const admin = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0 });
    const jobs = await startJobs(parseConfig(jobsConfigSchema, {
      MYSQL_URL: db.dsn, PRODUCT_DB_URL: db.dsn, QUEUE_PREFIX: prefix, SCHEDULES_ENABLED: 'false', LOG_LEVEL: 'silent', JOBS_WHILE_COLOCATED: 'legacy',
      PRODUCT_THRIFT: `127.0.0.1:${stack.product.thriftPort}`, SHOP_THRIFT: `127.0.0.1:${stack.shop.thriftPort}`, USER_THRIFT: `127.0.0.1:${stack.user.thriftPort}`,
    }), { logger: silentLogger(), params: PARAMS });
    const run = async () => {
      const job = await jobs.queue.add('shop-stats', { day: DAY });
      await waitFor(async () => (await job.getState()) === 'completed', { timeoutMs: 20_000, what: 'shop-stats job completed' });
      return (await jobs.queue.getJob(job.id!))!.returnvalue;
    };
    try {
      await db.knex('shop_daily_stats').del();
      expect(await run()).to.include({ via: 'skipped', note: LEGACY_HAS_THEM });
      expect(await readStats(db)).to.deep.equal([]);
      await admin.set('user', { owner: 'service' }, { actor: 'test', reason: 'user service serves users' });
      const r = await run();
      expect(r).to.include({ via: 'services', owners: 'product=legacy/legacy shop=legacy/legacy user=service/legacy' });
      expect(await readStats(db)).to.have.length(4);
    } finally {
      await admin.set('user', { owner: 'legacy' }, { actor: 'test', reason: 'back' });
      await admin.close();
      await jobs.close();
      await dropRedisPrefix(prefix);
    }
  });
});
