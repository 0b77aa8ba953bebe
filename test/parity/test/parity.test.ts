import { expect } from 'chai';
import { silentLogger } from '../../../lib/logger.ts';
import { startUserApi } from '../../../legacy/user-api/index.ts';
import { startAdminApi } from '../../../legacy/admin-api/index.ts';
import { startMerchantApi } from '../../../legacy/merchant-api/index.ts';
import type { ApiStartOptions, RunningApi } from '../../../legacy/http/server.ts';
import type { SeamApis } from '../../../legacy/seam/index.ts';
import { closeServiceClients, createServiceClients } from '../../../rpc/index.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.ts';
import { MemorySearchIndex } from '../../../services/shop/close-shop.ts';
import { diffAnswers, IGNORED_FIELDS, type Difference } from '../compare.ts';
import { seedFixture } from '../fixture.ts';
import { send, type Side } from '../runner.ts';
import { coveredRoutes, legacyFor, ROUTES, SCENARIO, serviceFor } from '../scenario.ts';
import { startServiceStack, type ServiceStack } from '../stack.ts';
import { startParityFacade, type ParityFacade } from '../facade.ts';
import { MemoryOwnershipRegistry } from '../../../lib/ownership/index.ts';
import { OWNED_TABLES, splitDatabases, type Owner } from '../split.ts';

/**
 * The contract: the same requests to the legacy user API and to the service
 * edges, against two databases seeded by the same fixture; status, the
 * headers clients rely on and bodies must match except IGNORED_FIELDS.
 * Afterwards the side effects (likes, counters, event log) must match too.
 */
const LEGS = ['service edges', 'the facade (routes in service mode)', 'service edges after the database split (own databases)',
  'the legacy APIs themselves, reaching the data through the seam (services own it)'] as const;

