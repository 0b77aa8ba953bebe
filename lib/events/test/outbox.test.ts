import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { OUTBOX_TABLE, recordProductChanged, recordProductsChangedByIds } from '../outbox.ts';
import { dbTimeToMs, outboxRowToEvent } from '../relay.ts';

describe('lib/events outbox @integration', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('outbox', ['legacy']);
    await db.knex('shops').insert({ id: 1, name: 's', slug: 's' });
    await db.knex('products').insert([{ id: 1, shop_id: 1, external_id: 'a', name: 'a', price: '1.00', version: 3 }, { id: 2, shop_id: 1, external_id: 'b', name: 'b', price: '1.00' }]);
  });
  after(async () => {
    await db?.drop();
  });

  it('records events in the caller\'s transaction: committed with it, gone with a rollback', async () => {
    await db.knex.transaction((trx) => recordProductChanged(trx, { productId: '1', version: '3', kind: 'updated', meta: { shopId: 1 } }));
    await db.knex.transaction(async (trx) => {
      await recordProductChanged(trx, { productId: 2, version: 1, kind: 'updated' });
      throw new Error('rollback');
    }).catch(() => {});
    const rows = await db.knex(OUTBOX_TABLE).select('*');
    expect(rows).to.have.length(1);
    const ev = outboxRowToEvent(rows[0]);
    expect(ev).to.deep.include({ productId: 1, version: 3, kind: 'updated', meta: { shopId: 1 } });
    expect(Math.abs(ev.changedAt - Date.now())).to.be.below(60_000);
  });

  it('refuses bad input with a clear message', async () => {
    let err: unknown;
    await recordProductChanged(db.knex, { productId: -1, version: 1, kind: 'updated' }).catch((e) => { err = e; });
    expect(String(err)).to.match(/productId must be a non-negative integer/);
    await recordProductChanged(db.knex, { productId: 1, version: 1, kind: 'renamed' as never }).catch((e) => { err = e; });
    expect(String(err)).to.match(/unknown kind "renamed"/);
  });

  it('by ids: reads versions inside the transaction; a deletion records version + 1, or 0 once the row is gone', async () => {
    await db.knex(OUTBOX_TABLE).del();
    await db.knex.transaction(async (trx) => {
      await trx('products').where({ id: 2 }).update({ version: trx.raw('version + 1') });
      await recordProductsChangedByIds(trx, [2, 2], 'updated');
      await recordProductsChangedByIds(trx, [1], 'deleted');
    });
    const rows = (await db.knex(OUTBOX_TABLE).orderBy('id').select('aggregate_id', 'version', 'kind')).map((r) => [Number(r.aggregate_id), Number(r.version), r.kind]);
    expect(rows).to.deep.equal([[2, 2, 'updated'], [1, 4, 'deleted']]);
    await db.knex(OUTBOX_TABLE).del();
    await recordProductsChangedByIds(db.knex, [99], 'deleted');
    expect((await db.knex(OUTBOX_TABLE).first('aggregate_id', 'version'))).to.deep.equal({ aggregate_id: 99, version: 0 });
    let err: unknown;
    await recordProductsChangedByIds(db.knex, [99], 'updated').catch((e) => { err = e; });
    expect(String(err)).to.match(/no product row for id\(s\) 99/);
  });

  it('parses outbox timestamps as UTC', () => {
    expect(dbTimeToMs('2026-01-02 03:04:05.678901')).to.equal(Date.parse('2026-01-02T03:04:05.678Z'));
  });
});
