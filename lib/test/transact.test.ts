import { expect } from 'chai';
import { isDeadlock, transact, type Knex } from '../db.ts';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';

/** Two writers that lock rows 1 and 2 in opposite orders, each waiting until the other holds its first row. */
async function crossedWriters(db: Knex, run: (k: Knex, fn: (trx: Knex.Transaction) => Promise<void>) => Promise<void>): Promise<PromiseSettledResult<void>[]> {
  let aHolds!: () => void;
  let bHolds!: () => void;
  const aHeld = new Promise<void>((r) => { aHolds = r; });
  const bHeld = new Promise<void>((r) => { bHolds = r; });
  const writer = (first: number, second: number, held: () => void, other: Promise<void>) => run(db, async (trx) => {
    await trx('t').where({ id: first }).forUpdate().first();
    held();
    await other;
    await trx('t').where({ id: second }).increment('v', 1);
    await trx('t').where({ id: first }).increment('v', 1);
  });
  return Promise.allSettled([writer(1, 2, aHolds, bHeld), writer(2, 1, bHolds, aHeld)]);
}

describe('transact: a deadlock victim runs again @integration', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('transact', []);
    await db.knex.schema.createTable('t', (t) => { t.integer('id').primary(); t.integer('v').notNullable(); });
  });
  beforeEach(async () => {
    await db.knex('t').delete();
    await db.knex('t').insert([{ id: 1, v: 0 }, { id: 2, v: 0 }]);
  });
  after(async () => { await db?.drop(); });

  it('plain knex.transaction: one of two crossed writers fails with ER_LOCK_DEADLOCK (the case transact handles)', async () => {
    const results = await crossedWriters(db.knex, (k, fn) => k.transaction(fn));
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(failed).to.have.length(1);
    expect(isDeadlock(failed[0]!.reason)).to.equal(true);
  });

  it('transact: both crossed writers commit, each increment applied exactly once', async () => {
    const results = await crossedWriters(db.knex, (k, fn) => transact(k, fn));
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'fulfilled']);
    expect(await db.knex('t').orderBy('id').select('id', 'v')).to.deep.equal([{ id: 1, v: 2 }, { id: 2, v: 2 }]);
  });

  it('other errors are not retried', async () => {
    let calls = 0;
    const err = await transact(db.knex, async (trx) => {
      calls += 1;
      await trx('t').insert({ id: 1, v: 9 });
    }).then(() => null, (e: unknown) => e);
    expect((err as { code?: string }).code).to.equal('ER_DUP_ENTRY');
    expect(calls).to.equal(1);
  });

  it('recognises a deadlock wrapped as a cause', () => {
    expect(isDeadlock(new Error('x', { cause: { errno: 1213 } }))).to.equal(true);
    expect(isDeadlock(new Error('x'))).to.equal(false);
    expect(isDeadlock(null)).to.equal(false);
  });
});
