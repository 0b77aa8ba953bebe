/**
 * Judged relevance comparison (used by relevance.test.ts and the benchmark):
 * loads the judged catalogue into a legacy-shaped database, indexes it, and
 * scores the legacy LIKE search and a backend on the judged queries with
 * precision@10 and recall@10.
 */
import type { Knex } from 'knex';
import { searchProductsByName } from '../../../legacy/models/products.ts';
import type { SearchBackend } from '../backends/types.ts';
import { KnexProductSource } from '../source.ts';
import { CATEGORIES, fixtureDocuments, JUDGED, SHOPS } from './fixtures.ts';

export const K = 10;

export interface QueryScore { q: string; relevant: number; legacyP: number; legacyR: number; oursP: number; oursR: number }

export function precisionAt(k: number, got: number[], relevant: Set<number>): number {
  const top = got.slice(0, k);
  // precision over what was returned (an empty answer has precision 0 when something was relevant)
  return top.length === 0 ? (relevant.size === 0 ? 1 : 0) : top.filter((id) => relevant.has(id)).length / top.length;
}

export function recallAt(k: number, got: number[], relevant: Set<number>): number {
  return relevant.size === 0 ? 1 : got.slice(0, k).filter((id) => relevant.has(id)).length / relevant.size;
}

export async function loadJudgedCatalogue(knex: Knex): Promise<void> {
  await knex('shops').insert(Object.entries(SHOPS).map(([id, name]) => ({ id: Number(id), name, slug: `shop-${id}`, status: 'open', contract_status: 'active' })));
  await knex('categories').insert(Object.entries(CATEGORIES).map(([id, name]) => ({ id: Number(id), name, slug: `cat-${id}` })));
  await knex('products').insert(fixtureDocuments().map((d) => ({
    id: d.id, shop_id: d.shopId, category_id: d.categoryId, external_id: `j-${d.id}`, name: d.name, description: d.description,
    price: d.price, sale_price: d.salePrice, status: d.status, attributes: d.keywords ? JSON.stringify({ tags: d.keywords }) : null,
    like_count: d.likeCount, popularity_score: d.popularityScore, created_at: d.createdAt,
  })));
}

export async function indexFromSource(knex: Knex, backend: SearchBackend): Promise<void> {
  const source = new KnexProductSource(knex);
  await backend.upsert(await source.listAfter(0, 10_000));
}

export async function compareRelevance(legacyKnex: Knex, backend: SearchBackend): Promise<{ perQuery: QueryScore[]; legacyP: number; oursP: number; legacyR: number; oursR: number }> {
  const perQuery: QueryScore[] = [];
  for (const j of JUDGED) {
    const rel = new Set(j.relevant);
    const legacy = (await searchProductsByName(legacyKnex, j.q, { page: 1, size: K })).rows.map((r) => Number(r.id));
    const ours = (await backend.search({ q: j.q, filters: {}, sort: 'relevance', offset: 0, limit: K })).hits.map((h) => h.id);
    perQuery.push({ q: j.q, relevant: rel.size, legacyP: precisionAt(K, legacy, rel), legacyR: recallAt(K, legacy, rel), oursP: precisionAt(K, ours, rel), oursR: recallAt(K, ours, rel) });
  }
  const mean = (f: (s: QueryScore) => number) => perQuery.reduce((a, s) => a + f(s), 0) / perQuery.length;
  return { perQuery, legacyP: mean((s) => s.legacyP), oursP: mean((s) => s.oursP), legacyR: mean((s) => s.legacyR), oursR: mean((s) => s.oursR) };
}
