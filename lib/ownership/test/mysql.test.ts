import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix, waitFor } from '../../../test/helpers/wait.ts';
import { createMysqlOwnershipRegistry, type MysqlOwnershipRegistry } from '../index.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('ownership registry (MySQL + Redis) @integration', () => {
  let db: TestDatabase;
  const open: MysqlOwnershipRegistry[] = [];
  before(async () => {
    db = await createTestDatabase('ownership');
  });
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  after(async () => {
    await db.drop();
  });

  it('flips atomically with an audit row and a version bump', async () => {
    const reg = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0 });
    open.push(reg);
    expect(reg.get('product')).to.include({ owner: 'legacy', database: 'legacy', version: 1 });
    const next = await reg.set('product', { owner: 'service', database: 'own' }, { actor: 'split-db', reason: 'cutover test' });
    expect(next).to.include({ owner: 'service', database: 'own', version: 2, changedBy: 'split-db' });
    const [row] = await db.knex('service_ownership').where({ domain: 'product' });
    expect(row).to.include({ owner: 'service', database: 'own', version: 2 });
    const audit = await reg.history('product');
    expect(audit[0]).to.include({ from_owner: 'legacy', to_owner: 'service', from_database: 'legacy', to_database: 'own', version: 2, changed_by: 'split-db', reason: 'cutover test' });
  });

  it('compare-and-set: exactly one of two racing flips with the same expected version wins', async () => {
    const a = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0 });
    const b = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0 });
    open.push(a, b);
    const v = a.get('shop').version;
    const results = await Promise.allSettled([
      a.set('shop', { owner: 'service' }, { actor: 'a', reason: 'race', ifVersion: v }),
      b.set('shop', { owner: 'service', database: 'own' }, { actor: 'b', reason: 'race', ifVersion: v }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.code).to.equal('OWNERSHIP_CONFLICT');
    expect((await db.knex('service_ownership_audit').where({ domain: 'shop' })).length).to.equal(1);
  });

  it('other processes learn about a flip through Redis pub/sub without polling', async () => {
    const channel = `${uniqueRedisPrefix('own')}changed`;
    const writer = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0, redisUrl: REDIS_URL, channel });
    const reader = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0, redisUrl: REDIS_URL, channel });
    open.push(writer, reader);
    const seen: string[] = [];
    reader.onChange((n) => seen.push(`${n.domain}:${n.owner}`));
    // wait until the subscriber is ready, then flip
    await waitFor(async () => (await (writer as unknown as { pub: { pubsub(...a: string[]): Promise<unknown[]> } }).pub.pubsub('NUMSUB', channel))[1] as number >= 1, { timeoutMs: 3000, what: 'subscriber' });
    await writer.set('user', { owner: 'service' }, { actor: 't', reason: 'pubsub' });
    await waitFor(() => reader.get('user').owner === 'service', { timeoutMs: 2000, what: 'notification' });
    expect(seen).to.include('user:service');
  });

  it('falls back to polling when Redis is unreachable, and a flip still commits', async () => {
    const writer = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 0, redisUrl: 'redis://127.0.0.1:1' });
    const reader = await createMysqlOwnershipRegistry({ knex: db.knex, pollMs: 50 });
    open.push(writer, reader);
    const before = reader.get('search').version;
    await writer.set('search', { owner: 'service' }, { actor: 't', reason: 'redis down' });
    await waitFor(() => reader.get('search').version === before + 1, { timeoutMs: 2000, what: 'poll' });
    expect(reader.get('search').owner).to.equal('service');
  });
});
