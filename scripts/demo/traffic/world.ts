/**
 * What the simulated clients know about the catalogue before they start:
 * read once through the public API (as an app's first screens would), then
 * shared read-only. Writers partition their targets so one client's write
 * never turns another client's expected 200 into a 404.
 */
import type { HttpClient } from './client.ts';

export interface World {
  /** Visible seeded products: shoppers browse, open and like these. */
  productIds: number[];
  shopIds: number[];
  categoryIds: number[];
  searchTerms: string[];
  /** Shop the admin's crawled uploads go to (the admin only updates and hides what it uploaded). */
  bulkShopId: number;
  /** Shops whose merchants sign in (one merchant client per shop). */
  merchantShopIds: number[];
  /** Unique per run: external ids of uploaded products. */
  runTag: string;
}

const WORD_RE = /[\p{L}\p{N}]{2,}/gu;

/** Search words from product names: the most frequent words, Korean and English alike. Pure. */
export function searchTermsFrom(names: readonly string[], max = 30): string[] {
  const freq = new Map<string, number>();
  for (const n of names) for (const w of n.match(WORD_RE) ?? []) freq.set(w, (freq.get(w) ?? 0) + 1);
  return [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, max).map(([w]) => w);
}

async function getJson<T>(http: HttpClient, path: string): Promise<T> {
  const r = await http.call('GET', path);
  if (r.status !== 200) throw new Error(`world: GET ${path} answered ${r.status}${r.error ? ` (${r.error})` : ''}`);
  return r.body as T;
}

export async function discoverWorld(http: HttpClient, opts: { runTag: string; merchants: number; pages?: number }): Promise<World> {
  const products: { id: number; name: string; categoryId: number | null; shop: { id: number } }[] = [];
  for (let p = 1; p <= (opts.pages ?? 3); p++) {
    const page = await getJson<{ items: typeof products; page: { hasNext: boolean } }>(http, `/api/products?size=100&page=${p}`);
    products.push(...page.items);
    if (!page.page.hasNext) break;
  }
  const shops = (await getJson<{ items: { id: number }[] }>(http, '/api/shops?size=100')).items.map((s) => s.id);
  if (products.length < 10 || shops.length < 2) throw new Error(`world: too little data to simulate clients (${products.length} products, ${shops.length} shops); seed more`);
  const categoryIds = [...new Set(products.map((p) => p.categoryId).filter((c): c is number => c !== null))];
  const bulkShopId = shops[0];
  const merchantShopIds = shops.slice(1, 1 + Math.max(1, opts.merchants));
  return {
    productIds: products.map((p) => p.id), shopIds: shops, categoryIds, searchTerms: searchTermsFrom(products.map((p) => p.name)),
    bulkShopId, merchantShopIds, runTag: opts.runTag,
  };
}
