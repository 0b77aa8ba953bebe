import { expect } from 'chai';
import { AppError } from '../../../lib/errors.ts';
import { MemoryOwnershipRegistry } from '../../../lib/ownership/index.ts';
import { attachSeam, type SeamApis } from '../context.ts';
import { bulkUpsertProducts } from '../product-bulk.ts';
import type { BulkItem } from '../../models/product-bulk.ts';
import { bulkErrors } from '../../models/product-bulk.ts';
import { bulkItemFromWire, bulkItemToWire, bulkResultToWire, reindexDetails, runResultFromWire, shopRuns, totals } from '../bulk-wire.ts';

const item = (shopId: number, externalId: string, over: Partial<BulkItem> = {}): BulkItem => ({ shopId, externalId, name: `n ${externalId}`, price: '10.00', ...over });

describe('legacy seam: bulk upload wire mapping (pure)', () => {
  it('splits the request into runs of consecutive items of one shop, in request order', () => {
    const runs = shopRuns([item(1, 'a'), item(1, 'b'), item(2, 'c'), item(1, 'd'), item(3, 'e'), item(3, 'f')]);
    expect(runs.map((r) => [r.start, r.shopId, r.items.map((i) => i.externalId)])).to.deep.equal([[0, 1, ['a', 'b']], [2, 2, ['c']], [3, 1, ['d']], [4, 3, ['e', 'f']]]);
    expect(shopRuns([])).to.deep.equal([]);
  });

  it('sends an item as the full crawled state: null and absent optionals both absent, images [] kept apart from absent', () => {
    const full = item(4, 'x', { description: 'd', salePrice: '5.00', currency: 'USD', categoryId: 3, status: 'sold_out', attributes: { 색: ['a'] }, images: ['https://i/1.jpg'] });
    expect(bulkItemToWire(full)).to.deep.equal({ shopId: '4', categoryId: 3, externalId: 'x', name: 'n x', description: 'd', price: '10.00', salePrice: '5.00',
      currency: 'USD', status: 'sold_out', attributesJson: '{"색":["a"]}', imageUrls: ['https://i/1.jpg'] });
    const bare = bulkItemToWire(item(4, 'y', { description: null, salePrice: null, categoryId: null, images: [] }));
    expect(Object.entries(bare).filter(([, v]) => v !== undefined)).to.deep.equal([['shopId', '4'], ['externalId', 'y'], ['name', 'n y'], ['price', '10.00'], ['imageUrls', []]]);
  });

  it('the handler side reads back what the seam sent (Thrift turns absent into null)', () => {
    const withNulls = (w: object) => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v === undefined ? null : v]));
    const full = item(4, 'x', { description: 'd', salePrice: '5.00', currency: 'USD', categoryId: 3, status: 'sold_out', attributes: { a: 1 }, images: [] });
    expect(bulkItemFromWire(4, withNulls(bulkItemToWire(full)))).to.deep.equal(full);
    expect(bulkItemFromWire(4, withNulls(bulkItemToWire(item(4, 'y'))))).to.deep.equal({ ...item(4, 'y'), description: null, salePrice: null, categoryId: null,
      currency: undefined, status: undefined, attributes: undefined, images: undefined });
  });

  it('puts a run\'s answer back at the request\'s indexes and refuses an answer that does not line up', () => {
    const [, run] = shopRuns([item(1, 'a'), item(2, 'b'), item(2, 'c')]);
    const answer = bulkResultToWire({ created: 1, updated: 0, unchanged: 1, items: [
      { index: 0, id: 7, shopId: 2, externalId: 'b', result: 'created' }, { index: 1, id: 3, shopId: 2, externalId: 'c', result: 'unchanged' }] });
    const out = runResultFromWire(run, answer, 'body.items');
    expect(out).to.deep.equal({ items: [{ index: 1, id: 7, shopId: 2, externalId: 'b', result: 'created' }, { index: 2, id: 3, shopId: 2, externalId: 'c', result: 'unchanged' }], failures: [] });
    expect(JSON.stringify(totals([{ index: 0, id: 1, shopId: 1, externalId: 'a', result: 'updated' }, ...out.items])))
      .to.equal('{"created":1,"updated":1,"unchanged":1,"items":[{"index":0,"id":1,"shopId":1,"externalId":"a","result":"updated"},{"index":1,"id":7,"shopId":2,"externalId":"b","result":"created"},{"index":2,"id":3,"shopId":2,"externalId":"c","result":"unchanged"}]}');
    expect(() => runResultFromWire(run, { ...answer, items: answer.items.slice(1) }, 'items')).to.throw(/answered 1 items for 2/);
    expect(() => runResultFromWire(run, { ...answer, items: [...answer.items].reverse() }, 'items')).to.throw(/is c, sent b/);
    expect(() => runResultFromWire(run, { ...answer, items: [{ ...answer.items[0], outcome: 'merged' }, answer.items[1]] }, 'items')).to.throw(/outcome merged/);
  });

  it('turns items the service reports failed into field errors at the request\'s indexes', () => {
    const [, run] = shopRuns([item(1, 'a'), item(2, 'b'), item(2, 'c')]);
    const out = runResultFromWire(run, { created: 1, updated: 0, unchanged: 0, failed: 1, items: [
      { externalId: 'b', outcome: 'created', id: '9' }, { externalId: 'c', outcome: 'failed', errorCode: 'NOT_FOUND', errorMessage: 'unknown shop 2' }] }, 'body.items');
    expect(out.failures).to.deep.equal([{ field: 'body.items.2', message: 'unknown shop 2' }]);
    expect(out.errorCode).to.equal('NOT_FOUND');
  });

  it('renames a refused run\'s field errors to the whole request', () => {
    const [, , run] = shopRuns([item(1, 'a'), item(2, 'b'), item(3, 'c'), item(3, 'd')]);
    expect(reindexDetails([{ field: 'items.1.categoryId', message: 'm' }, { field: 'body.items.0', message: 'n' }, { field: 'shopId', message: 'o' }], run, 'body.items'))
      .to.deep.equal([{ field: 'body.items.3.categoryId', message: 'm' }, { field: 'body.items.2', message: 'n' }, { field: 'shopId', message: 'o' }]);
    expect(reindexDetails(undefined, run, 'body.items')).to.equal(undefined);
  });

  it('refuses like legacy before anything is written: duplicates first, then unknown shops and categories in item order', () => {
    const err = bulkErrors([item(1, 'a'), item(1, 'a'), item(9, 'b', { categoryId: 7 }), item(2, 'c', { categoryId: 1 })], new Set([1, 2]), new Set([1]), 'body.items');
    expect(err?.code).to.equal('VALIDATION_FAILED');
    expect(err?.message).to.equal('3 item field(s) failed validation; nothing was written');
    expect(err?.details).to.deep.equal([{ field: 'body.items.1.externalId', message: 'duplicates body.items.0 (same shopId and externalId)' },
      { field: 'body.items.2.shopId', message: 'unknown shop 9' }, { field: 'body.items.2.categoryId', message: 'unknown category 7' }]);
    expect(bulkErrors([item(1, 'a')], new Set([1]), new Set(), 'items')).to.equal(undefined);
  });
});

