/**
 * MySQL/MariaDB FULLTEXT backend: the search service's own `documents` table
 * (migrations/search) with generated tokens in FULLTEXT-indexed columns,
 * queried in BOOLEAN MODE. See services/search/tokens.ts for the token design.
 */
import type { Knex } from 'knex';
import { booleanFilter, parseQuery, rankExpression } from '../logic.ts';
import { tokenString } from '../tokens.ts';
import {
  BackendUnavailableError, DEFAULT_STATUSES, effectivePrice,
  type RebuildTarget, type SearchBackend, type SearchDocument, type SearchRequest, type SearchResult, type WriteOutcome,
} from './types.ts';

/** How much a match in the product name weighs against a match anywhere (shop, category, keywords, description). */
export const NAME_WEIGHT = 3;
/** Description text indexed and stored per document (the list view never shows it; long rows cost I/O per match). */
export const DESCRIPTION_CHARS = 500;

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR', 'ER_BAD_DB_ERROR', 'ER_NO_SUCH_TABLE', 'ER_SERVER_SHUTDOWN', 'ER_ACCESS_DENIED_ERROR']);

function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string };
  return CONNECTION_CODES.has(e?.code ?? '') || e?.name === 'KnexTimeoutError';
}

interface DocumentRow {
  product_id: number | string;
  version: number;
  shop_id: number | string;
  shop_name: string;
  category_id: number | null;
  category_name: string | null;
  name: string;
  description: string | null;
  keywords: string | null;
  price: string;
  sale_price: string | null;
  discount_rate: string;
  currency: string;
  status: SearchDocument['status'];
  image_url: string | null;
  like_count: number | string;
  popularity_score: number;
  created_at: string;
}

const SELECT_COLS = ['product_id', 'version', 'shop_id', 'shop_name', 'category_id', 'category_name', 'name', 'description', 'keywords',
  'price', 'sale_price', 'discount_rate', 'currency', 'status', 'image_url', 'like_count', 'popularity_score', 'created_at'];

const CONTENT_COLS = ['shop_id', 'shop_name', 'category_id', 'category_name', 'name', 'description', 'keywords', 'price', 'sale_price',
  'effective_price', 'discount_rate', 'currency', 'status', 'image_url', 'like_count', 'popularity_score', 'created_at',
  'name_tokens', 'tokens', 'indexed_at'];

export function rowToDocument(r: DocumentRow): SearchDocument {
  return {
    id: Number(r.product_id), version: Number(r.version), shopId: Number(r.shop_id), shopName: r.shop_name,
    categoryId: r.category_id === null ? null : Number(r.category_id), categoryName: r.category_name,
    name: r.name, description: r.description, keywords: r.keywords, price: r.price, salePrice: r.sale_price,
    discountRate: r.discount_rate, currency: r.currency, status: r.status, imageUrl: r.image_url,
    likeCount: Number(r.like_count), popularityScore: Number(r.popularity_score), createdAt: r.created_at,
  };
}

export function documentToRow(d: SearchDocument, runId: string | null): Record<string, unknown> {
  return {
    product_id: d.id, version: d.version, deleted: 0, shop_id: d.shopId, shop_name: d.shopName, category_id: d.categoryId,
    category_name: d.categoryName, name: d.name, description: d.description, keywords: d.keywords, price: d.price,
    sale_price: d.salePrice, effective_price: effectivePrice(d), discount_rate: d.discountRate, currency: d.currency,
    status: d.status, image_url: d.imageUrl, like_count: d.likeCount, popularity_score: d.popularityScore,
    created_at: d.createdAt.replace('T', ' ').replace('Z', ''),
    name_tokens: tokenString(d.name),
    // each token once: the FULLTEXT index stays small and a long description cannot outweigh the name by repetition
    tokens: [...new Set(tokenString(d.name, d.shopName, d.categoryName, d.keywords, d.description?.slice(0, DESCRIPTION_CHARS)).split(' '))].join(' '),
    indexed_at: new Date().toISOString().replace('T', ' ').replace('Z', ''),
    reindex_run: runId,
  };
}

