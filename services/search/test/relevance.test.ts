import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { EmbeddedBackend } from '../backends/embedded.ts';
import { MysqlFulltextBackend } from '../backends/mysql-fulltext.ts';
import { compareRelevance, indexFromSource, loadJudgedCatalogue, precisionAt, recallAt } from './relevance.ts';

describe('relevance: search backends vs the legacy LIKE search on judged queries @integration', function () {
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

  it('FULLTEXT: higher mean recall@10 and no lower precision@10 than LIKE', async () => {
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

  it('embedded: precision@10 >= 0.95 and recall@10 >= 0.90 (issue #16), spacing variants found', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'search-rel-'));
    const backend = new EmbeddedBackend({ dir });
    try {
      await backend.init();
      await indexFromSource(legacy.knex, backend);
      const r = await compareRelevance(legacy.knex, backend);
      console.log(`      embedded precision@10 ${r.oursP.toFixed(3)} recall@10 ${r.oursR.toFixed(3)} (LIKE ${r.legacyP.toFixed(3)} / ${r.legacyR.toFixed(3)})`);
      expect(r.oursP, JSON.stringify(r.perQuery)).to.be.at.least(0.95);
      expect(r.oursR, JSON.stringify(r.perQuery)).to.be.at.least(0.9);
      const spaced = r.perQuery.filter((s) => s.q === '롱원피스' || s.q === '롱 원피스');
      expect(spaced.every((s) => s.oursR === 1)).to.equal(true);
    } finally {
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
