/**
 * Elasticsearch backend (@elastic/elasticsearch), selected by ELASTICSEARCH_URL.
 *
 * - Reads go to the alias `<alias>`; physical indices are `<alias>-<run>`.
 * - Zero-downtime reindex: a new physical index is created and also gets the
 *   alias `<alias>-building`; live writes go to both aliases while it builds;
 *   finishRebuild swaps `<alias>` atomically (one _aliases call) and drops the
 *   old index.
 * - Idempotency by product version with external versioning (external_gte):
 *   a document of version v is written with ES version 2v, its tombstone with
 *   2v+1 — so an older document never overwrites a newer one, and a removal
 *   beats the same version's document (the MySQL backend's rule exactly).
 * - Bulk writes retry items that failed with 429/5xx (backoff); version
 *   conflicts count as stale; any other item error fails the call.
 */
import { Client } from '@elastic/elasticsearch';
import type { Logger } from '../../../lib/logger.ts';
import { parseQuery } from '../logic.ts';
import { INDEX_MAPPINGS, indexSettings, textQuery, type KoreanAnalysis } from './es-mapping.ts';
import {
  BackendUnavailableError, DEFAULT_STATUSES, effectivePrice,
  type RebuildTarget, type SearchBackend, type SearchDocument, type SearchRequest, type SearchResult, type WriteOutcome,
} from './types.ts';

export const DEFAULT_BULK_RETRIES = 4;
export const DEFAULT_BULK_BACKOFF_MS = 200;
const RETRYABLE_ITEM = new Set([429, 500, 502, 503, 504]);
const BUILDING_SUFFIX = '-building';
export const BUILDING_CHECK_MS = 1000;

export interface EsBackendOptions {
  client: Client;
  /** Read/write alias, e.g. `products`. */
  alias: string;
  logger: Logger;
  bulkRetries?: number;
  bulkBackoffMs?: number;
  /** Refresh after writes (tests); production relies on refresh_interval. */
  refresh?: boolean;
  /** How long writers cache whether a rebuild index exists (default BUILDING_CHECK_MS). */
  buildingCheckMs?: number;
}

export function esVersion(version: number, tombstone: boolean): number {
  return version * 2 + (tombstone ? 1 : 0);
}

export function toSource(d: SearchDocument, deleted = false): Record<string, unknown> {
  return { ...d, deleted, effectivePrice: Number(effectivePrice(d)) };
}

export function fromSource(s: Record<string, unknown>): SearchDocument {
  const { deleted: _d, effectivePrice: _e, ...doc } = s;
  return doc as unknown as SearchDocument;
}

/** By name, not instanceof: the client ships ESM and CJS builds whose error classes differ. */
function isUnavailable(err: unknown): boolean {
  const e = err as { name?: string; statusCode?: number };
  if (['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError', 'RequestAbortedError'].includes(e?.name ?? '')) return true;
  return e?.name === 'ResponseError' && [502, 503, 504].includes(e.statusCode ?? 0);
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; statusCode?: number };
  return e?.name === 'ResponseError' && e.statusCode === 404;
}

/** The sort clause of a request; every sort ends with id descending, as in the MySQL backend. */
export function sortClause(sort: SearchRequest['sort']): Array<Record<string, 'asc' | 'desc'>> {
  switch (sort) {
    case 'relevance': return [{ _score: 'desc' }, { popularityScore: 'desc' }, { id: 'desc' }];
    case 'popularity': return [{ popularityScore: 'desc' }, { likeCount: 'desc' }, { id: 'desc' }];
    case 'newest': return [{ createdAt: 'desc' }, { id: 'desc' }];
    case 'price_asc': return [{ effectivePrice: 'asc' }, { id: 'desc' }];
    case 'price_desc': return [{ effectivePrice: 'desc' }, { id: 'desc' }];
  }
}