describe('legacy seam: bulk upload when the product service refuses a run', () => {
  const registry = new MemoryOwnershipRegistry({ product: { owner: 'service' }, shop: { owner: 'service' } });
  const knex = (() => {}) as never;
  const sent: string[] = [];
  // a stand-in API: only the failure cannot be produced by the real service on demand (the happy paths run it, admin-seam.test.ts)
  attachSeam(knex, { registry, apis: {
    shop: { getMany: async (_c: unknown, ids: string[]) => ids.map((id) => ({ id })) },
    product: {
      listCategories: async () => [],
      bulkUpsert: async (_c: unknown, shopId: string, items: { externalId: string }[]) => {
        sent.push(shopId);
        if (shopId === '2') throw new AppError('VALIDATION_FAILED', 'refused', { details: [{ field: 'items.1.price', message: 'too high' }] });
        if (shopId === '3') return { created: 0, updated: 0, unchanged: 1, failed: 1, items: [{ externalId: items[0].externalId, outcome: 'unchanged', id: '5' }, { externalId: items[1].externalId, outcome: 'failed', errorCode: 'NOT_FOUND', errorMessage: 'shop 3 closed' }] };
        return { created: items.length, updated: 0, unchanged: 0, failed: 0, items: items.map((i, k) => ({ externalId: i.externalId, outcome: 'created', id: String(100 + k) })) };
      },
    },
  } as unknown as SeamApis });

  it('a refused run: its fields renamed to the request, and the error says which earlier items were written', async () => {
    const err = await bulkUpsertProducts(knex, [item(1, 'a'), item(2, 'b'), item(2, 'c')], 'body.items').then(() => undefined, (e: AppError) => e);
    expect(sent).to.deep.equal(['1', '2']);
    expect(err).to.include({ code: 'VALIDATION_FAILED', status: 400, message: 'refused; items 0..0 (other shops) were already written' });
    expect(err?.details).to.deep.equal([{ field: 'body.items.2.price', message: 'too high' }]);
  });

  it('items reported failed: field errors at the request indexes, the code the service gave', async () => {
    const err = await bulkUpsertProducts(knex, [item(3, 'a'), item(3, 'b')], 'body.items').then(() => undefined, (e: AppError) => e);
    expect(err).to.include({ code: 'NOT_FOUND', status: 404, message: '1 item(s) refused by the product service; the other items of 0..1 were written' });
    expect(err?.details).to.deep.equal([{ field: 'body.items.1', message: 'shop 3 closed' }]);
  });
});
