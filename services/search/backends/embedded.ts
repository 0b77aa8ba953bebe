/**
 * The embedded search backend (the default): an in-memory inverted index over
 * the FULLTEXT backend's Hangul-bigram / Latin-word tokens, ranked by BM25
 * (backends/embedded/inverted-index.ts), backed by one SQLite file through
 * Node's built-in `node:sqlite` (backends/embedded/doc-store.ts). Writes go to
 * SQLite first (one transaction per call), then to the in-memory index, in
 * the same synchronous step, so a write is searchable when the call returns
 * and survives a restart; `init()` loads the index back from the file.
 *
 * Same version rules as the FULLTEXT backend: an older version never
 * overwrites a newer document, a removal leaves a tombstone, a removal beats
 * the same version's document, `force` writes regardless.
 *
 * One process owns an index directory (the file is locked); run one search
 * service per directory. docs/search.md has the measurements behind the choice.
 */
import { join } from 'node:path';
import { parseQuery } from '../logic.ts';
import { DocStore, IndexLockedError } from './embedded/doc-store.ts';
import { documentIndexTokens, InvertedIndex, parseTokens, serializeTokens, type DocTokens } from './embedded/inverted-index.ts';
import { readSnapshot, writeSnapshot } from './embedded/snapshot-file.ts';
import {
  BackendUnavailableError,
  type RebuildTarget, type SearchBackend, type SearchDocument, type SearchRequest, type SearchResult, type WriteOutcome,
} from './types.ts';

export const INDEX_FILE = 'search-index.sqlite';
export const SNAPSHOT_FILE = 'search-index.snapshot';
/** A start that replays more changes than this from SQLite writes a fresh snapshot. */
export const SNAPSHOT_AFTER_REPLAYED = 50_000;
/** Compact the in-memory lists when dead ordinals exceed this share of all ordinals. */
export const COMPACT_DEAD_SHARE = 0.3;

export interface EmbeddedBackendOptions {
  /** Directory holding the index file (created when missing); ':memory:' keeps nothing (tests). */
  dir: string;
  /** Start-up load progress (documents loaded so far). */
  onLoad?: (loaded: number) => void;
}

export class EmbeddedBackend implements SearchBackend {
  readonly kind = 'embedded' as const;
  readonly path: string;
  readonly snapshotPath: string | null;
  readonly #onLoad?: (loaded: number) => void;
  #store: DocStore | null = null;
  #index = new InvertedIndex();
  /** How the last start went: milliseconds, from a snapshot or the whole file, changes replayed, a snapshot refused. */
  lastLoad: { ms: number; from: 'snapshot' | 'file'; replayed: number; snapshotError?: string } = { ms: 0, from: 'file', replayed: 0 };
  #snapshotting: Promise<unknown> = Promise.resolve();

  constructor(opts: EmbeddedBackendOptions) {
    this.path = opts.dir === ':memory:' ? ':memory:' : join(opts.dir, INDEX_FILE);
    this.snapshotPath = opts.dir === ':memory:' ? null : join(opts.dir, SNAPSHOT_FILE);
    this.#onLoad = opts.onLoad;
  }

