import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { MysqlFulltextBackend } from '../backends/mysql-fulltext.ts';
import { compareRelevance, indexFromSource, loadJudgedCatalogue, precisionAt, recallAt } from './relevance.ts';

describe('relevance: FULLTEXT backend vs the legacy LIKE search on judged queries @integration', function () {
  let legacy: TestDatabase;
  let search: TestDatabase;
  before(async () => {
    [legacy, search] = await Promise.all([createTestDatabase('rel_legacy', ['legacy']), createTestDatabase('rel_search', ['search'])]);
    await loadJudgedCatalogue(legacy.knex);
  });
  after(async () => {
    await Promise.all([legacy?.drop(), search?.drop()]);
  });

  it('metrics: precision and recall at k', () => {
    expect(precisionAt(10, [1, 2, 3, 4], new Set([1, 3]))).to.equal(0.5);
    expect(recallAt(10, [1, 2, 3, 4], new Set([1, 3, 9, 10]))).to.equal(0.5);
    expect(precisionAt(10, [], new Set([1]))).to.equal(0);
  });

  it('has higher mean recall@10 and no lower precision@10 than LIKE', async () => {
    const backend = new MysqlFulltextBackend(search.knex);
    await indexFromSource(legacy.knex, backend);
    const r = await compareRelevance(legacy.knex, backend);
    expect(r.oursR, JSON.stringify(r.perQuery)).to.be.above(r.legacyR);
    expect(r.oursP).to.be.at.least(r.legacyP);
    // spacing variants: LIKE misses one of the two forms entirely, FULLTEXT finds both
    const spaced = r.perQuery.filter((s) => s.q === '롱원피스' || s.q === '롱 원피스');
    expect(spaced.every((s) => s.oursR === 1)).to.equal(true);
    expect(spaced.some((s) => s.legacyR < 1)).to.equal(true);
  });
});
