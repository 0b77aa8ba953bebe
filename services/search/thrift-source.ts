/**
 * ProductSource over the product service's Thrift API (thrift/product.thrift):
 * getMany(ids, {withImages, withShop, includeHidden}) for events and for id
 * windows during a reindex, listCategories for category names. No table of
 * another service is read.
 *
 * The IDL has no "list by id after X" method yet, so listAfter scans id
 * windows with getMany up to the newest listed product's id (listProducts
 * sorted by newest, limit 1) and TRAILING_WINDOWS windows past it. A keyset
 * method (e.g. `listIdsAfter(afterId, limit)`, any status) would make this
 * exact and cheaper for sparse id spaces; see docs/search.md.
 */
import { sortImages } from '../../legacy/contract/product.ts';
import { attributeKeywords, type ProductSource } from './source.ts';
import type { SearchDocument } from './backends/types.ts';
import type { WireProduct } from '../kit/wire.ts';

export const MAX_GETMANY = 500;
const CATEGORY_TTL_MS = 5 * 60_000;
/** Empty id windows scanned past the newest listed product before the scan ends. */
export const TRAILING_WINDOWS = 3;

/** The part of the generated ProductService client this source uses. */
export interface ProductApi {
  getMany(ctx: object, ids: string[], view: object): Promise<WireProduct[]>;
  listProducts(ctx: object, query: object): Promise<{ items: WireProduct[] }>;
  listCategories(ctx: object): Promise<Array<{ id: number; name: string }>>;
}

/** ISO-8601 'YYYY-MM-DDTHH:MM:SS.ffffffZ' → the DATETIME(6) form documents store. */
export function isoToDb(v: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z?$/.exec(v);
  if (!m) throw new Error(`not an ISO timestamp: ${v}`);
  return `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(6, '0')}`;
}

export function wireToDocument(p: WireProduct, categories: Map<number, string>): SearchDocument {
  const image = p.images?.length ? sortImages(p.images.map((i) => ({ id: Number(i.id), url: i.url, position: i.position })))[0] : undefined;
  const categoryId = p.categoryId ?? null;
  return {
    id: Number(p.id), version: Number(p.version), shopId: Number(p.shopId), shopName: p.shop?.name ?? '',
    categoryId, categoryName: categoryId === null ? null : categories.get(categoryId) ?? null,
    name: p.name, description: p.description ?? null, price: p.price, salePrice: p.salePrice ?? null, discountRate: p.discountRate,
    currency: p.currency, status: p.status as SearchDocument['status'], imageUrl: image?.url ?? null, likeCount: Number(p.likeCount),
    popularityScore: Number(p.popularityScore), keywords: attributeKeywords(p.attributesJson ?? null), createdAt: isoToDb(p.createdAt),
  };
}

export class ThriftProductSource implements ProductSource {
  readonly #api: ProductApi;
  #categories: { at: number; map: Map<number, string> } | null = null;

  constructor(api: ProductApi) {
    this.#api = api;
  }

  async #categoryNames(): Promise<Map<number, string>> {
    if (this.#categories && Date.now() - this.#categories.at < CATEGORY_TTL_MS) return this.#categories.map;
    let map = new Map<number, string>();
    try {
      map = new Map((await this.#api.listCategories({})).map((c) => [Number(c.id), c.name]));
    } catch (err) {
      // a product service without listCategories: index without category names (searchable by name and the rest)
      if ((err as { code?: string })?.code !== 'NOT_IMPLEMENTED') throw err;
    }
    this.#categories = { at: Date.now(), map };
    return map;
  }

  async getMany(ids: number[]): Promise<SearchDocument[]> {
    if (ids.length === 0) return [];
    const cats = await this.#categoryNames();
    const out: SearchDocument[] = [];
    for (let i = 0; i < ids.length; i += MAX_GETMANY) {
      const items = await this.#api.getMany({}, ids.slice(i, i + MAX_GETMANY).map(String), { withImages: true, withShop: true, includeHidden: true });
      out.push(...items.map((p) => wireToDocument(p, cats)));
    }
    return out;
  }

  /** The newest listed product's id (the product API lists other statuses only per shop). */
  async #maxId(): Promise<number> {
    const page = await this.#api.listProducts({}, { sort: 'newest', page: { limit: 1, offset: 0 } });
    return page.items.length ? Number(page.items[0].id) : 0;
  }

  async listAfter(afterId: number, limit: number): Promise<SearchDocument[]> {
    const max = await this.#maxId();
    const window = Math.min(limit, MAX_GETMANY);
    // past the newest listed id, keep scanning a few windows for newer hidden or sold-out products
    let emptyPastMax = 0;
    for (let from = afterId + 1; from <= max || emptyPastMax < TRAILING_WINDOWS; from += window) {
      const docs = await this.getMany(Array.from({ length: window }, (_, k) => from + k));
      if (docs.length) return docs.sort((a, b) => a.id - b.id);
      if (from + window > max) emptyPastMax++;
    }
    return [];
  }
}
