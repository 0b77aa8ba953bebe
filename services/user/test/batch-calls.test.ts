import { expect } from 'chai';
import { silentLogger } from '../../../lib/logger.ts';
import { MemoryOwnershipRegistry } from '../../../lib/ownership/index.ts';
import { listUsers as legacyListUsers } from '../../../legacy/models/users.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { closeServiceClients, createServiceClients, type ServiceClients } from '../../../rpc/index.ts';
import type { RunningService } from '../../common/bootstrap.ts';
import { userToWire } from '../../../rpc/wire.ts';
import { seedFixture } from '../../../test/parity/fixture.ts';
import { startUserService, type UserServiceConfig } from '../index.ts';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** Absent optional fields: null from the Thrift decoder, undefined from userToWire. */
const norm = (u: object) => Object.fromEntries(Object.entries(u).map(([k, v]) => [k, v ?? null]));
const db = (iso: string) => iso.replace('T', ' ').replace('Z', '');
/** An absent optional list (the generated signature declares it plain). */
const ALL = null as unknown as string[];
const FROM = '2024-05-01T00:00:00.000000Z';
const TO = '2024-05-04T00:00:00.000000Z';

/** likesByDay, forgetProducts and listUsers of UserService over a real Thrift connection. */
describe('user service batch calls over Thrift @integration', function () {
  this.timeout(30_000);
  let legacy: TestDatabase;
  let own: TestDatabase;
  let svc: RunningService;
  let clients: Pick<ServiceClients, 'user'>;
  const registry = new MemoryOwnershipRegistry();
  const user = () => clients.user;

  before(async () => {
    [legacy, own] = await Promise.all([createTestDatabase('ubatch_legacy'), createTestDatabase('ubatch_user', ['user'])]);
    await seedFixture(legacy.knex);
    const extra = ['a%b@example.com', 'under_score@example.com', 'kim.one@example.com', 'back\\slash@example.com', 'x@other.test', 'y@other.test', 'z@other.test'];
    await legacy.knex('users').insert(extra.map((email, i) => ({ id: i + 4, email, password_hash: 'x', name: i % 2 ? `Kim ${i}` : `이 ${i}%` })));
    // likes in and around the window [2024-05-01, 2024-05-04) (the fixture's own likes are from March)
    const like = (userId: number, productId: number, at: string) => ({ user_id: userId, product_id: productId, created_at: db(at) });
    await legacy.knex('likes').insert([
      like(4, 5, '2024-05-01T00:00:00.000000Z'), like(5, 5, '2024-05-01T10:00:00.000000Z'), like(6, 5, '2024-05-02T23:59:59.999999Z'),
      like(4, 7, '2024-05-03T12:00:00.000000Z'), like(5, 7, '2024-05-04T00:00:00.000000Z'),
      like(4, 9, '2024-04-30T23:59:59.999999Z'),
      ...[4, 5, 6, 7, 8].map((u) => like(u, 12, '2024-05-01T08:00:00.000000Z')), like(9, 12, '2024-05-03T00:00:00.000001Z'),
      like(10, 20, '2024-05-02T01:00:00.000000Z'),
    ]);
    await own.knex('users').insert({ id: 1, email: 'own@example.com', password_hash: 'x', name: 'own' });
    await own.knex('likes').insert([like(1, 500, '2024-05-02T00:00:00.000000Z'), like(1, 501, '2024-05-09T00:00:00.000000Z')]);
    const config: UserServiceConfig = {
      service: 'user', host: '127.0.0.1', httpPort: 0, thriftPort: 0, mysqlUrl: legacy.dsn, ownDbUrl: own.dsn, dbMode: 'registry',
      redisUrl: undefined, peers: {}, callTimeoutMs: 2000, logLevel: 'silent',
    };
    svc = await startUserService(config, { logger: silentLogger(), registry, peers: { product: {} as never, shop: {} as never } });
    clients = createServiceClients({ user: { port: svc.thriftPort } });
  });
  after(async () => {
    if (clients) await closeServiceClients(clients);
    await svc?.close();
    await Promise.all([legacy?.drop(), own?.drop()]);
  });

  const flat = (page: { items: { targetId: string; day: string; count: number }[] }) => page.items.map((i) => `${i.targetId}@${i.day}=${i.count}`);

  describe('likesByDay', () => {
    it('counts likes in [from, to) per product and UTC day, ascending by product then day', async () => {
      const page = await user().likesByDay({}, FROM, TO, ALL, '0', 100);
      expect(flat(page)).to.deep.equal(['5@2024-05-01=2', '5@2024-05-02=1', '7@2024-05-03=1', '12@2024-05-01=5', '12@2024-05-03=1', '20@2024-05-02=1']);
      expect(page.nextAfterId).to.equal(null);
    });

    it('keeps microseconds at both ends of the window', async () => {
      expect(flat(await user().likesByDay({}, '2024-05-02T23:59:59.999999Z', '2024-05-03T00:00:00.000001Z', ALL, '0', 10))).to.deep.equal(['5@2024-05-02=1']);
      expect(flat(await user().likesByDay({}, '2024-05-03T00:00:00.000001Z', '2024-05-03T00:00:00.000002Z', ALL, '0', 10))).to.deep.equal(['12@2024-05-03=1']);
      expect(flat(await user().likesByDay({}, TO, TO, ALL, '0', 10))).to.deep.equal([]);
      expect(flat(await user().likesByDay({}, '2024-05-03T23:00:00Z', '2024-05-04T00:00:00.000001Z', ALL, '0', 10))).to.deep.equal(['7@2024-05-04=1']);
    });

    it('pages by product: at most `limit` products, their days never split, nextAfterId only when more follow', async () => {
      const p1 = await user().likesByDay({}, FROM, TO, ALL, '0', 2);
      expect(flat(p1)).to.deep.equal(['5@2024-05-01=2', '5@2024-05-02=1', '7@2024-05-03=1']);
      expect(p1.nextAfterId).to.equal('7');
      const p2 = await user().likesByDay({}, FROM, TO, ALL, '7', 2);
      expect(flat(p2)).to.deep.equal(['12@2024-05-01=5', '12@2024-05-03=1', '20@2024-05-02=1']);
      expect(p2.nextAfterId).to.equal(null); // exactly 4 products: no empty third page
      const q1 = await user().likesByDay({}, FROM, TO, ALL, '0', 3);
      expect(q1.nextAfterId).to.equal('12');
      expect(flat(await user().likesByDay({}, FROM, TO, ALL, '12', 3))).to.deep.equal(['20@2024-05-02=1']);
      expect(flat(await user().likesByDay({}, FROM, TO, ALL, '20', 3))).to.deep.equal([]);
    });

    it('filters by productIds (absent = all, empty = none)', async () => {
      expect(flat(await user().likesByDay({}, FROM, TO, ['20', '5', '9', '999'], '0', 10))).to.deep.equal(['5@2024-05-01=2', '5@2024-05-02=1', '20@2024-05-02=1']);
      const p = await user().likesByDay({}, FROM, TO, ['20', '5', '12'], '5', 1);
      expect(flat(p)).to.deep.equal(['12@2024-05-01=5', '12@2024-05-03=1']);
      expect(p.nextAfterId).to.equal('12');
      expect(flat(await user().likesByDay({}, FROM, TO, [], '0', 10))).to.deep.equal([]);
      const many = Array.from({ length: 5000 }, (_, i) => String(i + 1));
      expect(flat(await user().likesByDay({}, FROM, TO, many, '0', 5000))).to.have.length(6);
    });

    it('refuses malformed timestamps, from after to, bad limits, cursors and id lists', async () => {
      for (const bad of ['2024-05-01', '2024-05-01T00:00:00', '2024-05-01 00:00:00.000000Z', '2024-02-30T00:00:00Z', '2024-05-01T24:00:00Z',
        '2024-05-01T00:00:00.1234567Z', '2024-05-01T00:00:00+09:00', 'yesterday', '']) {
        expect(await codeOf(user().likesByDay({}, bad, TO, ALL, '0', 10)), `from ${bad}`).to.equal('VALIDATION_FAILED');
        expect(await codeOf(user().likesByDay({}, FROM, bad, ALL, '0', 10)), `to ${bad}`).to.equal('VALIDATION_FAILED');
      }
      expect(await codeOf(user().likesByDay({}, TO, FROM, ALL, '0', 10))).to.equal('VALIDATION_FAILED');
      expect(await codeOf(user().likesByDay({}, '2024-05-01T00:00:00.000001Z', '2024-05-01T00:00:00Z', ALL, '0', 10))).to.equal('VALIDATION_FAILED');
      for (const limit of [0, -3, 5001]) expect(await codeOf(user().likesByDay({}, FROM, TO, ALL, '0', limit)), `limit ${limit}`).to.equal('VALIDATION_FAILED');
      for (const after of ['-1', 'x', '']) expect(await codeOf(user().likesByDay({}, FROM, TO, ALL, after, 10)), `afterId ${after}`).to.equal('VALIDATION_FAILED');
      expect(await codeOf(user().likesByDay({}, FROM, TO, Array.from({ length: 5001 }, (_, i) => String(i + 1)), '0', 10))).to.equal('VALIDATION_FAILED');
      expect(await codeOf(user().likesByDay({}, FROM, TO, ['5', '0'], '0', 10))).to.equal('VALIDATION_FAILED');
    });
  });

  describe('listUsers', () => {
    const cases: { q?: string; size: number; page: number }[] = [
      { size: 20, page: 1 }, { size: 3, page: 2 }, { size: 3, page: 4 }, { size: 100, page: 50 },
      { q: 'example', size: 20, page: 1 }, { q: 'EXAMPLE.COM', size: 2, page: 2 }, { q: 'kim', size: 20, page: 1 }, { q: '%', size: 20, page: 1 },
      { q: '_', size: 20, page: 1 }, { q: 'a%b', size: 20, page: 1 }, { q: '\\', size: 20, page: 1 }, { q: '이 4%', size: 20, page: 1 },
      { q: 'nobody', size: 20, page: 1 }, { q: '', size: 20, page: 1 },
    ];
    for (const c of cases) {
      it(`answers exactly what legacy's listUsers answers: q=${JSON.stringify(c.q)} size=${c.size} page=${c.page}`, async () => {
        const want = await legacyListUsers(legacy.knex, c.q, { page: c.page, size: c.size });
        const got = await user().listUsers({}, { q: c.q, page: { limit: c.size, offset: (c.page - 1) * c.size } });
        expect(got.page.total).to.equal(want.total);
        expect(got.page.limit).to.equal(c.size);
        expect(got.page.offset).to.equal((c.page - 1) * c.size);
        expect(got.items.map(norm)).to.deep.equal(want.rows.map((r) => norm(userToWire(r))));
      });
    }

    it('matches what the cases above assume (so they cannot all pass vacuously)', async () => {
      expect((await user().listUsers({}, { q: '%' })).items.map((u) => u.id)).to.deep.equal(['10', '8', '6', '4']); // names '이 n%' and a%b@
      expect((await user().listUsers({}, { q: '\\' })).items.map((u) => u.email)).to.deep.equal(['back\\slash@example.com']);
      expect((await user().listUsers({}, { q: '_' })).items.map((u) => u.email)).to.deep.equal(['under_score@example.com']);
      expect((await user().listUsers({}, {})).items.map((u) => u.id)).to.deep.equal(['10', '9', '8', '7', '6', '5', '4', '3', '2', '1']);
      expect((await user().listUsers({}, { q: 'kim' })).page.total).to.equal(4); // 3 names + kim.one@
    });

    it('refuses bad paging and an over-long q', async () => {
      expect(await codeOf(user().listUsers({}, { page: { limit: 0 } }))).to.equal('VALIDATION_FAILED');
      expect(await codeOf(user().listUsers({}, { page: { limit: 101 } }))).to.equal('VALIDATION_FAILED');
      expect(await codeOf(user().listUsers({}, { page: { limit: 10, offset: 5 } }))).to.equal('VALIDATION_FAILED');
      expect(await codeOf(user().listUsers({}, { q: 'x'.repeat(101) }))).to.equal('VALIDATION_FAILED');
    });
  });

  describe('forgetProducts', () => {
    it('deletes every like of the products and returns how many; a second call deletes nothing', async () => {
      const present = Number((await legacy.knex('likes').whereIn('product_id', [7, 12]).count({ n: '*' }))[0].n);
      expect(present).to.be.at.least(8); // ours; the shared fixture may add some
      expect(await user().forgetProducts({}, ['12', '7', '999'])).to.equal(present);
      expect(await legacy.knex('likes').whereIn('product_id', [7, 12]).count({ n: '*' })).to.deep.equal([{ n: 0 }]);
      expect(await user().forgetProducts({}, ['12', '7', '999'])).to.equal(0);
      expect(await user().forgetProducts({}, [])).to.equal(0);
      expect(flat(await user().likesByDay({}, FROM, TO, ALL, '0', 10))).to.deep.equal(['5@2024-05-01=2', '5@2024-05-02=1', '20@2024-05-02=1']);
    });

    it('refuses bad ids and more than 5000', async () => {
      expect(await codeOf(user().forgetProducts({}, ['5', 'x']))).to.equal('VALIDATION_FAILED');
      expect(await codeOf(user().forgetProducts({}, Array.from({ length: 5001 }, (_, i) => String(i + 1))))).to.equal('VALIDATION_FAILED');
      expect(await legacy.knex('likes').where({ product_id: 5 }).count({ n: '*' })).to.deep.equal([{ n: 3 }]);
    });
  });

  describe('after the user split', () => {
    it('every call follows the user tables to their own database after the split, without a restart', async () => {
      await registry.set('user', { database: 'own' }, { actor: 'test', reason: 'cutover' });
      try {
        expect(flat(await user().likesByDay({}, FROM, TO, ALL, '0', 10))).to.deep.equal(['500@2024-05-02=1']);
        expect((await user().listUsers({}, {})).items.map((u) => u.email)).to.deep.equal(['own@example.com']);
        expect(await user().forgetProducts({}, ['501', '5'])).to.equal(1);
        expect(await own.knex('likes').select('product_id')).to.deep.equal([{ product_id: 500 }]);
      } finally {
        await registry.set('user', { database: 'legacy' }, { actor: 'test', reason: 'rollback' });
      }
      expect(await legacy.knex('likes').where({ product_id: 5 }).count({ n: '*' })).to.deep.equal([{ n: 3 }]);
    });
  });
});
