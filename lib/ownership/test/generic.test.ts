import { expect } from 'chai';
import { createKnex, dropDatabase, withDatabase } from '../../db.ts';
import { createTestDatabase, testServerDsn, uniqueName, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix, waitFor } from '../../../test/helpers/wait.ts';
import { createMysqlOwnershipRegistry, ensureRegistry, ownershipChannelFor, type MysqlOwnershipRegistry } from '../index.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('ownership registry: any monolith, any domain (MySQL + Redis) @integration', () => {
  let db: TestDatabase;
  const open: MysqlOwnershipRegistry[] = [];
  const extraDbs: string[] = [];
  before(async () => {
    db = await createTestDatabase('owngen', []); // no migrations: the library must make its own table
  });
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  after(async () => {
    for (const name of extraDbs) await dropDatabase(withDatabase(testServerDsn(), name));
    await db.drop();
  });

  it('creates and seeds its table when missing, never touching existing rows', async () => {
    const before = (await db.knex.raw("SHOW TABLES LIKE 'service_ownership%'"))[0];
    expect(before).to.have.length(0);
    const reg = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0, domains: ['billing', 'invoices'] });
    open.push(reg);
    const rows = await db.knex('service_ownership').orderBy('domain');
    expect(rows.map((r: { domain: string; owner: string; database: string; version: number }) => [r.domain, r.owner, r.database, r.version])).to.deep.equal([
      ['billing', 'legacy', 'legacy', 1], ['invoices', 'legacy', 'legacy', 1],
    ]);
    await reg.set('billing', { owner: 'service', database: 'own' }, { actor: 't', reason: 'moved' });
    // a second process seeding the same domains again changes nothing
    await ensureRegistry(db.knex, { domains: ['billing', 'invoices', 'ledger'] });
    const again = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0, domains: ['billing'] });
    open.push(again);
    expect(again.get('billing')).to.include({ owner: 'service', database: 'own', version: 2 });
    expect(again.all().map((r) => r.domain)).to.deep.equal(['billing', 'invoices', 'ledger']);
    const cols = (await db.knex.raw("SHOW COLUMNS FROM service_ownership"))[0].map((c: { Field: string }) => c.Field);
    expect(cols).to.deep.equal(['domain', 'owner', 'database', 'version', 'changed_at', 'changed_by', 'reason']);
  });

  it('rejects malformed domain names with one clear message, and reads an unseeded well-formed one as legacy v1', async () => {
    const reg = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0 });
    open.push(reg);
    expect(() => reg.get('Drop Table')).to.throw(/unknown domain: "Drop Table" \(a domain name matches/);
    let err: { code?: string; message?: string } = {};
    await reg.set('bad name', { owner: 'service' }, { actor: 't', reason: 'r' }).catch((e) => (err = e));
    expect(err.code).to.equal('OWNERSHIP_INVALID');
    await ensureRegistry(db.knex, { domains: ['ok', 'NOT-OK'] }).catch((e) => (err = e));
    expect(err.message).to.match(/domain: "NOT-OK" must match/);
    expect((await db.knex('service_ownership').where({ domain: 'ok' })).length).to.equal(0); // validated before any write
    expect(reg.get('never_seen')).to.include({ owner: 'legacy', database: 'legacy', version: 1 });
    const long = `d${'x'.repeat(63)}`;
    const next = await reg.set(long, { database: 'own' }, { actor: 't', reason: '64 characters' });
    expect(next).to.include({ domain: long, version: 2 });
  });

  it('widens a migration-010 table (domain VARCHAR(32)) before seeding a longer name', async () => {
    const legacy = await createTestDatabase('owngen10'); // runs migration 010: 32-character domain column
    try {
      const long = `a${'b'.repeat(40)}`;
      await ensureRegistry(legacy.knex, { domains: [long] });
      const [row] = await legacy.knex('service_ownership').where({ domain: long });
      expect(row).to.include({ domain: long, version: 1 });
      expect((await legacy.knex('service_ownership').whereIn('domain', ['product', 'shop', 'user', 'search'])).length).to.equal(4);
    } finally {
      await legacy.drop();
    }
  });

  it('lives in a database the caller names (created when missing) and announces on ownership:<that db>', async () => {
    const regDb = uniqueName('ownreg');
    extraDbs.push(regDb);
    const writer = await createMysqlOwnershipRegistry({ knex: db.knex, database: regDb, pollMs: 0, redisUrl: REDIS_URL, domains: ['orders'] });
    const reader = await createMysqlOwnershipRegistry({ knex: db.knex, database: regDb, pollMs: 0, redisUrl: REDIS_URL, redisWaitMs: 2000 });
    // a registry in another database on the same Redis must not hear it
    const other = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0, redisUrl: REDIS_URL, redisWaitMs: 2000 });
    open.push(writer, reader, other);
    expect(writer.channel).to.equal(ownershipChannelFor(regDb)).and.to.equal(`ownership:${regDb}`);
    expect(other.channel).to.equal(`ownership:${db.name}`);
    const own = createKnex(withDatabase(testServerDsn(), regDb));
    try {
      expect((await own('service_ownership').where({ domain: 'orders' })).length).to.equal(1);
      expect((await db.knex('service_ownership').where({ domain: 'orders' })).length).to.equal(0);
    } finally {
      await own.destroy();
    }
    const pub = (writer as unknown as { pub: { pubsub(...a: string[]): Promise<unknown[]> } }).pub;
    await waitFor(async () => (await pub.pubsub('NUMSUB', writer.channel))[1] as number >= 1, { timeoutMs: 3000, what: 'subscriber' });
    let otherHeard = 0;
    other.onChange(() => otherHeard++);
    await writer.set('orders', { owner: 'service', database: 'own' }, { actor: 't', reason: 'pubsub' });
    await waitFor(() => reader.get('orders').database === 'own', { timeoutMs: 2000, what: 'notification on the namespaced channel' });
    expect(otherHeard).to.equal(0);
    expect(other.get('orders').version).to.equal(1);
  });

  it('an explicit channel still wins (the demo names its own)', async () => {
    const channel = `${uniqueRedisPrefix('owngen')}changed`;
    const reg = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0, channel });
    open.push(reg);
    expect(reg.channel).to.equal(channel);
  });
});

