import { expect } from 'chai';
import { gatherMerchantStats, newLikesOver, shopProductsOver, windowInstants, type LikesByDayApi } from '../merchant-stats.ts';
import type { ProductApi } from '../thrift-ports.ts';
import type { WireProduct } from '../wire.ts';

const wire = (id: number, status = 'active'): WireProduct => ({
  id: String(id), shopId: '1', externalId: `x-${id}`, name: `p${id}`, price: '1.00', currency: 'KRW', status, likeCount: id * 10, viewCount: 0,
  popularityScore: 0, version: 1, discountRate: '0.00', createdAt: '2024-01-01T00:00:00.000000Z', updatedAt: '2024-01-01T00:00:00.000000Z',
});

describe('merchant stats sources over Thrift (rpc/merchant-stats.ts)', () => {
  it('pages through every product of the shop, all statuses, 100 at a time', async () => {
    const all = Array.from({ length: 250 }, (_, i) => wire(i + 1, ['active', 'hidden', 'sold_out'][i % 3]));
    const calls: unknown[] = [];
    const api: Pick<ProductApi, 'listProducts'> = {
      async listProducts(_ctx, query) {
        calls.push(query);
        const { limit = 20, offset = 0 } = query.page ?? {};
        return { items: all.slice(offset, offset + limit), page: { total: all.length } };
      },
    };
    const got = await shopProductsOver(api)(1);
    expect(got).to.have.length(250);
    expect(got[249]).to.deep.equal({ id: 250, name: 'p250', status: 'active', likeCount: 2500 });
    expect(calls).to.deep.equal([0, 100, 200].map((offset) => ({ filter: { shopId: '1', statuses: ['active', 'hidden', 'sold_out'] }, page: { limit: 100, offset } })));
  });

  it('sums likesByDay daily counts per product over the half-open window, following nextAfterId', async () => {
    const calls: unknown[][] = [];
    const api: LikesByDayApi = {
      async likesByDay(...args) {
        calls.push(args.slice(1));
        return args[4] === '0'
          ? { items: [{ targetId: '3', day: '2024-03-01', count: 2 }, { targetId: '3', day: '2024-03-09', count: 1 }], nextAfterId: '3' }
          : { items: [{ targetId: '8', day: '2024-03-10', count: 4 }], nextAfterId: null };
      },
    };
    const got = await newLikesOver(api)([3, 8, 12], { from: '2024-03-01', to: '2024-03-10' });
    expect([...got]).to.deep.equal([[3, 3], [8, 4]]);
    expect(calls).to.deep.equal([
      ['2024-03-01T00:00:00.000000Z', '2024-03-11T00:00:00.000000Z', ['3', '8', '12'], '0', 5000],
      ['2024-03-01T00:00:00.000000Z', '2024-03-11T00:00:00.000000Z', ['3', '8', '12'], '3', 5000],
    ]);
    expect(windowInstants({ from: '2024-02-28', to: '2024-02-29' })).to.deep.equal({ fromTime: '2024-02-28T00:00:00.000000Z', toTime: '2024-03-01T00:00:00.000000Z' });
  });

  it('gathers the parts and asks for likes of the shop\'s products only (none for a shop without products)', async () => {
    const asked: number[][] = [];
    const sources = (ids: number[]) => ({
      shopProducts: async () => ids.map((id) => ({ id, name: `p${id}`, status: 'active', likeCount: 0 })),
      shopEvents: async () => [{ productId: 2, views: 1, clicks: 0 }],
      newLikes: async (pids: number[]) => { asked.push(pids); return new Map([[1, 1]]); },
    });
    const r = await gatherMerchantStats(sources([1, 2]), 1, { from: '2024-03-01', to: '2024-03-01' }, { page: 1, size: 20 });
    expect(r.items.map((i) => [i.productId, i.views, i.likes])).to.deep.equal([[2, 1, 0], [1, 0, 1]]);
    expect(asked).to.deep.equal([[1, 2]]);
    await gatherMerchantStats(sources([]), 1, { from: '2024-03-01', to: '2024-03-01' }, { page: 1, size: 20 });
    expect(asked).to.have.length(1);
  });
});
