/**
 * The embedded backend's durable part: one SQLite file (Node's built-in
 * `node:sqlite`, no native addon) holding every document as JSON with its
 * version, tombstone flag, last reindex run and write time. It is the source
 * of truth; the in-memory inverted index is rebuilt from it at start.
 *
 * The file is opened in exclusive locking mode: a second process (another
 * search service, or the reindex CLI while the service runs) gets a clear
 * error instead of a silently diverging index.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SearchDocument } from '../types.ts';

export interface StoredState {
  version: number;
  deleted: boolean;
}

export class IndexLockedError extends Error {
  readonly code = 'INDEX_LOCKED';
  constructor(path: string, opts: { cause?: unknown }) {
    super(`search index ${path} is in use by another process (one search service per index directory; use "reindex --queue" while it runs)`, opts);
    this.name = 'IndexLockedError';
  }
}

export class DocStore {
  readonly path: string;
  /** Random id of this file (a snapshot taken from another file is ignored). */
  readonly indexId: string;
  /** Change sequence: every write to a row stamps it with the next number (snapshots replay what follows theirs). */
  #seq = 0;
  readonly #db: DatabaseSync;
  readonly #getState: StatementSync;
  readonly #getDoc: StatementSync;
  readonly #putDoc: StatementSync;
  readonly #tombstone: StatementSync;
  readonly #hide: StatementSync;

  constructor(path: string) {
    this.path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    try {
      this.#db.exec(`PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
        CREATE TABLE IF NOT EXISTS docs (
          id INTEGER PRIMARY KEY, version INTEGER NOT NULL, deleted INTEGER NOT NULL,
          run TEXT, indexed_at INTEGER NOT NULL, doc TEXT, tokens TEXT, seq INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS docs_seq ON docs (seq);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT OR IGNORE INTO meta (key, value) VALUES ('index_id', lower(hex(randomblob(8))));`);
      // take the lock now (exclusive mode locks on first access, a write takes the write lock)
      this.#db.exec('BEGIN IMMEDIATE; COMMIT');
    } catch (err) {
      this.#db.close();
      if (/locked|busy/i.test(String((err as Error).message))) throw new IndexLockedError(path, { cause: err });
      throw err;
    }
    this.indexId = String((this.#db.prepare("SELECT value FROM meta WHERE key = 'index_id'").get() as { value: string }).value);
    this.#seq = Number((this.#db.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM docs').get() as { s: number }).s);
    this.#getState = this.#db.prepare('SELECT version, deleted FROM docs WHERE id = ?');
    this.#getDoc = this.#db.prepare('SELECT doc FROM docs WHERE id = ? AND deleted = 0');
    this.#putDoc = this.#db.prepare(`INSERT INTO docs (id, version, deleted, run, indexed_at, doc, tokens, seq) VALUES (?, ?, 0, ?, ?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET version = excluded.version, deleted = 0, run = COALESCE(excluded.run, run),
        indexed_at = excluded.indexed_at, doc = excluded.doc, tokens = excluded.tokens, seq = excluded.seq`);
    this.#tombstone = this.#db.prepare(`INSERT INTO docs (id, version, deleted, run, indexed_at, doc, seq) VALUES (?, ?, 1, NULL, ?, NULL, ?)
      ON CONFLICT(id) DO UPDATE SET version = excluded.version, deleted = 1, indexed_at = excluded.indexed_at, seq = excluded.seq`);
    this.#hide = this.#db.prepare('UPDATE docs SET deleted = 1, indexed_at = ?, seq = ? WHERE id = ? AND deleted = 0');
  }

  /** Runs fn in one transaction (every write of a batch commits together, or none). */
  transaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN');
    try {
      const r = fn();
      this.#db.exec('COMMIT');
      return r;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  state(id: number): StoredState | null {
    const r = this.#getState.get(id) as { version: number; deleted: number } | undefined;
    return r ? { version: Number(r.version), deleted: Number(r.deleted) === 1 } : null;
  }

  /** `tokens`: the index tokens in their stored form (a restart loads them instead of tokenising again). */
  put(doc: SearchDocument, run: string | null, now: number, tokens: string): void {
    this.#putDoc.run(doc.id, doc.version, run, now, JSON.stringify(doc), tokens, ++this.#seq);
  }

  tombstone(id: number, version: number, now: number): void {
    this.#tombstone.run(id, version, now, ++this.#seq);
  }

  /** Tombstones a live document at its stored version, keeping its content (removeByShop, rebuild sweep). */
  hide(id: number, now: number): void {
    this.#hide.run(now, ++this.#seq, id);
  }

  get(id: number): SearchDocument | null {
    const r = this.#getDoc.get(id) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as SearchDocument) : null;
  }

  getMany(ids: number[]): Map<number, SearchDocument> {
    const out = new Map<number, SearchDocument>();
    if (ids.length === 0) return out;
    const rows = this.#db.prepare(`SELECT doc FROM docs WHERE deleted = 0 AND id IN (${ids.map(() => '?').join(',')})`).all(...ids) as Array<{ doc: string }>;
    for (const r of rows) {
      const d = JSON.parse(r.doc) as SearchDocument;
      out.set(d.id, d);
    }
    return out;
  }

  /** Live documents with their stored tokens in id order, `batch` at a time (start-up load). */
  *live(batch = 5000): Generator<Array<{ doc: SearchDocument; tokens: string }>> {
    const stmt = this.#db.prepare('SELECT id, doc, tokens FROM docs WHERE deleted = 0 AND id > ? ORDER BY id LIMIT ?');
    let after = -1;
    for (;;) {
      const rows = stmt.all(after, batch) as Array<{ id: number; doc: string; tokens: string }>;
      if (rows.length === 0) return;
      yield rows.map((r) => ({ doc: JSON.parse(r.doc) as SearchDocument, tokens: r.tokens }));
      after = Number(rows[rows.length - 1].id);
    }
  }

  /** The last change sequence written. */
  get seq(): number {
    return this.#seq;
  }

  /** Rows changed after `seq` (live or removed), in change order, `batch` at a time (replay after a snapshot). */
  *changesSince(seq: number, batch = 5000): Generator<Array<{ id: number; deleted: boolean; doc: SearchDocument | null; tokens: string | null }>> {
    const stmt = this.#db.prepare('SELECT id, deleted, doc, tokens, seq FROM docs WHERE seq > ? ORDER BY seq LIMIT ?');
    let after = seq;
    for (;;) {
      const rows = stmt.all(after, batch) as Array<{ id: number; deleted: number; doc: string | null; tokens: string | null; seq: number }>;
      if (rows.length === 0) return;
      yield rows.map((r) => ({ id: Number(r.id), deleted: Number(r.deleted) === 1, doc: r.doc ? (JSON.parse(r.doc) as SearchDocument) : null, tokens: r.tokens }));
      after = Number(rows[rows.length - 1].seq);
    }
  }

  /** Live ids a rebuild run did not see and nothing wrote since it started. */
  unseenBy(run: string, since: number): number[] {
    const rows = this.#db.prepare('SELECT id FROM docs WHERE deleted = 0 AND (run IS NULL OR run <> ?) AND indexed_at < ?').all(run, since) as Array<{ id: number }>;
    return rows.map((r) => Number(r.id));
  }

  countLive(): number {
    return Number((this.#db.prepare('SELECT COUNT(*) AS n FROM docs WHERE deleted = 0').get() as { n: number }).n);
  }

  /** Size of the database file and its WAL, in bytes. */
  bytes(): number {
    const r = this.#db.prepare('SELECT page_count * page_size AS b FROM pragma_page_count(), pragma_page_size()').get() as { b: number };
    return Number(r.b);
  }

  ping(): void {
    this.#db.prepare('SELECT 1').get();
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
