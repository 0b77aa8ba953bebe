import { expect } from 'chai';
import { waitFor } from '../../../test/helpers/wait.ts';
import { SeamFixture } from '../../../lib/seam/test/fixture.ts';
import { attachSeam, dataSeamState, detachSeam, knexFor, viaService, writeThrough, type SeamApis } from '../context.ts';

/** Legacy code that still runs its own SQL after the tables moved: context.ts hands it the owner's knex (lib/seam). */
describe('legacy seam: knexFor / writeThrough follow the tables to their own database @integration', () => {
  let f: SeamFixture | undefined;
  afterEach(async () => {
    if (f) detachSeam(f.legacy.knex);
    await f?.close();
    f = undefined;
  });

  it('without connections nothing changes: knexFor is the app knex, writeThrough is fn(db)', async () => {
    f = await SeamFixture.create();
    const fx = f;
    attachSeam(fx.legacy.knex, { registry: fx.app, apis: {} as SeamApis });
    expect(knexFor(fx.legacy.knex, 'items')).to.equal(fx.legacy.knex);
    await writeThrough(fx.legacy.knex, 'items', (k) => k('items').insert({ id: 1, writer: 0 }));
    expect(await fx.legacyIds()).to.deep.equal([1]);
    expect(dataSeamState(fx.legacy.knex)).to.deep.equal([]);
  });

  it('while legacy code still owns the domain but its tables live in their own database, reads and writes go there; fenced writes retry', async () => {
    f = await SeamFixture.create();
    const fx = f;
    attachSeam(fx.legacy.knex, { registry: fx.app, apis: {} as SeamApis, connections: { items: fx.own.knex }, data: { writeRetry: { maxMs: 5000, backoffMs: 10 } } });
    expect(knexFor(fx.legacy.knex, 'items')).to.equal(fx.legacy.knex);
    expect(knexFor(fx.legacy.knex, 'product')).to.equal(fx.legacy.knex); // no connection: unchanged
    await writeThrough(fx.legacy.knex, 'items', (k) => k('items').insert({ id: 1, writer: 0 }));
    await fx.raiseFence('trigger');
    const pending = writeThrough(fx.legacy.knex, 'items', (k) => k('items').insert({ id: 2, writer: 0 }));
    await waitFor(() => dataSeamState(fx.legacy.knex)[0]?.fenceHits >= 2, { timeoutMs: 3000, what: 'the write meeting the fence' });
    await fx.cutover.set('items', { database: 'own' }, { actor: 't', reason: 'tables moved, code not yet' });
    await pending;
    expect(viaService(fx.legacy.knex, 'items')).to.equal(undefined); // owner is still legacy: no Thrift
    expect(knexFor(fx.legacy.knex, 'items')).to.equal(fx.own.knex);
    expect(await fx.legacyIds()).to.deep.equal([1]);
    expect(await fx.ownIds()).to.deep.equal([2]);
    detachSeam(fx.legacy.knex);
    expect(knexFor(fx.legacy.knex, 'items')).to.equal(fx.legacy.knex);
  });
});
