import { expect } from 'chai';
import { assembleMerchantStats, type MerchantStatsParts } from '../merchant-stats.ts';
import { statsWindow } from '../schemas/merchant-api.ts';

const products = [
  { id: 5, name: '코트', status: 'hidden', likeCount: 2 },
  { id: 2, name: '니트 🧶', status: 'active', likeCount: 0 },
  { id: 9, name: 'Tee', status: 'sold_out', likeCount: 7 },
  { id: 3, name: 'Cap', status: 'active', likeCount: 1 },
];
const base: MerchantStatsParts = {
  shopId: 3, window: { from: '2024-02-10', to: '2024-03-10' }, paging: { page: 1, size: 20 }, products,
  events: [
    { productId: 2, views: 3, clicks: 1 },
    { productId: 5, views: 3, clicks: 0 },
    { productId: 44, views: 2, clicks: 2 }, // a product deleted since: totals only
    { productId: null, views: 1, clicks: 0 }, // a log row without a product: totals only
  ],
  newLikes: new Map([[5, 2], [3, 1], [77, 4]]), // 77 is not the shop's product
};

describe('merchant stats assembler (lib/contract/merchant-stats.ts)', () => {
  it('answers legacy\'s JSON: order views desc, likes desc, id asc; zero counts; key order', () => {
    const r = assembleMerchantStats(base);
    expect(r).to.deep.equal({
      shopId: 3, from: '2024-02-10', to: '2024-03-10', totals: { views: 9, clicks: 3, likes: 3 },
      items: [
        { productId: 5, name: '코트', status: 'hidden', views: 3, clicks: 0, likes: 2, likeCount: 2 },
        { productId: 2, name: '니트 🧶', status: 'active', views: 3, clicks: 1, likes: 0, likeCount: 0 },
        { productId: 3, name: 'Cap', status: 'active', views: 0, clicks: 0, likes: 1, likeCount: 1 },
        { productId: 9, name: 'Tee', status: 'sold_out', views: 0, clicks: 0, likes: 0, likeCount: 7 },
      ],
      page: { page: 1, size: 20, total: 4, hasNext: false },
    });
    expect(JSON.stringify(Object.keys(r))).to.equal('["shopId","from","to","totals","items","page"]');
    expect(Object.keys(r.items[0])).to.deep.equal(['productId', 'name', 'status', 'views', 'clicks', 'likes', 'likeCount']);
  });

  it('breaks equal views and likes by id, and pages after sorting', () => {
    const even = { ...base, events: [], newLikes: new Map<number, number>() };
    expect(assembleMerchantStats(even).items.map((i) => i.productId)).to.deep.equal([2, 3, 5, 9]);
    const p2 = assembleMerchantStats({ ...base, paging: { page: 2, size: 3 } });
    expect(p2.items.map((i) => i.productId)).to.deep.equal([9]);
    expect(p2.page).to.deep.equal({ page: 2, size: 3, total: 4, hasNext: false });
    const p1 = assembleMerchantStats({ ...base, paging: { page: 1, size: 3 } });
    expect(p1.page.hasNext).to.equal(true);
    const past = assembleMerchantStats({ ...base, paging: { page: 99, size: 20 } });
    expect(past.items).to.deep.equal([]);
    expect(past.page).to.deep.equal({ page: 99, size: 20, total: 4, hasNext: false });
  });

  it('sums repeated event rows of a product and counts a product listed twice (paging race) once', () => {
    const r = assembleMerchantStats({ ...base, products: [...products, products[1]], events: [{ productId: 2, views: 1, clicks: 0 }, { productId: 2, views: 1, clicks: 1 }] });
    expect(r.items[0]).to.deep.include({ productId: 2, views: 2, clicks: 1 });
    expect(r.page.total).to.equal(4);
    expect(r.totals).to.deep.equal({ views: 2, clicks: 1, likes: 3 });
  });

  it('a shop without products: empty page, log totals still counted, no likes', () => {
    const r = assembleMerchantStats({ ...base, products: [] });
    expect(r.items).to.deep.equal([]);
    expect(r.totals).to.deep.equal({ views: 9, clicks: 3, likes: 0 });
    expect(r.page.total).to.equal(0);
  });

  it('default window: 30 days ending today (UTC), or from + 29, or to - 29', () => {
    const now = new Date('2024-03-10T23:59:59.999Z');
    expect(statsWindow({}, now)).to.deep.equal({ from: '2024-02-10', to: '2024-03-10' });
    expect(statsWindow({ from: '2024-02-20' }, now)).to.deep.equal({ from: '2024-02-20', to: '2024-03-20' });
    expect(statsWindow({ to: '2024-03-01' }, now)).to.deep.equal({ from: '2024-02-01', to: '2024-03-01' });
    expect(statsWindow({ from: '2024-03-01', to: '2024-03-01' }, now)).to.deep.equal({ from: '2024-03-01', to: '2024-03-01' });
  });
});
