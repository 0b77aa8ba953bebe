/**
 * The backend contract: the same search cases against any SearchBackend.
 * `backendContract(make)` registers mocha tests; `make()` returns a fresh,
 * empty, initialised backend and a cleanup.
 */
import { expect } from 'chai';
import type { SearchBackend, SearchDocument, SearchRequest } from '../backends/types.ts';
import { fixtureDocuments, HIDDEN_ID } from './fixtures.ts';

export interface ContractHandle {
  backend: SearchBackend;
  /** Makes writes visible to search (ES refresh; no-op for MySQL). */
  refresh(): Promise<void>;
  cleanup(): Promise<void>;
}

function req(q: string, over: Partial<SearchRequest> = {}): SearchRequest {
  return { q, filters: {}, sort: 'relevance', offset: 0, limit: 20, ...over };
}

export function backendContract(make: () => Promise<ContractHandle>): void {
  let h: ContractHandle;
  const ids = async (r: SearchRequest) => (await h.backend.search(r)).hits.map((x) => x.id);

  before(async () => {
    h = await make();
    const out = await h.backend.upsert(fixtureDocuments());
    expect(out.applied).to.equal(fixtureDocuments().length);
    await h.refresh();
  });
  after(async () => {
    await h?.cleanup();
  });

  it('finds a Korean word as a substring (name, category, description); name matches first; hidden stay out', async () => {
    const r = await ids(req('원피스'));
    expect([...r].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 26, 28]);
    expect(r.slice(0, 3)).to.have.members([1, 2, 3]);
    expect(await ids(req('셔링'))).to.deep.equal([3]);
  });

  it('matches Korean across spacing differences (롱원피스 ↔ 롱 원피스)', async () => {
    expect((await ids(req('롱원피스'))).sort()).to.deep.equal([1, 2]);
    expect((await ids(req('롱 원피스'))).sort()).to.deep.equal([1, 2]);
  });

  it('requires every term, in any order', async () => {
    expect((await ids(req('니트 가디건'))).sort()).to.deep.equal([6, 7]);
  });

  it('matches English case-insensitively, by word prefix (dress → dresses-like forms)', async () => {
    expect((await ids(req('DRESS'))).sort((a, b) => a - b)).to.deep.equal([4, 5, 28]);
    expect((await ids(req('jean'))).sort()).to.deep.equal([14]);
  });

  it('folds full-width characters (ｔ셔츠 finds T셔츠)', async () => {
    expect(await ids(req('Ｔ셔츠'))).to.deep.equal([11]);
  });

  it('ranks a name match above a description-only match', async () => {
    const r = await ids(req('블라우스'));
    expect(r).to.have.members([12, 26]);
    const r2 = await ids(req('wrap dress'));
    expect(r2[0]).to.equal(28);
  });

  it('searches shop, category and attribute words too', async () => {
    expect(await ids(req('코튼'))).to.have.members([27, 30]);
    expect(await ids(req('nike'))).to.have.members([20, 21, 29]);
  });

  it('filters by category, shop and effective price range (sale price when set)', async () => {
    expect((await ids(req('원피스', { filters: { shopId: 1 } }))).sort()).to.deep.equal([1, 2, 26]);
    expect(await ids(req('linen', { filters: { categoryId: 20 } }))).to.deep.equal([9]);
    // #2 costs 45000 but sells at 39000; #1 39000; #3 29000; #5 61000 → 49000
    expect((await ids(req('원피스', { filters: { categoryId: 10, minPrice: '30000', maxPrice: '49000.00' } }))).sort()).to.deep.equal([1, 2, 5]);
    expect(await ids(req('원피스', { filters: { categoryId: 10, maxPrice: '29000' } }))).to.deep.equal([3]);
  });

  it('sorts by price, newest and popularity', async () => {
    expect(await ids(req('니트', { sort: 'price_asc' }))).to.deep.equal([8, 7, 6]);
    expect(await ids(req('니트', { sort: 'price_desc' }))).to.deep.equal([6, 7, 8]);
    expect(await ids(req('니트', { sort: 'newest' }))).to.deep.equal([8, 7, 6]);
    expect(await ids(req('니트', { sort: 'popularity' }))).to.deep.equal([6, 8, 7]);
    // equal effective prices (39000): ties broken by id, descending
    expect(await ids(req('롱원피스', { sort: 'price_asc' }))).to.deep.equal([2, 1]);
  });

  it('pages without overlap and with a stable total', async () => {
    const all = await h.backend.search(req('니트', { limit: 100 }));
    const p1 = await h.backend.search(req('니트', { limit: 2, offset: 0 }));
    const p2 = await h.backend.search(req('니트', { limit: 2, offset: 2 }));
    expect(all.total).to.equal(3);
    expect(p1.total).to.equal(3);
    expect(p2.total).to.equal(3);
    expect([...p1.hits, ...p2.hits].map((x) => x.id)).to.deep.equal(all.hits.map((x) => x.id));
    // a page past the end, and a count-only request (limit 0), still carry the total
    expect(await h.backend.search(req('니트', { limit: 2, offset: 10 }))).to.deep.equal({ total: 3, hits: [] });
    expect(await h.backend.search(req('니트', { limit: 0, offset: 0 }))).to.deep.equal({ total: 3, hits: [] });
  });

  it('returns the stored document with each hit (same shape on every backend)', async () => {
    const r = await h.backend.search(req('트위드'));
    expect(r.hits).to.have.length(1);
    const doc = r.hits[0].doc;
    expect(doc).to.include({ id: 19, name: '트위드 자켓', price: '99000.00', salePrice: null, shopId: 1, shopName: '봄날상회', categoryId: 40, status: 'active' });
    expect(doc.createdAt).to.equal('2026-01-19 10:00:00.000000');
    expect(r.hits[0].score).to.be.a('number');
  });

  it('returns hidden products only when asked for their status', async () => {
    expect(await ids(req('숨김'))).to.deep.equal([]);
    expect(await ids(req('숨김', { filters: { statuses: ['hidden'] } }))).to.deep.equal([HIDDEN_ID]);
  });

  it('never lets an older version overwrite a newer document', async () => {
    const base = fixtureDocuments().find((d) => d.id === 19)!;
    expect(await h.backend.upsert([{ ...base, version: 3, name: '트위드 자켓 v3' }])).to.deep.include({ applied: 1, stale: 0 });
    expect(await h.backend.upsert([{ ...base, version: 2, name: '트위드 자켓 v2' }])).to.deep.include({ applied: 0, stale: 1, staleIds: [19] });
    await h.refresh();
    expect((await h.backend.get(19))?.name).to.equal('트위드 자켓 v3');
    expect(await ids(req('v2'))).to.deep.equal([]);
  });

  it('tombstones removals: an older upsert cannot resurrect, a newer one can', async () => {
    const base: SearchDocument = { ...fixtureDocuments()[0], id: 900, version: 5, name: '테스트 삭제상품' };
    await h.backend.upsert([base]);
    await h.refresh();
    expect(await ids(req('삭제상품'))).to.deep.equal([900]);
    expect((await h.backend.remove(900, 6)).applied).to.equal(1);
    expect((await h.backend.upsert([{ ...base, version: 6 }])).stale).to.equal(1);
    await h.refresh();
    expect(await ids(req('삭제상품'))).to.deep.equal([]);
    expect(await h.backend.get(900)).to.equal(null);
    await h.backend.upsert([{ ...base, version: 7 }]);
    await h.refresh();
    expect(await ids(req('삭제상품'))).to.deep.equal([900]);
  });

  it('removes a shop\'s documents and returns their ids; a forced upsert restores them', async () => {
    const removed = await h.backend.removeByShop(4);
    expect(removed.sort((a, b) => a - b)).to.deep.equal([20, 21, 29]);
    await h.refresh();
    expect(await ids(req('nike'))).to.deep.equal([]);
    const docs = fixtureDocuments().filter((d) => removed.includes(d.id));
    await h.backend.upsert(docs, { force: true });
    await h.refresh();
    expect(await ids(req('nike'))).to.have.members([20, 21, 29]);
  });

  it('rebuilds: documents the run did not see are dropped, the rest stay searchable', async () => {
    const before = await h.backend.count();
    const startedAt = new Date(Date.now() - 1); // written before this instant = older than the run
    await new Promise((r) => setTimeout(r, 5)); // indexed_at has µs precision; keep the run's writes after startedAt
    const target = await h.backend.beginRebuild(`run${Date.now()}`);
    const keep = fixtureDocuments().filter((d) => d.id !== 3 && d.id !== HIDDEN_ID);
    await h.backend.loadRebuild(target, keep.slice(0, 10));
    await h.backend.loadRebuild(target, keep.slice(10));
    await h.backend.finishRebuild(target, startedAt);
    await h.refresh();
    expect(await h.backend.count()).to.be.below(before);
    expect(await ids(req('셔링'))).to.deep.equal([]);
    expect((await ids(req('롱원피스'))).sort()).to.deep.equal([1, 2]);
    expect(await h.backend.get(3)).to.equal(null);
  });
}