describe('ownership registry: a process with SELECT only on the registry still starts @integration', () => {
  it('does not try to create or seed what exists, and warns (not fails) when it may not seed', async () => {
    const db = await createTestDatabase('owngenro'); // migration 010: tables and the four demo rows exist
    const user = `to_${Math.random().toString(36).slice(2, 10)}`;
    await db.knex.raw("CREATE USER ??@'127.0.0.1' IDENTIFIED BY 'pw'", [user]);
    const ro = createKnex(`mysql://${user}:pw@127.0.0.1:3306/${db.name}`);
    try {
      await db.knex.raw("GRANT SELECT ON ??.service_ownership TO ??@'127.0.0.1'", [db.name, user]);
      const reg = await createMysqlOwnershipRegistry({ knex: ro, pollMs: 0 });
      expect(reg.get('product')).to.include({ owner: 'legacy', version: 1 });
      await reg.close();
      const warned: string[] = [];
      const logger = { warn: (_o: unknown, msg: string) => warned.push(msg), debug() {}, info() {}, error() {}, child() { return logger; } } as never;
      const seeding = await createMysqlOwnershipRegistry({ knex: ro, pollMs: 0, domains: ['newdomain'], logger });
      expect(warned).to.deep.equal(['ownership registry not ensured (no privilege); expecting its table and rows to exist']);
      expect(seeding.get('newdomain').version).to.equal(1);
      await seeding.close();
    } finally {
      await ro.destroy();
      await db.knex.raw("DROP USER IF EXISTS ??@'127.0.0.1'", [user]);
      await db.drop();
    }
  });
});