/** The whole search request body (pure; tested against the mock). */
export function searchBody(req: SearchRequest) {
  const filter: unknown[] = [{ term: { deleted: false } }, { terms: { status: req.filters.statuses?.length ? req.filters.statuses : DEFAULT_STATUSES } }];
  if (req.filters.categoryId !== undefined) filter.push({ term: { categoryId: req.filters.categoryId } });
  if (req.filters.shopId !== undefined) filter.push({ term: { shopId: req.filters.shopId } });
  if (req.filters.minPrice !== undefined || req.filters.maxPrice !== undefined) {
    const range: Record<string, number> = {};
    if (req.filters.minPrice !== undefined) range.gte = Number(req.filters.minPrice);
    if (req.filters.maxPrice !== undefined) range.lte = Number(req.filters.maxPrice);
    filter.push({ range: { effectivePrice: range } });
  }
  return {
    query: { bool: { must: [textQuery(req.q)], filter } },
    sort: sortClause(req.sort),
    from: req.offset,
    size: req.limit,
    track_total_hits: true,
  };
}

interface BulkOp { id: number; index: string; version: number; source: Record<string, unknown> }

export class ElasticsearchBackend implements SearchBackend {
  readonly kind = 'elasticsearch' as const;
  readonly #o: Required<EsBackendOptions>;
  #analysis: KoreanAnalysis | null = null;

  constructor(opts: EsBackendOptions) {
    this.#o = { bulkRetries: DEFAULT_BULK_RETRIES, bulkBackoffMs: DEFAULT_BULK_BACKOFF_MS, refresh: false, buildingCheckMs: BUILDING_CHECK_MS, ...opts };
  }

  get client(): Client {
    return this.#o.client;
  }