export class MysqlFulltextBackend implements SearchBackend {
  readonly kind = 'mysql' as const;
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  async init(): Promise<void> {
    await this.ping();
  }

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUnavailable(err)) throw new BackendUnavailableError(`search database unavailable during ${what}`, { cause: err });
      throw err;
    }
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    const terms = parseQuery(req.q);
    if (terms.length === 0) return { total: 0, hits: [] };
    const filter = booleanFilter(terms);
    const rank = rankExpression(terms);
    const statuses = req.filters.statuses?.length ? req.filters.statuses : [...DEFAULT_STATUSES];
    const where = (qb: Knex.QueryBuilder) => {
      qb.whereRaw('MATCH(tokens) AGAINST(? IN BOOLEAN MODE)', [filter]).andWhere('deleted', 0).whereIn('status', statuses);
      if (req.filters.categoryId !== undefined) qb.andWhere('category_id', req.filters.categoryId);
      if (req.filters.shopId !== undefined) qb.andWhere('shop_id', req.filters.shopId);
      if (req.filters.minPrice !== undefined) qb.andWhere('effective_price', '>=', req.filters.minPrice);
      if (req.filters.maxPrice !== undefined) qb.andWhere('effective_price', '<=', req.filters.maxPrice);
    };
    return this.#guard('search', async () => {
      const k = this.#knex;
      const scoreSql = `(MATCH(name_tokens) AGAINST(? IN BOOLEAN MODE) * ${NAME_WEIGHT} + MATCH(tokens) AGAINST(? IN BOOLEAN MODE))`;
      const q = k('documents').select(SELECT_COLS).select(k.raw(`${scoreSql} AS score`, [rank, rank])).where(where);
      switch (req.sort) {
        case 'relevance': q.orderBy([{ column: 'score', order: 'desc' }, { column: 'popularity_score', order: 'desc' }]); break;
        case 'popularity': q.orderBy([{ column: 'popularity_score', order: 'desc' }, { column: 'like_count', order: 'desc' }]); break;
        case 'newest': q.orderBy('created_at', 'desc'); break;
        case 'price_asc': q.orderBy('effective_price', 'asc'); break;
        case 'price_desc': q.orderBy('effective_price', 'desc'); break;
      }
      q.orderBy('product_id', 'desc').limit(req.limit).offset(req.offset);
      // the total comes with the page (one full-text pass instead of two); only a page past the end needs a count
      q.select(k.raw('COUNT(*) OVER () AS total_hits'));
      const rows = (await q) as unknown as Array<DocumentRow & { score: number; total_hits: number | string }>;
      let total = rows.length ? Number(rows[0].total_hits) : 0;
      if (rows.length === 0 && (req.offset > 0 || req.limit === 0)) {
        const c = (await k('documents').count({ n: '*' }).where(where)) as unknown as Array<{ n: number | string }>;
        total = Number(c[0]?.n ?? 0);
      }
      return { total, hits: rows.map((r) => ({ id: Number(r.product_id), score: Number(r.score), doc: rowToDocument(r) })) };
    });
  }

  async #write(docs: SearchDocument[], runId: string | null, force: boolean): Promise<WriteOutcome> {
    if (docs.length === 0) return { applied: 0, stale: 0 };
    return this.#guard('upsert', async () => {
      const ids = docs.map((d) => d.id);
      const existing = new Map<number, { version: number; deleted: number }>();
      for (const r of await this.#knex('documents').select('product_id', 'version', 'deleted').whereIn('product_id', ids)) {
        existing.set(Number(r.product_id), { version: Number(r.version), deleted: Number(r.deleted) });
      }
      const staleIds: number[] = [];
      for (const d of docs) {
        const e = existing.get(d.id);
        if (!force && e && (d.version < e.version || (e.deleted && d.version === e.version))) staleIds.push(d.id);
      }
      const stale = staleIds.length;
      // The guard that matters is in SQL (a concurrent writer may have moved on since the read above).
      const newer = force ? '1' : '(VALUES(version) > version OR (deleted = 0 AND VALUES(version) = version))';
      const sets = CONTENT_COLS.map((c) => `${c} = IF(${newer}, VALUES(${c}), ${c})`);
      sets.push(`deleted = IF(${newer}, 0, deleted)`);
      sets.push('reindex_run = COALESCE(VALUES(reindex_run), reindex_run)');
      sets.push('version = GREATEST(version, VALUES(version))'); // last: the IFs above read the old version
      const insert = this.#knex('documents').insert(docs.map((d) => documentToRow(d, runId))).toSQL().toNative();
      await this.#knex.raw(`${insert.sql} ON DUPLICATE KEY UPDATE ${sets.join(', ')}`, insert.bindings as readonly Knex.RawBinding[]);
      return { applied: docs.length - stale, stale, staleIds };
    });
  }

  upsert(docs: SearchDocument[], opts: { force?: boolean } = {}): Promise<WriteOutcome> {
    return this.#write(docs, null, opts.force ?? false);
  }

  async remove(id: number, version: number, opts: { force?: boolean } = {}): Promise<WriteOutcome> {
    if (opts.force) {
      const stored = await this.#guard('remove', () => this.storedVersion(id));
      version = Math.max(stored?.version ?? 0, version);
    }
    return this.#guard('remove', async () => {
      // Tombstone (or create one) unless the index holds a newer version.
      const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
      await this.#knex.raw(
        `INSERT INTO documents (product_id, version, deleted, shop_id, name, price, effective_price, status, created_at, name_tokens, tokens, indexed_at)
         VALUES (?, ?, 1, 0, '', 0, 0, 'hidden', ?, '', '', ?)
         ON DUPLICATE KEY UPDATE
           deleted = IF(VALUES(version) >= version, 1, deleted),
           name_tokens = IF(VALUES(version) >= version, '', name_tokens),
           tokens = IF(VALUES(version) >= version, '', tokens),
           indexed_at = IF(VALUES(version) >= version, VALUES(indexed_at), indexed_at),
           version = GREATEST(version, VALUES(version))`,
        [id, version, now, now]);
      const row = await this.#knex('documents').first('version', 'deleted').where('product_id', id);
      const applied = row && Number(row.deleted) === 1 && Number(row.version) === version ? 1 : 0;
      return { applied, stale: 1 - applied };
    });
  }

  async removeByShop(shopId: number): Promise<number[]> {
    return this.#guard('removeByShop', () => this.#knex.transaction(async (trx) => {
      const rows = await trx('documents').select('product_id').where({ shop_id: shopId, deleted: 0 }).forUpdate();
      const ids = rows.map((r) => Number(r.product_id));
      // Content stays: a compensating upsert (force) or a newer version brings the documents back.
      if (ids.length) await trx('documents').whereIn('product_id', ids).update({ deleted: 1 });
      return ids;
    }));
  }

  async get(id: number): Promise<SearchDocument | null> {
    return this.#guard('get', async () => {
      const r = await this.#knex('documents').first(SELECT_COLS).where({ product_id: id, deleted: 0 });
      return r ? rowToDocument(r as DocumentRow) : null;
    });
  }

  /** The stored version (live or tombstone), for idempotency checks. */
  async storedVersion(id: number): Promise<{ version: number; deleted: boolean } | null> {
    const r = await this.#knex('documents').first('version', 'deleted').where('product_id', id);
    return r ? { version: Number(r.version), deleted: Number(r.deleted) === 1 } : null;
  }

  async count(): Promise<number> {
    return this.#guard('count', async () => {
      const r = await this.#knex('documents').count({ n: '*' }).where('deleted', 0);
      return Number(r[0]?.n ?? 0);
    });
  }

  async beginRebuild(runId: string): Promise<RebuildTarget> {
    // In place: live events keep writing the same table, the version guard orders them with the rebuild.
    return { runId, target: 'live' };
  }

  async loadRebuild(target: RebuildTarget, docs: SearchDocument[]): Promise<void> {
    await this.#write(docs, target.runId, false);
  }

  async finishRebuild(target: RebuildTarget, startedAt: Date): Promise<void> {
    // Whatever the run did not see and no live event touched since it started is gone from the source.
    const since = startedAt.toISOString().replace('T', ' ').replace('Z', '');
    await this.#guard('finishRebuild', () => this.#knex('documents')
      .where('deleted', 0)
      .andWhere((qb) => qb.whereNull('reindex_run').orWhereNot('reindex_run', target.runId))
      .andWhere('indexed_at', '<', since)
      .update({ deleted: 1, name_tokens: '', tokens: '' }));
  }

  async ping(): Promise<void> {
    await this.#guard('ping', async () => {
      await this.#knex.raw('SELECT 1 FROM documents LIMIT 1');
    });
  }

  async close(): Promise<void> {
    // The knex handle belongs to the caller.
  }
}