for (const via of LEGS) describe(`parity: legacy user API vs ${via} @integration`, function () {
  this.timeout(60_000);
  let legacyDb: TestDatabase;
  let serviceDb: TestDatabase;
  let legacy: Record<'user' | 'admin' | 'merchant', RunningApi>;
  /** Legacy APIs on the services' database: staff sign-in and unmatched paths stay legacy there too. */
  let legacyB: Record<'user' | 'admin' | 'merchant', RunningApi>;
  let stack: ServiceStack;
  let facade: ParityFacade | undefined;
  let seamClients: ReturnType<typeof createServiceClients<'product' | 'shop' | 'user'>> | undefined;
  const seamCalls = new Set<string>();
  /** After the split: each service's own database (tables copied from serviceDb). */
  let own: Record<Owner, TestDatabase> | undefined;
  const runStart = Date.now();

  before(async () => {
    [legacyDb, serviceDb] = await Promise.all([createTestDatabase('parity_legacy'), createTestDatabase('parity_svc')]);
    await Promise.all([seedFixture(legacyDb.knex), seedFixture(serviceDb.knex)]);
    const legacyApis = async (db: TestDatabase, extra: ApiStartOptions = {}) => {
      const cfg = { port: 0, mysqlUrl: db.dsn, host: '127.0.0.1' };
      const opts = { logger: silentLogger(), knex: db.knex, ...extra };
      return { user: await startUserApi(cfg, opts), admin: await startAdminApi(cfg, opts), merchant: await startMerchantApi(cfg, opts) };
    };
    legacy = await legacyApis(legacyDb);
    if (via === LEGS[3]) {
      // legacy code unchanged but for the seam: every product/shop/user read and catalogue write goes over Thrift
      const registry = new MemoryOwnershipRegistry({ product: { owner: 'service' }, shop: { owner: 'service' }, user: { owner: 'service' } });
      stack = await startServiceStack({ legacyDsn: serviceDb.dsn, registry, search: new MemorySearchIndex() });
      const at = (port: number) => ({ host: '127.0.0.1', port });
      const endpoints = { product: at(stack.product.thriftPort), shop: at(stack.shop.thriftPort), user: at(stack.user.thriftPort) };
      seamClients = createServiceClients(endpoints);
      // count the Thrift calls legacy makes, to prove the answers came through the seam
      const counted = Object.fromEntries(Object.entries(seamClients).map(([svc, client]) => [svc, new Proxy(client, {
        get(target, key) {
          const v = Reflect.get(target, key);
          return typeof v === 'function' ? (...args: unknown[]) => { seamCalls.add(`${svc}.${String(key)}`); return v.apply(target, args); } : v;
        },
      })]));
      legacyB = await legacyApis(serviceDb, { registry, seamApis: counted as unknown as SeamApis, seam: { mode: 'registry', callTimeoutMs: 2000, endpoints } });
      return;
    }
    legacyB = await legacyApis(serviceDb);
    if (via === LEGS[2]) {
      own = await splitDatabases(serviceDb);
      const registry = new MemoryOwnershipRegistry({ product: { database: 'own' }, shop: { database: 'own' }, user: { database: 'own' } });
      stack = await startServiceStack({ legacyDsn: serviceDb.dsn, ownDsns: { product: own.product.dsn, shop: own.shop.dsn, user: own.user.dsn }, registry, search: new MemorySearchIndex() });
    } else stack = await startServiceStack({ legacyDsn: serviceDb.dsn, search: new MemorySearchIndex() });
    if (via === LEGS[1]) facade = await startParityFacade({ user: legacyB.user.url, admin: legacyB.admin.url, merchant: legacyB.merchant.url }, stack);
  });

  after(async () => {
    await facade?.close();
    if (seamClients) await closeServiceClients(seamClients);
    await stack?.close();
    for (const apis of [legacy, legacyB]) if (apis) await Promise.all(Object.values(apis).map((a) => a.close()));
    await Promise.all([legacyDb?.drop(), serviceDb?.drop(), ...Object.values(own ?? {}).map((d) => d.drop())]);
  });

  it('the scenario covers every route the services take over', () => {
    const covered = coveredRoutes();
    expect(Object.keys(ROUTES).filter((r) => !covered.has(r as keyof typeof ROUTES))).to.deep.equal([]);
  });

  it('declares a short list of ignored fields', () => {
    expect(IGNORED_FIELDS.map((r) => r.path)).to.deep.equal(['token', '**.createdAt', '**.updatedAt', '**.likedAt', '**.bookmarkedAt']);
  });

  it('answers every scenario step identically (status, headers, body)', async () => {
    const legacySide: Side = { name: 'legacy', baseUrl: (p) => legacy[legacyFor(p)].url, tokens: {} };
    const edges = { product: stack.product.httpUrl, shop: stack.shop.httpUrl, user: stack.user.httpUrl, 'legacy-admin': legacyB.admin.url, 'legacy-merchant': legacyB.merchant.url };
    const serviceSide: Side = { name: 'services', baseUrl: (p) => (via === LEGS[3] ? legacyB[legacyFor(p)].url : facade?.url ?? edges[serviceFor(p)]), tokens: {} };
    const failures: { step: string; diffs: Difference[] }[] = [];
    const servedBy: string[] = [];
    const legacyAnswers = new Map<string, unknown>();
    for (const [i, step] of SCENARIO.entries()) {
      const a = await send(legacySide, step, i);
      const b = await send(serviceSide, step, i);
      legacyAnswers.set(step.name, a.body);
      if (facade) {
        const expected = coveredRoutes([step]).size ? serviceFor(step.path) : undefined;
        const header = b.headers['x-strangler-route'] ?? '';
        if (expected && !header.endsWith(`upstream=${expected}`)) servedBy.push(`${step.name}: ${header || '(no route header)'}`);
        delete b.headers['x-strangler-route'];
      }
      const diffs = diffAnswers(a, b, { runStart });
      if (diffs.length) failures.push({ step: `${i} ${step.name} (${step.method} ${step.path})`, diffs });
    }
    expect(failures, JSON.stringify(failures, null, 2)).to.deep.equal([]);
    expect(servedBy, 'steps of taken-over routes the facade did not send to the service').to.deep.equal([]);
    expect(legacySide.tokens.mina).to.be.a('string');
    expect(serviceSide.tokens.mina).to.be.a('string').and.not.equal(legacySide.tokens.mina);
    expect(serviceSide.tokens.merchant).to.be.a('string');
    // the merchant report compared something: counts in the window, totals beyond the listed products (a deleted one)
    const march = legacyAnswers.get('merchant stats march') as { totals: object; items: { productId: number; views: number; likes: number }[] };
    expect(march.totals).to.deep.equal({ views: 6, clicks: 2, likes: 3 });
    expect(march.items.slice(0, 4).map((r) => [r.productId, r.views, r.likes])).to.deep.equal([[24, 2, 1], [12, 2, 0], [30, 1, 1], [3, 0, 1]]);
    const today = legacyAnswers.get('merchant stats default window') as { totals: object };
    expect(today.totals).to.deep.equal({ views: 1, clicks: 0, likes: 1 });
    if (via === LEGS[3]) {
      expect([...seamCalls].sort()).to.include.members(['product.listProducts', 'product.getProduct', 'product.createProduct', 'product.updateProduct',
        'product.hideProduct', 'product.deleteProduct', 'shop.listShops', 'shop.getShop', 'shop.createShop', 'shop.updateShop', 'shop.getMerchants', 'user.getUser', 'user.signUp', 'user.verifySession', 'user.login', 'user.addLike', 'user.removeLike', 'user.listLikes', 'user.addBookmark', 'user.removeBookmark', 'user.listBookmarks', 'user.likesByDay']);
    }
  });

  it('left the same side effects in both databases (likes, counters, bookmarks, event log)', async () => {
    // timestamps written during the run differ by clock; seeded ones must still match
    const gen = <T extends Record<string, unknown>>(rows: T[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) =>
      [k, (k === 'updated_at' || k === 'created_at') && typeof v === 'string' && Date.parse(`${v.replace(' ', 'T')}Z`) >= runStart - 1000 ? '(generated)' : v])));
    /** Where a table lives on the services' side: its owner's database after the split, else serviceDb. */
    const on = (db: TestDatabase, table: string) => {
      if (db !== serviceDb || !own) return db.knex(table);
      const owner = (Object.keys(OWNED_TABLES) as Owner[]).find((o) => (OWNED_TABLES[o] as readonly string[]).includes(table));
      return (owner ? own[owner] : db).knex(table);
    };
    const snap = async (db: TestDatabase) => ({
      likes: await on(db, 'likes').orderBy('id').select('id', 'user_id', 'product_id'),
      bookmarks: await on(db, 'shop_bookmarks').orderBy('id').select('id', 'user_id', 'shop_id'),
      products: gen(await on(db, 'products').orderBy('id').select('*')),
      images: await on(db, 'product_images').orderBy('id').select('*'),
      shops: gen(await on(db, 'shops').orderBy('id').select('*')),
      users: await on(db, 'users').orderBy('id').select('id', 'email', 'name', 'gender', 'birth_year'),
      logs: await on(db, 'logs').orderBy('id').select('id', 'type', 'user_id', 'product_id', 'shop_id', 'query', 'meta'),
      sessions: (await on(db, 'sessions').count({ n: '*' }).first())?.n,
    });
    const [a, b] = await Promise.all([snap(legacyDb), snap(serviceDb)]);
    expect(b).to.deep.equal(a);
    expect(a.logs.length).to.be.greaterThan(3);
  });
});
