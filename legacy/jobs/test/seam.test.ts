import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseConfig } from '../../../lib/config.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { createMysqlOwnershipRegistry, MemoryOwnershipRegistry, type OwnershipRecord } from '../../../lib/ownership/index.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { KnexEventLog, KnexLikeLog, KnexProductCatalog, KnexShopDirectory, KnexShopStatsSink } from '../../../services/jobs/adapters.ts';
import type { JobPorts } from '../../../rpc/jobs/ports.ts';
import { startServiceStack } from '../../../test/parity/stack.ts';
import { tablesColocated } from '../../../lib/contract/jobs/periodic.ts';
import { jobsConfigSchema } from '../config.ts';
import { startScheduler } from '../index.ts';
import { withJobLock } from '../lock.ts';
import { describeRun, runPeriodic, type SeamDeps } from '../seam.ts';
import { D, PARAMS, loadFixture } from './fixture.ts';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
const run = promisify(execFile);
const RANKED = { 1: 5.125, 2: 9.5, 3: 0, 4: 0, 5: 0 };
const INITIAL = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 9 };
const split = () => new MemoryOwnershipRegistry({ product: { owner: 'service', database: 'own' } });

/** A lock holder's body that says when it runs and ends when told. */
function holder() {
  let started!: () => void;
  let release!: () => void;
  const startedP = new Promise<void>((r) => { started = r; });
  const done = new Promise<string>((r) => { release = () => r('held'); });
  return { started: startedP, release: () => release(), fn: () => { started(); return done; } };
}

