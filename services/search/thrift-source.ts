/**
 * ProductSource over the product service's Thrift API (thrift/product.thrift):
 * getMany(ids, {withImages, withShop, includeHidden}) for events and for the
 * pages of a reindex, listIdsAfter(afterId, limit) (every product id, any
 * status, ascending) to page through the catalogue, listCategories for
 * category names. No table of another service is read.
 */
import { sortImages } from '../../lib/contract/product.ts';
import { attributeKeywords, type ProductSource } from './source.ts';
import type { SearchDocument } from './backends/types.ts';
import type { WireProduct } from '../../rpc/wire.ts';

export const MAX_GETMANY = 500;
/** listIdsAfter's largest page (thrift/product.thrift: limit 1..5000). */
export const MAX_LIST_IDS = 5000;
const CATEGORY_TTL_MS = 5 * 60_000;

/** The part of the generated ProductService client this source uses. */
export interface ProductApi {
  getMany(ctx: object, ids: string[], view: object): Promise<WireProduct[]>;
  listIdsAfter(ctx: object, afterId: string, limit: number): Promise<{ ids: string[]; nextAfterId?: string | null }>;
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

  /**
   * The next products after `afterId` in id order: one page of ids (any status), then their documents. A product
   * deleted between the two calls is simply absent; when a whole page was deleted the next page is read, so an
   * empty answer always means the end of the catalogue (the reindex stops on it). The caller's checkpoint (the last
   * returned id) keeps a reindex resumable.
   */
  async listAfter(afterId: number, limit: number): Promise<SearchDocument[]> {
    const size = Math.max(1, Math.min(limit, MAX_LIST_IDS));
    for (let after = afterId; ;) {
      const page = await this.#api.listIdsAfter({}, String(after), size);
      if (page.ids.length === 0) return [];
      const docs = await this.getMany(page.ids.map(Number));
      if (docs.length) return docs.sort((a, b) => a.id - b.id);
      if (page.nextAfterId === undefined || page.nextAfterId === null) return [];
      after = Number(page.ids[page.ids.length - 1]);
    }
  }
}