  /**
   * Opens (and locks) the file and loads the index: from the snapshot plus the changes written after it, or, without
   * a usable snapshot, from every live document in the file.
   */
  async init(): Promise<void> {
    if (this.#store) return;
    const t0 = performance.now();
    const store = new DocStore(this.path);
    try {
      let index: InvertedIndex | null = null;
      let snapshotError: string | undefined;
      let replayed = 0;
      let snapSeq = 0;
      try {
        const snap = this.snapshotPath ? readSnapshot(this.snapshotPath) : null;
        if (snap && snap.meta.indexId !== store.indexId) snapshotError = 'snapshot of another index file';
        else if (snap && snap.meta.seq > store.seq) snapshotError = `snapshot ahead of the file (seq ${snap.meta.seq} > ${store.seq})`;
        else if (snap) {
          index = snap.index;
          snapSeq = snap.meta.seq;
        }
      } catch (err) {
        snapshotError = (err as Error).message;
      }
      if (index) {
        for (const batch of store.changesSince(snapSeq)) {
          for (const c of batch) {
            if (c.deleted || !c.doc) index.delete(c.id);
            else index.put(c.doc, c.tokens === null ? undefined : parseTokens(c.tokens));
          }
          replayed += batch.length;
          await new Promise((r) => setImmediate(r));
        }
      } else {
        index = new InvertedIndex();
        let loaded = 0;
        for (const batch of store.live()) {
          for (const r of batch) index.put(r.doc, parseTokens(r.tokens));
          loaded += batch.length;
          this.#onLoad?.(loaded);
          await new Promise((r) => setImmediate(r)); // let the process breathe while a large index loads
        }
      }
      index.refreshImpacts(); // once here rather than on the first query
      this.#store = store;
      this.#index = index;
      const from = index && snapSeq > 0 && !snapshotError ? 'snapshot' : 'file';
      this.lastLoad = { ms: performance.now() - t0, from, replayed, ...(snapshotError ? { snapshotError } : {}) };
      // the next start should not pay for this one: a full load or a long replay leaves a fresh snapshot
      if (from === 'file' ? index.size > 0 : replayed > SNAPSHOT_AFTER_REPLAYED) await this.snapshot();
    } catch (err) {
      store.close();
      throw err;
    }
  }

  /**
   * Writes a snapshot of the in-memory index (copied synchronously, so it matches the change sequence read in the same
   * step; written asynchronously). One at a time; returns its size in bytes (0 without a snapshot path).
   */
  snapshot(): Promise<number> {
    const store = this.#open('snapshot');
    const path = this.snapshotPath;
    if (!path) return Promise.resolve(0);
    const run = this.#snapshotting.then(() => writeSnapshot(path, { indexId: store.indexId, seq: store.seq }, this.#index.exportState()));
    this.#snapshotting = run.catch(() => {});
    return run;
  }

  #open(what: string): DocStore {
    if (!this.#store) throw new BackendUnavailableError(`search index not open during ${what}`);
    return this.#store;
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    const store = this.#open('search');
    const terms = parseQuery(req.q);
    if (terms.length === 0) return { total: 0, hits: [] };
    const r = this.#index.search({ terms, filters: req.filters, sort: req.sort, offset: req.offset, limit: req.limit });
    const docs = store.getMany(r.hits.map((h) => h.id));
    return { total: r.total, hits: r.hits.filter((h) => docs.has(h.id)).map((h) => ({ id: h.id, score: h.score, doc: docs.get(h.id)! })) };
  }

  #write(docs: SearchDocument[], run: string | null, force: boolean): WriteOutcome {
    const store = this.#open('upsert');
    if (docs.length === 0) return { applied: 0, stale: 0, staleIds: [] };
    const now = Date.now();
    const staleIds: number[] = [];
    const written: Array<{ doc: SearchDocument; tokens: DocTokens }> = [];
    store.transaction(() => {
      for (const d of docs) {
        const e = store.state(d.id);
        if (!force && e && (d.version < e.version || (e.deleted && d.version === e.version))) {
          staleIds.push(d.id);
          continue;
        }
        const doc = e && e.version > d.version ? { ...d, version: e.version } : d;
        const tokens = documentIndexTokens(doc);
        store.put(doc, run, now, serializeTokens(tokens));
        written.push({ doc, tokens });
      }
    });
    for (const w of written) this.#index.put(w.doc, w.tokens);
    return { applied: docs.length - staleIds.length, stale: staleIds.length, staleIds };
  }

  async upsert(docs: SearchDocument[], opts: { force?: boolean } = {}): Promise<WriteOutcome> {
    return this.#write(docs, null, opts.force ?? false);
  }

  async remove(id: number, version: number, opts: { force?: boolean } = {}): Promise<WriteOutcome> {
    const store = this.#open('remove');
    const e = store.state(id);
    if (opts.force) version = Math.max(e?.version ?? 0, version);
    if (e && version < e.version) return { applied: 0, stale: 1 };
    store.tombstone(id, version, Date.now());
    this.#index.delete(id);
    return { applied: 1, stale: 0 };
  }

  async removeByShop(shopId: number): Promise<number[]> {
    const store = this.#open('removeByShop');
    const ids = this.#index.idsOfShop(shopId);
    const now = Date.now();
    // content stays in the file: a compensating upsert (force) or a newer version brings the documents back
    store.transaction(() => {
      for (const id of ids) store.hide(id, now);
    });
    for (const id of ids) this.#index.delete(id);
    return ids;
  }

  async get(id: number): Promise<SearchDocument | null> {
    return this.#open('get').get(id);
  }

  async count(): Promise<number> {
    this.#open('count');
    return this.#index.size;
  }

  async beginRebuild(runId: string): Promise<RebuildTarget> {
    // In place, like the FULLTEXT backend: live events keep writing, the version guard orders them with the rebuild.
    return { runId, target: 'live' };
  }

  async loadRebuild(target: RebuildTarget, docs: SearchDocument[]): Promise<void> {
    this.#write(docs, target.runId, false);
  }

  async finishRebuild(target: RebuildTarget, startedAt: Date): Promise<void> {
    const store = this.#open('finishRebuild');
    const gone = store.unseenBy(target.runId, startedAt.getTime());
    const now = Date.now();
    store.transaction(() => {
      for (const id of gone) store.hide(id, now);
    });
    for (const id of gone) this.#index.delete(id);
    this.compactIfNeeded();
    this.#index.refreshImpacts();
    await this.snapshot();
  }

  /** Renumbers the in-memory lists when replaced and removed documents pile up. */
  compactIfNeeded(): boolean {
    const all = this.#index.ordinals;
    if (all === 0 || (all - this.#index.size) / all <= COMPACT_DEAD_SHARE) return false;
    this.#index.compact();
    return true;
  }

  /** Index figures for the benchmark and logs. */
  stats(): { documents: number; ordinals: number; tokens: number; memoryBytes: number; fileBytes: number } {
    const store = this.#open('stats');
    return { documents: this.#index.size, ordinals: this.#index.ordinals, tokens: this.#index.tokens, memoryBytes: this.#index.memoryBytes(), fileBytes: store.bytes() };
  }

  async ping(): Promise<void> {
    this.#open('ping').ping();
  }

  /** Writes a last snapshot (a failure only costs the next start time) and releases the file. */
  async close(): Promise<void> {
    if (!this.#store) return;
    await this.snapshot().catch(() => {});
    this.#store?.close();
    this.#store = null;
  }
}

export { IndexLockedError };
