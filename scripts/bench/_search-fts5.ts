/**
 * A rejected candidate, kept so the search benchmark can measure it on the
 * same data: SQLite FTS5 through Node's built-in `node:sqlite` (FTS5 is
 * compiled in; no native addon). The FULLTEXT backend's tokens are stored
 * pre-tokenised (unicode61 with `_` as a token character keeps `h_원피` and
 * `w_dress` whole), `detail=none` (no positions: queries never need phrases),
 * ranked by FTS5's bm25() with the name column weighted 3, then popularity
 * and id like the other backends; the total is a second COUNT over the same
 * MATCH. Only what the benchmark needs: search (relevance sort, status
 * filter) and writes — not a SearchBackend.
 */
import { DatabaseSync } from 'node:sqlite';
import { parseQuery } from '../../services/search/logic.ts';
import { tokenString } from '../../services/search/tokens.ts';
import type { SearchDocument, SearchRequest, SearchResult } from '../../services/search/backends/types.ts';

export class Fts5Candidate {
  readonly #db: DatabaseSync;
  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, status TEXT NOT NULL, popularity REAL NOT NULL, doc TEXT NOT NULL);
      CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(name_tokens, tokens, tokenize = "unicode61 tokenchars '_'", detail = none)`);
  }

  count(): number {
    return Number((this.#db.prepare('SELECT COUNT(*) AS n FROM docs').get() as { n: number }).n);
  }

  upsert(docs: SearchDocument[]): void {
    const del = this.#db.prepare('DELETE FROM fts WHERE rowid = ?');
    const insFts = this.#db.prepare('INSERT INTO fts (rowid, name_tokens, tokens) VALUES (?, ?, ?)');
    const insDoc = this.#db.prepare('INSERT OR REPLACE INTO docs (id, status, popularity, doc) VALUES (?, ?, ?, ?)');
    this.#db.exec('BEGIN');
    try {
      for (const d of docs) {
        del.run(d.id);
        const all = [...new Set(tokenString(d.name, d.shopName, d.categoryName, d.keywords, d.description?.slice(0, 500)).split(' '))].join(' ');
        insFts.run(d.id, tokenString(d.name), all);
        insDoc.run(d.id, d.status, d.popularityScore, JSON.stringify(d));
      }
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  /** FTS5 query syntax: every term required; words and single syllables as prefixes, bigrams quoted. */
  static match(q: string): string | null {
    const terms = parseQuery(q);
    if (terms.length === 0) return null;
    return terms.map((t) => {
      if (t.kind === 'word') return `"${t.token}"*`;
      if (Array.from(t.text).length === 1) return `"h_${t.text}"*`;
      return t.tokens.map((x) => `"${x}"`).join(' AND ');
    }).join(' AND ');
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    const m = Fts5Candidate.match(req.q);
    if (!m) return { total: 0, hits: [] };
    const rows = this.#db.prepare(`SELECT d.id, d.doc, bm25(fts, 3.0, 1.0) AS s FROM fts JOIN docs d ON d.id = fts.rowid
      WHERE fts MATCH ? AND d.status = 'active' ORDER BY s, d.popularity DESC, d.id DESC LIMIT ? OFFSET ?`).all(m, req.limit, req.offset) as Array<{ id: number; doc: string; s: number }>;
    const total = Number((this.#db.prepare(`SELECT COUNT(*) AS n FROM fts JOIN docs d ON d.id = fts.rowid WHERE fts MATCH ? AND d.status = 'active'`).get(m) as { n: number }).n);
    return { total, hits: rows.map((r) => ({ id: Number(r.id), score: -r.s, doc: JSON.parse(r.doc) as SearchDocument })) };
  }

  bytes(): number {
    return Number((this.#db.prepare('SELECT page_count * page_size AS b FROM pragma_page_count(), pragma_page_size()').get() as { b: number }).b);
  }

  close(): void {
    this.#db.close();
  }
}