  get analysis(): KoreanAnalysis | null {
    return this.#analysis;
  }

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUnavailable(err)) throw new BackendUnavailableError(`Elasticsearch unavailable during ${what}`, { cause: err });
      throw err;
    }
  }

  /** nori when every node has the analysis-nori plugin, else the cjk_bigram fallback. */
  async detectAnalysis(): Promise<KoreanAnalysis> {
    if (this.#analysis) return this.#analysis;
    const info = await this.#guard('plugin check', () => this.#o.client.nodes.info({ metric: 'plugins' }));
    const nodes = Object.values(info.nodes ?? {});
    const nori = nodes.length > 0 && nodes.every((n) => (n.plugins ?? []).some((p) => p.name === 'analysis-nori'));
    this.#analysis = nori ? 'nori' : 'cjk_bigram';
    this.#o.logger.info({ analysis: this.#analysis }, 'Korean analysis for new indices');
    return this.#analysis;
  }

  async #createIndex(name: string, aliases: Record<string, object>): Promise<void> {
    const analysis = await this.detectAnalysis();
    await this.#o.client.indices.create({ index: name, settings: indexSettings(analysis), mappings: INDEX_MAPPINGS, aliases } as never);
  }

  async init(): Promise<void> {
    await this.#guard('init', async () => {
      if (await this.#o.client.indices.existsAlias({ name: this.#o.alias })) return;
      await this.#createIndex(`${this.#o.alias}-initial`, { [this.#o.alias]: {} });
    });
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    if (parseQuery(req.q).length === 0) return { total: 0, hits: [] };
    return this.#guard('search', async () => {
      const r = await this.#o.client.search<Record<string, unknown>>({ index: this.#o.alias, ...searchBody(req) } as never);
      const total = typeof r.hits.total === 'number' ? r.hits.total : r.hits.total?.value ?? 0;
      return { total, hits: r.hits.hits.map((h) => ({ id: Number(h._id), score: h._score ?? 0, doc: fromSource(h._source ?? {}) })) };
    });
  }

  #building: { at: number; exists: boolean } | null = null;

  /**
   * Indices live writes go to: the alias, and the index being rebuilt if any.
   * The check is cached for `buildingCheckMs`; beginRebuild waits that long
   * before the first batch is read, so every writer dual-writes by then and a
   * product the rebuild reads later is either read after a change or gets the
   * change written into the new index too.
   */
  async #writeIndices(): Promise<string[]> {
    const building = `${this.#o.alias}${BUILDING_SUFFIX}`;
    if (!this.#building || Date.now() - this.#building.at > this.#o.buildingCheckMs) {
      this.#building = { at: Date.now(), exists: await this.#o.client.indices.existsAlias({ name: building }) };
    }
    return this.#building.exists ? [this.#o.alias, building] : [this.#o.alias];
  }

  /** Bulk index with external_gte versions; retries retryable item failures; returns applied/stale. */
  async #bulk(ops: BulkOp[]): Promise<WriteOutcome> {
    let pending = ops;
    let applied = 0;
    let stale = 0;
    const staleIds: number[] = [];
    for (let attempt = 0; pending.length; attempt++) {
      const operations = pending.flatMap((op) => [
        { index: { _index: op.index, _id: String(op.id), version: op.version, version_type: 'external_gte' } },
        op.source,
      ]);
      const r = await this.#o.client.bulk({ operations, refresh: this.#o.refresh } as never);
      const retry: BulkOp[] = [];
      r.items.forEach((item, i) => {
        const res = item.index ?? Object.values(item)[0];
        const status = res?.status ?? 500;
        if (status < 300) applied++;
        else if (status === 409) {
          stale++;
          staleIds.push(pending[i].id);
        }
        else if (RETRYABLE_ITEM.has(status)) retry.push(pending[i]);
        else throw new Error(`bulk item ${pending[i].id} failed: ${status} ${JSON.stringify(res?.error ?? {})}`);
      });
      if (retry.length && attempt >= this.#o.bulkRetries) {
        throw new BackendUnavailableError(`bulk: ${retry.length} item(s) still failing after ${attempt + 1} attempts`);
      }
      pending = retry;
      if (pending.length) await new Promise((res) => setTimeout(res, this.#o.bulkBackoffMs * 2 ** attempt));
    }
    return { applied, stale, staleIds };
  }

  /** Writes each op to every write index; the outcome counts the alias (first index) only. */
  async #write(docs: Array<{ doc: SearchDocument; version: number; deleted: boolean }>, indices?: string[]): Promise<WriteOutcome> {
    if (docs.length === 0) return { applied: 0, stale: 0 };
    return this.#guard('write', async () => {
      const targets = indices ?? (await this.#writeIndices());
      const [primary, ...rest] = targets;
      const out = await this.#bulk(docs.map((d) => ({ id: d.doc.id, index: primary, version: d.version, source: toSource(d.doc, d.deleted) })));
      for (const idx of rest) await this.#bulk(docs.map((d) => ({ id: d.doc.id, index: idx, version: d.version, source: toSource(d.doc, d.deleted) })));
      return out;
    });
  }

  async #storedVersions(ids: number[]): Promise<Map<number, { version: number; source: Record<string, unknown> }>> {
    const r = await this.#o.client.mget<Record<string, unknown>>({ index: this.#o.alias, ids: ids.map(String) });
    const out = new Map<number, { version: number; source: Record<string, unknown> }>();
    for (const d of r.docs) {
      if ('found' in d && d.found) out.set(Number(d._id), { version: Number(d._version), source: d._source ?? {} });
    }
    return out;
  }

  async upsert(docs: SearchDocument[], opts: { force?: boolean } = {}): Promise<WriteOutcome> {
    if (!opts.force) return this.#write(docs.map((doc) => ({ doc, version: esVersion(doc.version, false), deleted: false })));
    // force: step over whatever is stored (next even ES version), keep the product version at least as high
    const stored = await this.#guard('upsert', () => this.#storedVersions(docs.map((d) => d.id)));
    return this.#write(docs.map((doc) => {
      const s = stored.get(doc.id)?.version ?? 0;
      const v = Math.max(esVersion(doc.version, false), s % 2 ? s + 1 : s);
      return { doc: { ...doc, version: v / 2 }, version: v, deleted: false };
    }));
  }

  async remove(id: number, version: number, opts: { force?: boolean } = {}): Promise<WriteOutcome> {
    const stored = await this.#guard('remove', () => this.#storedVersions([id]));
    const cur = stored.get(id);
    const v = opts.force ? Math.max(esVersion(version, true), cur ? (cur.version % 2 ? cur.version : cur.version + 1) : 1) : esVersion(version, true);
    const base = cur ? fromSource(cur.source) : ({ id, version } as SearchDocument);
    return this.#write([{ doc: { ...base, id, version: Math.floor(v / 2) }, version: v, deleted: true }]);
  }

  async removeByShop(shopId: number): Promise<number[]> {
    return this.#guard('removeByShop', async () => {
      const ids: number[] = [];
      let after: unknown[] | undefined;
      for (;;) {
        const r = await this.#o.client.search<Record<string, unknown>>({
          index: this.#o.alias, size: 1000, version: true, sort: [{ id: 'asc' }], ...(after ? { search_after: after } : {}),
          query: { bool: { filter: [{ term: { shopId } }, { term: { deleted: false } }] } },
        } as never);
        const hits = r.hits.hits;
        if (hits.length === 0) break;
        // tombstone at the same product version (odd ES version): content stays, a newer version or a forced upsert restores it
        await this.#write(hits.map((h) => {
          const v = Number(h._version);
          return { doc: fromSource(h._source ?? {}), version: v % 2 ? v : v + 1, deleted: true };
        }));
        ids.push(...hits.map((h) => Number(h._id)));
        after = hits[hits.length - 1].sort as unknown[];
      }
      return ids;
    });
  }

  async get(id: number): Promise<SearchDocument | null> {
    const stored = await this.#guard('get', () => this.#storedVersions([id]));
    const s = stored.get(id);
    return s && !s.source.deleted ? fromSource(s.source) : null;
  }

  async count(): Promise<number> {
    return this.#guard('count', async () => (await this.#o.client.count({ index: this.#o.alias, query: { term: { deleted: false } } })).count);
  }

  async beginRebuild(runId: string): Promise<RebuildTarget> {
    const index = `${this.#o.alias}-${runId.toLowerCase()}`;
    await this.#guard('beginRebuild', () => this.#createIndex(index, { [`${this.#o.alias}${BUILDING_SUFFIX}`]: {} }));
    this.#building = null;
    // let every writer's cached "no rebuild running" expire before the first batch is read
    if (this.#o.buildingCheckMs > 0) await new Promise((r) => setTimeout(r, this.#o.buildingCheckMs + 50));
    return { runId, target: index };
  }

  async loadRebuild(target: RebuildTarget, docs: SearchDocument[]): Promise<void> {
    await this.#write(docs.map((doc) => ({ doc, version: esVersion(doc.version, false), deleted: false })), [target.target]);
  }

  async finishRebuild(target: RebuildTarget): Promise<void> {
    await this.#guard('finishRebuild', async () => {
      const c = this.#o.client;
      await c.indices.refresh({ index: target.target });
      const current = Object.keys(await c.indices.getAlias({ name: this.#o.alias }).catch((e) => {
        if (isNotFound(e)) return {};
        throw e;
      }));
      const old = current.filter((i) => i !== target.target);
      await c.indices.updateAliases({
        actions: [
          ...old.map((index) => ({ remove: { index, alias: this.#o.alias } })),
          { add: { index: target.target, alias: this.#o.alias } },
          { remove: { index: target.target, alias: `${this.#o.alias}${BUILDING_SUFFIX}` } },
        ],
      });
      for (const index of old) await c.indices.delete({ index });
      this.#building = null;
    });
  }

  async ping(): Promise<void> {
    await this.#guard('ping', async () => {
      await this.#o.client.ping();
    });
  }

  async close(): Promise<void> {
    await this.#o.client.close();
  }
}

export function createEsClient(node: string): Client {
  return new Client({ node, requestTimeout: 5000, maxRetries: 2 });
}