describe('legacy jobs behind the seam @integration', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const scores = async () => Object.fromEntries(((await db.knex('products').select('id', 'popularity_score').orderBy('id')) as { id: number; popularity_score: number }[]).map((r) => [r.id, r.popularity_score]));
  const reset = async () => {
    for (const [id, score] of Object.entries(INITIAL)) await db.knex('products').where({ id: Number(id) }).update({ popularity_score: score, updated_at: db.knex.raw('updated_at') });
    await db.knex('shop_daily_stats').del();
  };
  const knexPorts = (): JobPorts => {
    const k = db.knex;
    return { events: new KnexEventLog(k), likes: new KnexLikeLog(k), products: new KnexProductCatalog(k), shops: new KnexShopDirectory(k), stats: new KnexShopStatsSink(k) };
  };
  const deps = (over: Partial<SeamDeps>): SeamDeps => ({
    legacyKnex: db.knex, registry: new MemoryOwnershipRegistry(), ports: knexPorts, whileColocated: 'sql', afterSplit: 'services', params: PARAMS, ...over,
  });

  before(async () => {
    db = await createTestDatabase('jobs_seam');
    await loadFixture(db);
  });
  beforeEach(reset);
  after(async () => {
    await db?.drop();
  });

  it('co-located means products, shops and users all legacy/legacy', () => {
    const rec = (domain: string, owner: string, database: string) => ({ domain, owner, database }) as OwnershipRecord;
    expect(tablesColocated([])).to.equal(true);
    expect(tablesColocated([rec('product', 'legacy', 'legacy'), rec('search', 'service', 'own')])).to.equal(true);
    expect(tablesColocated([rec('user', 'service', 'legacy')])).to.equal(false);
    expect(tablesColocated([rec('shop', 'legacy', 'own')])).to.equal(false);
  });

  it('runs the SQL join while co-located, through the services once any is split', async () => {
    const sql = await runPeriodic(deps({}), 'popularity', D);
    expect(sql).to.include({ via: 'sql', owners: 'product=legacy/legacy shop=legacy/legacy user=legacy/legacy' });
    expect(await scores()).to.deep.equal(RANKED);
    await reset();
    let built = 0;
    const svc = await runPeriodic(deps({ registry: split(), ports: () => (built++, knexPorts()) }), 'popularity', D);
    expect(svc).to.include({ via: 'services', owners: 'product=service/own shop=legacy/legacy user=legacy/legacy' });
    expect(built).to.equal(1);
    expect(await scores()).to.deep.equal(RANKED);
    expect(describeRun(svc)).to.match(/^popularity 2026-03-10: 9 events → 2 products scored, 2 updated, 1 reset to 0 \(\d+ ms\) — through the services; product=service\/own/);
  });

  it('a split during the SQL run: its results are discarded unwritten and the run goes through the services', async () => {
    const registry = new MemoryOwnershipRegistry();
    let reads = 0;
    registry.refresh = async () => {
      if (++reads === 2) await registry.set('product', { owner: 'service', database: 'own' }, { actor: 'test', reason: 'cutover mid-run' });
      return registry.all();
    };
    const written: unknown[] = [];
    const ports = knexPorts();
    ports.products.writeScores = async (set, zero) => void written.push({ set, zero }); // records, writes nothing
    const r = await runPeriodic(deps({ registry, ports: () => ports }), 'popularity', D);
    expect(r.via).to.equal('services');
    expect(r.note).to.match(/ownership changed during the SQL run \(product=service\/own .*\): its results were discarded unwritten/);
    expect(await scores()).to.deep.equal(INITIAL); // the SQL version wrote nothing
    expect(written).to.deep.equal([{ set: [[1, 5.125], [2, 9.5]], zero: [5] }]);
  });

  it('skips where another process has the schedule, and when a run of the job is in progress', async () => {
    const later = await runPeriodic(deps({ registry: split(), afterSplit: 'skip', skipReason: { afterSplit: 'events process has them' } }), 'shop-stats', D);
    expect(later).to.include({ via: 'skipped', note: 'events process has them' });
    const before = await runPeriodic(deps({ whileColocated: 'skip' }), 'popularity', D);
    expect(before).to.include({ via: 'skipped', note: 'tables co-located' });
    const h = holder();
    const held = withJobLock(db.knex, 'popularity', 0, h.fn);
    try {
      await h.started;
      const busy = await runPeriodic(deps({}), 'popularity', D);
      expect(busy).to.include({ via: 'skipped', busy: true });
      // shop stats have their own lock
      expect((await runPeriodic(deps({}), 'shop-stats', D)).via).to.equal('sql');
    } finally {
      h.release();
    }
    expect(await held).to.deep.equal({ ran: true, value: 'held' });
    expect(await scores()).to.deep.equal(INITIAL);
  });

  it('the lock: one holder per database and key; a waiter gets it when released', async () => {
    const other = await createTestDatabase('jobs_seam_lock');
    try {
      const h = holder();
      const first = withJobLock(db.knex, 'k', 0, h.fn);
      await h.started;
      expect(await withJobLock(db.knex, 'k', 0, async () => 'second')).to.deep.equal({ ran: false });
      expect(await withJobLock(other.knex, 'k', 0, async () => 'other db')).to.deep.equal({ ran: true, value: 'other db' });
      const waiter = withJobLock(db.knex, 'k', 10, async () => 'waited');
      h.release();
      expect(await first).to.deep.equal({ ran: true, value: 'held' });
      expect(await waiter).to.deep.equal({ ran: true, value: 'waited' });
    } finally {
      await other.drop();
    }
  });

  it('scheduler: JOBS_AFTER_SPLIT=events leaves split runs to the events process; =services runs them through the services', async () => {
    const config = (afterSplit: string) => parseConfig(jobsConfigSchema, { MYSQL_URL: db.dsn, JOBS_AFTER_SPLIT: afterSplit, JOBS_RUN_ON_START: 'true', LOG_LEVEL: 'silent' });
    const handedOver = await startScheduler(config('events'), { knex: db.knex, registry: split(), ports: knexPorts(), logger: silentLogger() });
    await handedOver.stop(); // waits for the run started on start
    expect(handedOver.scheduler.runs).to.equal(1);
    expect(await scores()).to.deep.equal(INITIAL);
    expect(await db.knex('shop_daily_stats').count({ n: '*' })).to.deep.equal([{ n: 0 }]);
    const itself = await startScheduler(config('services'), { knex: db.knex, registry: split(), ports: knexPorts(), logger: silentLogger() });
    await itself.stop();
    expect(await scores()).to.not.deep.equal(INITIAL); // ranked as of today (the fixture's events are older): p5 reset
  });

  it('npm run jobs after a split: through the services\' Thrift APIs, with the same result', async () => {
    const admin = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0 });
    const stack = await startServiceStack({ legacyDsn: db.dsn });
    try {
      await admin.set('shop', { owner: 'service' }, { actor: 'test', reason: 'shop service serves shops' });
      const env = {
        ...process.env, MYSQL_URL: db.dsn, PRODUCT_THRIFT: `127.0.0.1:${stack.product.thriftPort}`, SHOP_THRIFT: `127.0.0.1:${stack.shop.thriftPort}`,
        USER_THRIFT: `127.0.0.1:${stack.user.thriftPort}`,
      };
      const out = await run(process.execPath, [CLI, 'all', '--day', D], { env });
      expect(out.stdout).to.match(/popularity 2026-03-10: \d+ events → \d+ products scored.* — through the services; product=legacy\/legacy shop=service\/legacy/);
      expect(out.stdout).to.match(/shop-stats 2026-03-10: 3 shops upserted .* — through the services/);
      // the CLI ranks with the default parameters; the SQL join on the same data gives the same scores
      const viaServices = await scores();
      await reset();
      await admin.set('shop', { owner: 'legacy' }, { actor: 'test', reason: 'back' });
      const sql = await run(process.execPath, [CLI, 'popularity', '--day', D], { env });
      expect(sql.stdout).to.match(/— SQL join \(tables co-located\)/);
      expect(await scores()).to.deep.equal(viaServices);
    } finally {
      await admin.set('shop', { owner: 'legacy' }, { actor: 'test', reason: 'back' });
      await admin.close();
      await stack.close();
    }
  });
});
