/**
 * Where the indexer and the reindex job read products from. The target is the
 * product service's batch Thrift API (getMany, list by id range); the knex
 * implementation reads the product tables directly and exists for tests and
 * for the time before the product service answers.
 */
import type { Knex } from 'knex';
import type { SearchDocument } from './backends/types.ts';

export interface ProductSource {
  /** The products with these ids, in any order; missing ids are deleted products. Every status is returned. */
  getMany(ids: number[]): Promise<SearchDocument[]>;
  /** Up to `limit` products with id > afterId, ascending by id. */
  listAfter(afterId: number, limit: number): Promise<SearchDocument[]>;
}

/** Searchable words from a product's JSON attributes (string and number values, one level deep, arrays flattened). */
export function attributeKeywords(attributes: unknown): string | null {
  let obj: unknown = attributes;
  if (typeof obj === 'string') {
    try {
      obj = JSON.parse(obj);
    } catch {
      return null;
    }
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const words: string[] = [];
  for (const v of Object.values(obj as Record<string, unknown>)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      if (typeof x === 'string' || typeof x === 'number') words.push(String(x));
    }
  }
  const s = words.join(' ').slice(0, 1000);
  return s || null;
}

interface SourceRow {
  id: number | string;
  version: number | string;
  shop_id: number | string;
  shop_name: string | null;
  category_id: number | string | null;
  category_name: string | null;
  name: string;
  description: string | null;
  price: string;
  sale_price: string | null;
  discount_rate: string | null;
  currency: string;
  status: SearchDocument['status'];
  attributes: unknown;
  like_count: number | string;
  popularity_score: number | string;
  created_at: string;
  image_url: string | null;
}

export function sourceRowToDocument(r: SourceRow): SearchDocument {
  return {
    id: Number(r.id), version: Number(r.version), shopId: Number(r.shop_id), shopName: r.shop_name ?? '',
    categoryId: r.category_id === null ? null : Number(r.category_id), categoryName: r.category_name,
    name: r.name, description: r.description, price: r.price, salePrice: r.sale_price, discountRate: r.discount_rate ?? '0.00',
    currency: r.currency, status: r.status, imageUrl: r.image_url, likeCount: Number(r.like_count),
    popularityScore: Number(r.popularity_score), keywords: attributeKeywords(r.attributes), createdAt: r.created_at,
  };
}

/** Reads the legacy-shaped product tables (products, shops, categories, product_images) of one database. */
export class KnexProductSource implements ProductSource {
  readonly #knex: Knex;
  constructor(knex: Knex) {
    this.#knex = knex;
  }

  #base(): Knex.QueryBuilder {
    const k = this.#knex;
    return k('products as p')
      .leftJoin('shops as s', 's.id', 'p.shop_id')
      .leftJoin('categories as c', 'c.id', 'p.category_id')
      .select('p.id', 'p.version', 'p.shop_id', 's.name as shop_name', 'p.category_id', 'c.name as category_name', 'p.name',
        'p.description', 'p.price', 'p.sale_price', 'p.discount_rate', 'p.currency', 'p.status', 'p.attributes', 'p.like_count',
        'p.popularity_score', 'p.created_at')
      .select(k.raw('(SELECT i.url FROM product_images i WHERE i.product_id = p.id ORDER BY i.position, i.id LIMIT 1) AS image_url'));
  }

  async getMany(ids: number[]): Promise<SearchDocument[]> {
    if (ids.length === 0) return [];
    const rows = (await this.#base().whereIn('p.id', ids)) as SourceRow[];
    return rows.map(sourceRowToDocument);
  }

  async listAfter(afterId: number, limit: number): Promise<SearchDocument[]> {
    const rows = (await this.#base().where('p.id', '>', afterId).orderBy('p.id').limit(limit)) as SourceRow[];
    return rows.map(sourceRowToDocument);
  }
}
