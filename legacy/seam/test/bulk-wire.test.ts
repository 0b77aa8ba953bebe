import { expect } from 'chai';
import type { BulkItem } from '../../models/product-bulk.ts';
import { bulkItemToWire, bulkResultFromWire, renameItemFields } from '../bulk-wire.ts';

const item = (shopId: number, externalId: string): BulkItem => ({ shopId, externalId, name: `n ${externalId}`, price: '1000' });

describe('legacy seam: bulk upload mapping (pure)', () => {
  it('sends the full crawled state: absent optionals stay absent, attributes as JSON text', () => {
    const full: BulkItem = { shopId: 4, externalId: 'x', name: '니트', description: 'd', price: '1.50', salePrice: '1.00', currency: 'USD', categoryId: 3, status: 'sold_out',
      attributes: { 색: '검정' }, images: ['https://i/1.jpg'] };
    expect(bulkItemToWire(full)).to.deep.equal({ shopId: '4', categoryId: 3, externalId: 'x', name: '니트', description: 'd', price: '1.50', salePrice: '1.00', currency: 'USD',
      status: 'sold_out', attributesJson: '{"색":"검정"}', imageUrls: ['https://i/1.jpg'] });
    const bare = bulkItemToWire({ ...item(1, 'y'), description: null, salePrice: null, categoryId: null });
    expect(Object.entries(bare).filter(([, v]) => v !== undefined).map(([k]) => k)).to.deep.equal(['shopId', 'externalId', 'name', 'price']);
  });

  it('the answer → legacy result with totals, in request order', () => {
    const sent = [item(1, 'a'), item(2, 'b'), item(1, 'c')];
    const r = bulkResultFromWire(sent, { created: 1, updated: 1, unchanged: 1, failed: 0, items: [
      { externalId: 'a', outcome: 'created', id: '40' }, { externalId: 'b', outcome: 'unchanged', id: '7' }, { externalId: 'c', outcome: 'updated', id: '9' }] });
    expect(r).to.deep.equal({ created: 1, updated: 1, unchanged: 1, items: [
      { index: 0, id: 40, shopId: 1, externalId: 'a', result: 'created' }, { index: 1, id: 7, shopId: 2, externalId: 'b', result: 'unchanged' },
      { index: 2, id: 9, shopId: 1, externalId: 'c', result: 'updated' }] });
  });

  it('an answer that does not line up with the request is a protocol error, never guessed at', () => {
    const sent = [item(1, 'a'), item(1, 'b')];
    const ok = [{ externalId: 'a', outcome: 'created', id: '1' }, { externalId: 'b', outcome: 'created', id: '2' }];
    const res = (items: typeof ok) => ({ created: 2, updated: 0, unchanged: 0, items });
    expect(() => bulkResultFromWire(sent, res(ok.slice(1)))).to.throw(/answered 1 items for 2/);
    expect(() => bulkResultFromWire(sent, res([...ok].reverse()))).to.throw(/item 0 is b, sent a/);
    expect(() => bulkResultFromWire(sent, res([ok[0]!, { ...ok[1]!, outcome: 'failed' }]))).to.throw(/outcome failed/);
    expect(() => bulkResultFromWire(sent, res([ok[0]!, { externalId: 'b', outcome: 'created', id: null as unknown as string }]))).to.throw(/id null/);
  });

  it('renames the service\'s item fields to the caller\'s prefix and leaves other fields alone', () => {
    expect(renameItemFields([{ field: 'items.1.categoryId', message: 'm' }, { field: 'items', message: 'n' }, { field: 'itemsX', message: 'o' }, { field: 'shopId', message: 'p' }], 'body.items'))
      .to.deep.equal([{ field: 'body.items.1.categoryId', message: 'm' }, { field: 'body.items', message: 'n' }, { field: 'itemsX', message: 'o' }, { field: 'shopId', message: 'p' }]);
    expect(renameItemFields([{ field: 'items.3.externalId', message: 'duplicates items.0 (same shopId and externalId)' }], 'body.items'))
      .to.deep.equal([{ field: 'body.items.3.externalId', message: 'duplicates body.items.0 (same shopId and externalId)' }]);
    expect(renameItemFields(undefined, 'body.items')).to.equal(undefined);
  });
});
