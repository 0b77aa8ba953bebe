import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { seedFixture } from '../../../test/parity/fixture.ts';
import { fixedDb } from '../../common/live-db.ts';
import { SagaCrash } from '../../common/saga.ts';
import type { ProductCommands, SearchIndex } from '../../../rpc/ports.ts';
import { ProductRepository } from '../../product/repository.ts';
import { ShopRepository } from '../repository.ts';
import { SqlSagaStore } from '../saga-store.ts';
import { closeShop, MemorySearchIndex, recoverCloseShop, type CloseShopPorts, type ShopStatusPort } from '../close-shop.ts';

type Fault = { at: 'close' | 'hide' | 'search'; kind: 'error' | 'crash' } | undefined;

/** Wraps the real ports so a chosen step fails (an error, or a crash that skips compensation). */
function ports(db: TestDatabase, search: MemorySearchIndex, fault: () => Fault): CloseShopPorts {
  const shopsRepo = new ShopRepository(fixedDb(db.knex));
  const productsRepo = new ProductRepository(fixedDb(db.knex));
  const boom = (at: 'close' | 'hide' | 'search') => {
    const f = fault();
    if (f?.at !== at) return;
    if (f.kind === 'crash') throw new SagaCrash(`crash at ${at}`);
    throw new Error(`${at} unavailable`);
  };
  const shops: ShopStatusPort = {
    status: async (id) => (await shopsRepo.get(id))?.status,
    setStatusIf: async (id, from, to) => {
      const changed = await shopsRepo.setStatusIf(id, from, to);
      if (to === 'closed') boom('close'); // fails AFTER the write: compensation must undo it
      return changed;
    },
  };
  const products: ProductCommands = {
    previewHideByShop: (id) => productsRepo.previewHideByShop(id),
    hideByShop: async (id) => {
      const r = await productsRepo.hideByShop(id);
      boom('hide');
      return r;
    },
    restoreStatuses: (c) => productsRepo.restoreStatuses(c),
  };
  const searchPort: SearchIndex = {
    remove: async (ids) => {
      await search.remove(ids.slice(0, 1)); // partial removal, then the failure
      boom('search');
      await search.remove(ids);
    },
    reindex: (items) => search.reindex(items),
  };
  return { shops, products, search: searchPort };
}

async function snapshot(db: TestDatabase, shopId: number) {
  const shop = await db.knex('shops').where({ id: shopId }).first('status');
  const products = await db.knex('products').where({ shop_id: shopId }).orderBy('id').select('id', 'status');
  return { shop: shop.status as string, products: products.map((p) => `${p.id}:${p.status}`) };
}

describe('shop service: close-shop saga @integration', () => {
  let db: TestDatabase;
  let search: MemorySearchIndex;
  let fault: Fault;
  let seeded: Awaited<ReturnType<typeof snapshot>>;
  const SHOP = 1;

  before(async () => {
    db = await createTestDatabase('saga');
    await seedFixture(db.knex);
    seeded = await snapshot(db, SHOP);
  });
  after(async () => db?.drop());

  beforeEach(async () => {
    // every case starts from the seeded state
    await db.knex('shops').where({ id: SHOP }).update({ status: 'open' });
    for (const p of seeded.products) {
      const [id, status] = p.split(':');
      await db.knex('products').where({ id: Number(id) }).update({ status });
    }
    const active = (await db.knex('products').where({ shop_id: SHOP, status: 'active' }).select('id')).map((r) => Number(r.id));
    search = new MemorySearchIndex([...active, 999]);
    fault = undefined;
    await db.knex('saga_log').delete();
  });

  it('closes the shop, hides its products and removes them from search; the log says completed', async () => {
    const r = await closeShop(ports(db, search, () => fault), new SqlSagaStore(fixedDb(db.knex)), SHOP);
    expect(r.status).to.equal('completed');
    const after = await snapshot(db, SHOP);
    expect(after.shop).to.equal('closed');
    expect(after.products.every((p) => p.endsWith(':hidden'))).to.equal(true);
    expect([...search.indexed]).to.deep.equal([999]);
    // the product changes went to the event outbox in the same transaction (search indexer input)
    const events = await db.knex('event_outbox').where({ kind: 'hidden' }).count({ n: '*' }).first();
    expect(Number(events?.n)).to.equal(after.products.length - seeded.products.filter((p) => p.endsWith(':hidden')).length);
    const log = await db.knex('saga_log').where({ id: r.id }).first();
    expect(log.status).to.equal('completed');
    expect(log.step).to.equal(3);
    // other shops untouched
    expect(await db.knex('products').where({ shop_id: 2 }).whereNot('status', 'hidden').count({ n: '*' }).first()).to.have.property('n').above(0);
  });

  for (const at of ['close', 'hide', 'search'] as const) {
    it(`a failure at "${at}" compensates every earlier step: shop, products and index as before`, async () => {
      const indexedBefore = [...search.indexed].sort();
      fault = { at, kind: 'error' };
      const r = await closeShop(ports(db, search, () => fault), new SqlSagaStore(fixedDb(db.knex)), SHOP);
      expect(r.status).to.equal('compensated');
      expect(r.error).to.contain(`${at} unavailable`);
      expect(await snapshot(db, SHOP)).to.deep.equal(seeded);
      expect([...search.indexed].sort()).to.deep.equal(indexedBefore);
      const log = await db.knex('saga_log').where({ id: r.id }).first();
      expect(log.status).to.equal('compensated');
      expect(log.error).to.contain(`${at} unavailable`);
    });
  }

  for (const at of ['close', 'hide', 'search'] as const) {
    it(`a crash at "${at}" leaves the saga running in saga_log; recovery compensates it`, async () => {
      const indexedBefore = [...search.indexed].sort();
      fault = { at, kind: 'crash' };
      const store = new SqlSagaStore(fixedDb(db.knex));
      let crashed = false;
      try {
        await closeShop(ports(db, search, () => fault), store, SHOP);
      } catch (err) {
        crashed = err instanceof SagaCrash;
      }
      expect(crashed).to.equal(true);
      expect((await store.unfinished()).length).to.equal(1);
      fault = undefined; // "after restart"
      const recovered = await recoverCloseShop(ports(db, search, () => fault), store);
      expect(recovered.map((x) => x.status)).to.deep.equal(['compensated']);
      expect(await snapshot(db, SHOP)).to.deep.equal(seeded);
      expect([...search.indexed].sort()).to.deep.equal(indexedBefore);
      expect(await store.unfinished()).to.have.length(0);
    });
  }

  it('a compensation that keeps failing marks the saga failed (for an operator) and says why', async () => {
    fault = { at: 'search', kind: 'error' };
    const p = ports(db, search, () => fault);
    p.products.restoreStatuses = async () => { throw new Error('product service down'); };
    const r = await closeShop(p, new SqlSagaStore(fixedDb(db.knex)), SHOP, { compensationAttempts: 2 });
    expect(r.status).to.equal('failed');
    const log = await db.knex('saga_log').where({ id: r.id }).first();
    expect(log.status).to.equal('failed');
    expect(log.error).to.contain('search unavailable').and.to.contain('product service down');
  });

  it('closing an unknown shop fails cleanly with nothing to undo', async () => {
    const r = await closeShop(ports(db, search, () => fault), new SqlSagaStore(fixedDb(db.knex)), 424242);
    expect(r.status).to.equal('compensated');
    expect(r.error).to.contain('not found');
  });
});
