/**
 * The embedded backend's in-memory inverted index (pure: no I/O).
 *
 * Tokens are the FULLTEXT backend's (services/search/tokens.ts: Hangul/CJK
 * bigrams with the bridge bigram across a space, `w_` Latin/digit words), so
 * queries mean the same on every backend. Each token has one postings list of
 * document ordinals (ascending) with a parallel flag byte (1 = the token is in
 * the product name). A document gets a new ordinal whenever its text changes,
 * so lists only ever grow at the end and stay sorted; the old ordinal is
 * marked dead and skipped until `compact()` renumbers everything. Changes that
 * leave the text alone (price, status, popularity, likes) update the
 * per-ordinal arrays in place.
 *
 * Scoring is BM25 (each token counted once per field, as the FULLTEXT backend
 * stores it): for every query token present, idf × (NAME_WEIGHT × name norm
 * when it is in the name + all-fields norm). Ties: popularity, then id, both
 * descending — the FULLTEXT backend's order.
 */
import type { QueryTerm } from '../../logic.ts';
import { CJK_PREFIX, documentTokens } from '../../tokens.ts';
import { DEFAULT_STATUSES, type ProductStatus, type SearchDocument, type SearchFilters, type SearchSort } from '../types.ts';

export const NAME_WEIGHT = 3;
export const DESCRIPTION_CHARS = 500;
const K1 = 1.2;
const B = 0.75;
const STATUS_CODES: Record<ProductStatus, number> = { active: 0, hidden: 1, sold_out: 2 };

interface Postings {
  ords: Int32Array<ArrayBuffer>;
  flags: Uint8Array<ArrayBuffer>;
  /** BM25 length-normalised weight of the token in each document (all fields + NAME_WEIGHT × name when in the name). */
  impact: Float32Array<ArrayBuffer>;
  n: number;
}

export interface IndexedHit {
  id: number;
  score: number;
}

export interface IndexQuery {
  terms: QueryTerm[];
  filters: SearchFilters;
  sort: SearchSort;
  offset: number;
  limit: number;
}

/** 'YYYY-MM-DD HH:MM:SS.ffffff' (or ISO) → microseconds since the epoch, for ordering. */
export function createdAtMicros(s: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?/.exec(s);
  if (!m) return (Date.parse(s) || 0) * 1000;
  return Date.parse(`${m[1]}T${m[2]}Z`) * 1000 + Number((m[3] ?? '').padEnd(6, '0'));
}

/** The searchable text of a document (what decides whether its tokens must be rebuilt). */
export function searchableText(d: SearchDocument): string[] {
  return [d.name, d.shopName, d.categoryName ?? '', d.keywords ?? '', d.description?.slice(0, DESCRIPTION_CHARS) ?? ''];
}

/** Two 32-bit FNV-1a hashes (different seeds) of the searchable text. */
export function textHash(parts: string[]): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
    }
    h1 = Math.imul(h1 ^ 0x1f, 0x01000193);
    h2 = Math.imul(h2 ^ 0x1f, 0x5bd1e995);
  }
  return [h1 >>> 0, h2 >>> 0];
}

/** A document's tokens: those of its name, and those of every searchable field (name included), each once. */
export interface DocTokens {
  name: string[];
  all: string[];
}

export function documentIndexTokens(d: SearchDocument): DocTokens {
  const text = searchableText(d);
  const name = new Set(documentTokens(text[0]));
  const all = new Set(name);
  for (let i = 1; i < text.length; i++) for (const t of documentTokens(text[i])) all.add(t);
  return { name: [...name], all: [...all] };
}

/** Stored form: name tokens, a newline, the other tokens (tokens hold letters, digits and `_` only). */
export function serializeTokens(t: DocTokens): string {
  const name = new Set(t.name);
  return `${t.name.join(' ')}\n${t.all.filter((x) => !name.has(x)).join(' ')}`;
}

export function parseTokens(s: string): DocTokens {
  const nl = s.indexOf('\n');
  const name = nl > 0 ? s.slice(0, nl).split(' ') : [];
  const rest = s.slice(nl + 1);
  return { name, all: rest ? name.concat(rest.split(' ')) : name };
}

type Growable = Float64Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | Uint8Array<ArrayBuffer> | Int32Array<ArrayBuffer>;

/** The same array when it holds n, else a copy at least twice as large (and at least `min`). */
function grow<T extends Growable>(a: T, n: number, min = 1024): T {
  if (n <= a.length) return a;
  const b = new (a.constructor as new (len: number) => T)(Math.max(n, a.length * 2, min));
  b.set(a as never);
  return b;
}
const growF64 = (a: Float64Array<ArrayBuffer>, n: number) => grow(a, n);
const growU32 = (a: Uint32Array<ArrayBuffer>, n: number) => grow(a, n);
const growU8 = (a: Uint8Array<ArrayBuffer>, n: number) => grow(a, n);
const growI32 = (a: Int32Array<ArrayBuffer>, n: number) => grow(a, n, 16);

/** One bucket per token start (script prefix + first character) for prefix expansion. */
function bucketKey(token: string): string {
  return token.slice(0, CJK_PREFIX.length + 1);
}

/** Impacts are recomputed for every posting when an average length moves by more than this share. */
const NORM_DRIFT = 0.02;

/** Matching documents so far: ordinals ascending, with their score so far. */
interface Candidates {
  ords: Int32Array;
  score: Float64Array;
  n: number;
}

/** Union of two candidate lists (a document in both sums its scores). */
export function unionCandidates(a: Candidates, b: Candidates): Candidates {
  const ords = new Int32Array(a.n + b.n);
  const score = new Float64Array(a.n + b.n);
  let i = 0, j = 0, n = 0;
  while (i < a.n && j < b.n) {
    const x = a.ords[i], y = b.ords[j];
    if (x < y) { ords[n] = x; score[n++] = a.score[i++]; }
    else if (y < x) { ords[n] = y; score[n++] = b.score[j++]; }
    else { ords[n] = x; score[n++] = a.score[i++] + b.score[j++]; }
  }
  while (i < a.n) { ords[n] = a.ords[i]; score[n++] = a.score[i++]; }
  while (j < b.n) { ords[n] = b.ords[j]; score[n++] = b.score[j++]; }
  return { ords, score, n };
}

/** Candidates also in `b`, scores summed (both ascending). */
export function intersectCandidates(a: Candidates, b: Candidates): Candidates {
  let i = 0, j = 0, n = 0;
  while (i < a.n && j < b.n) {
    const x = a.ords[i], y = b.ords[j];
    if (x < y) i++;
    else if (y < x) j++;
    else {
      a.ords[n] = x;
      a.score[n++] = a.score[i++] + b.score[j++];
    }
  }
  a.n = n;
  return a;
}

/**
 * Candidates also in one postings list, adding that token's contribution; in place. Gallops (exponential then binary
 * search) through the list when it is much longer than the candidates, else walks both.
 */
function intersectList(a: Candidates, p: Postings, idf: number): Candidates {
  const ords = p.ords, impact = p.impact, len = p.n;
  const gallop = len > 16 * a.n;
  let j = 0, n = 0;
  for (let i = 0; i < a.n && j < len; i++) {
    const x = a.ords[i];
    if (gallop) {
      if (ords[j] < x) {
        let step = 1, hi = j + 1;
        while (hi < len && ords[hi] < x) { j = hi; step *= 2; hi = j + step; }
        let lo = j + 1;
        hi = Math.min(hi, len);
        while (lo < hi) { const m = (lo + hi) >>> 1; if (ords[m] < x) lo = m + 1; else hi = m; }
        j = lo;
      }
    } else {
      while (j < len && ords[j] < x) j++;
    }
    if (j < len && ords[j] === x) {
      a.ords[n] = x;
      a.score[n++] = a.score[i] + idf * impact[j];
      j++;
    }
  }
  a.n = n;
  return a;
}

/** What a snapshot holds besides the arrays (see InvertedIndex.exportState). */
export interface IndexStateHeader {
  next: number;
  live: number;
  liveLenName: number;
  liveLenAll: number;
  /** Every token with its postings length, in the order their arrays follow the per-document ones. */
  tokens: Array<[string, number]>;
}

/** The per-document arrays in snapshot order: [field, bytes per element]. */
const DOC_ARRAYS = [['id', 8], ['alive', 1], ['status', 1], ['shop', 8], ['category', 8], ['price', 8], ['created', 8], ['popularity', 8],
  ['likes', 8], ['lenName', 4], ['lenAll', 4], ['hashA', 4], ['hashB', 4]] as const;

export class InvertedIndex {
  readonly #dict = new Map<string, Postings>();
  readonly #buckets = new Map<string, string[]>();
  readonly #ordOf = new Map<number, number>();
  #next = 0;
  #live = 0;
  #liveLenName = 0;
  #liveLenAll = 0;
  // per ordinal
  #id = new Float64Array(0);
  #alive = new Uint8Array(0);
  #status = new Uint8Array(0);
  #shop = new Float64Array(0);
  #category = new Float64Array(0);
  #price = new Float64Array(0);
  #created = new Float64Array(0);
  #popularity = new Float64Array(0);
  #likes = new Float64Array(0);
  #lenName = new Uint32Array(0);
  #lenAll = new Uint32Array(0);
  #hashA = new Uint32Array(0);
  #hashB = new Uint32Array(0);
  // BM25 length norms per ordinal, and the averages they were computed with
  /** The average lengths every stored impact was computed with (0: none yet). */
  #impactAt = { avgAll: 0, avgName: 0 };

  get size(): number {
    return this.#live;
  }

  /** Ordinals allocated, dead ones included (compact() when far above size). */
  get ordinals(): number {
    return this.#next;
  }

  get tokens(): number {
    return this.#dict.size;
  }

  has(id: number): boolean {
    return this.#ordOf.has(id);
  }

  /** Bytes held by the typed arrays (postings + per-document arrays), for reporting. */
  memoryBytes(): number {
    let b = 0;
    for (const p of this.#dict.values()) b += p.ords.byteLength + p.flags.byteLength + p.impact.byteLength;
    for (const a of [this.#id, this.#alive, this.#status, this.#shop, this.#category, this.#price, this.#created, this.#popularity, this.#likes,
      this.#lenName, this.#lenAll, this.#hashA, this.#hashB]) b += a.byteLength;
    return b;
  }

  #ensure(n: number): void {
    if (n <= this.#id.length) return;
    this.#id = growF64(this.#id, n);
    const cap = this.#id.length;
    this.#alive = growU8(this.#alive, cap);
    this.#status = growU8(this.#status, cap);
    this.#shop = growF64(this.#shop, cap);
    this.#category = growF64(this.#category, cap);
    this.#price = growF64(this.#price, cap);
    this.#created = growF64(this.#created, cap);
    this.#popularity = growF64(this.#popularity, cap);
    this.#likes = growF64(this.#likes, cap);
    this.#lenName = growU32(this.#lenName, cap);
    this.#lenAll = growU32(this.#lenAll, cap);
    this.#hashA = growU32(this.#hashA, cap);
    this.#hashB = growU32(this.#hashB, cap);
  }

  #setAttributes(ord: number, d: SearchDocument): void {
    this.#status[ord] = STATUS_CODES[d.status] ?? 1;
    this.#shop[ord] = d.shopId;
    this.#category[ord] = d.categoryId ?? NaN;
    this.#price[ord] = Number(d.salePrice ?? d.price);
    this.#created[ord] = createdAtMicros(d.createdAt);
    this.#popularity[ord] = d.popularityScore;
    this.#likes[ord] = d.likeCount;
  }

  #postings(token: string): Postings {
    let p = this.#dict.get(token);
    if (!p) {
      p = { ords: new Int32Array(4), flags: new Uint8Array(4), impact: new Float32Array(4), n: 0 };
      this.#dict.set(token, p);
      const k = bucketKey(token);
      const bucket = this.#buckets.get(k);
      if (bucket) bucket.push(token);
      else this.#buckets.set(k, [token]);
    }
    return p;
  }

  /** Adds or replaces a document (the caller has applied the version guard); `tokens` when already computed. */
  put(d: SearchDocument, tokens?: DocTokens): void {
    const [ha, hb] = textHash(searchableText(d));
    const old = this.#ordOf.get(d.id);
    if (old !== undefined && this.#hashA[old] === ha && this.#hashB[old] === hb) {
      this.#setAttributes(old, d); // same text: same tokens, attributes in place
      return;
    }
    if (old !== undefined) this.delete(d.id);
    const ord = this.#next++;
    this.#ensure(this.#next);
    const tk = tokens ?? documentIndexTokens(d);
    const name = new Set(tk.name);
    const all = tk.all;
    const lenAll = all.length;
    for (const t of all) {
      const p = this.#postings(t);
      if (p.n === p.ords.length) {
        p.ords = growI32(p.ords, p.n + 1);
        const f = new Uint8Array(p.ords.length);
        f.set(p.flags);
        p.flags = f;
        const w = new Float32Array(p.ords.length);
        w.set(p.impact);
        p.impact = w;
      }
      p.ords[p.n] = ord;
      p.flags[p.n] = name.has(t) ? 1 : 0;
      p.impact[p.n] = this.#impactOf(lenAll, name.size, name.has(t));
      p.n++;
    }
    this.#id[ord] = d.id;
    this.#alive[ord] = 1;
    this.#lenName[ord] = name.size;
    this.#lenAll[ord] = all.length;
    this.#hashA[ord] = ha;
    this.#hashB[ord] = hb;
    this.#setAttributes(ord, d);
    this.#ordOf.set(d.id, ord);
    this.#live++;
    this.#liveLenName += name.size;
    this.#liveLenAll += all.length;
  }

  delete(id: number): boolean {
    const ord = this.#ordOf.get(id);
    if (ord === undefined) return false;
    this.#alive[ord] = 0;
    this.#ordOf.delete(id);
    this.#live--;
    this.#liveLenName -= this.#lenName[ord];
    this.#liveLenAll -= this.#lenAll[ord];
    return true;
  }

  /** Live ids of a shop (any status). */
  idsOfShop(shopId: number): number[] {
    const out: number[] = [];
    for (let o = 0; o < this.#next; o++) if (this.#alive[o] && this.#shop[o] === shopId) out.push(this.#id[o]);
    return out;
  }

  /**
   * A consistent copy of the whole index (pure: the caller writes it): the header and the arrays' bytes, in the
   * order importState reads them. Copies, so the index keeps changing while the copy is written.
   */
  exportState(): { header: IndexStateHeader; chunks: Uint8Array[] } {
    const n = this.#next;
    const chunks: Uint8Array[] = [];
    for (const [field] of DOC_ARRAYS) {
      const a = this.#docArray(field);
      chunks.push(new Uint8Array(a.slice(0, n).buffer));
    }
    const tokens: Array<[string, number]> = [];
    for (const [token, p] of this.#dict) {
      if (p.n === 0) continue;
      tokens.push([token, p.n]);
      chunks.push(new Uint8Array(p.ords.slice(0, p.n).buffer), p.flags.slice(0, p.n));
    }
    return { header: { next: n, live: this.#live, liveLenName: this.#liveLenName, liveLenAll: this.#liveLenAll, tokens }, chunks };
  }

  /** Rebuilds an index from exportState's header and a reader of its chunks (in order, `bytes` each). */
  static importState(header: IndexStateHeader, read: (bytes: number) => Uint8Array): InvertedIndex {
    const ix = new InvertedIndex();
    const n = header.next;
    ix.#ensure(n);
    for (const [field, size] of DOC_ARRAYS) {
      const a = ix.#docArray(field);
      new Uint8Array(a.buffer, 0, n * size).set(read(n * size));
    }
    for (const [token, len] of header.tokens) {
      const p = ix.#postings(token);
      p.ords = new Int32Array(Math.max(len, 4));
      new Uint8Array(p.ords.buffer, 0, len * 4).set(read(len * 4));
      p.flags = new Uint8Array(p.ords.length);
      p.flags.set(read(len));
      p.impact = new Float32Array(p.ords.length);
      p.n = len;
    }
    ix.#next = n;
    ix.#live = header.live;
    ix.#liveLenName = header.liveLenName;
    ix.#liveLenAll = header.liveLenAll;
    for (let o = 0; o < n; o++) if (ix.#alive[o]) ix.#ordOf.set(ix.#id[o], o);
    if (ix.#ordOf.size !== header.live) throw new Error(`snapshot inconsistent: ${ix.#ordOf.size} live ordinals, header says ${header.live}`);
    ix.refreshImpacts(true);
    return ix;
  }

  #docArray(field: (typeof DOC_ARRAYS)[number][0]): Float64Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | Uint8Array<ArrayBuffer> {
    switch (field) {
      case 'id': return this.#id;
      case 'alive': return this.#alive;
      case 'status': return this.#status;
      case 'shop': return this.#shop;
      case 'category': return this.#category;
      case 'price': return this.#price;
      case 'created': return this.#created;
      case 'popularity': return this.#popularity;
      case 'likes': return this.#likes;
      case 'lenName': return this.#lenName;
      case 'lenAll': return this.#lenAll;
      case 'hashA': return this.#hashA;
      case 'hashB': return this.#hashB;
    }
  }

  /** Drops dead ordinals from every list and renumbers (after a rebuild, or when dead ordinals pile up). */
  compact(): void {
    const map = new Int32Array(this.#next).fill(-1);
    let n = 0;
    for (let o = 0; o < this.#next; o++) if (this.#alive[o]) map[o] = n++;
    const move = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(Math.max(n, 1024));
      for (let o = 0; o < this.#next; o++) if (map[o] >= 0) b[map[o]] = a[o];
      return b;
    };
    this.#id = move(this.#id, (k) => new Float64Array(k));
    this.#alive = move(this.#alive, (k) => new Uint8Array(k));
    this.#status = move(this.#status, (k) => new Uint8Array(k));
    this.#shop = move(this.#shop, (k) => new Float64Array(k));
    this.#category = move(this.#category, (k) => new Float64Array(k));
    this.#price = move(this.#price, (k) => new Float64Array(k));
    this.#created = move(this.#created, (k) => new Float64Array(k));
    this.#popularity = move(this.#popularity, (k) => new Float64Array(k));
    this.#likes = move(this.#likes, (k) => new Float64Array(k));
    this.#lenName = move(this.#lenName, (k) => new Uint32Array(k));
    this.#lenAll = move(this.#lenAll, (k) => new Uint32Array(k));
    this.#hashA = move(this.#hashA, (k) => new Uint32Array(k));
    this.#hashB = move(this.#hashB, (k) => new Uint32Array(k));
    for (const [token, p] of this.#dict) {
      let k = 0;
      for (let i = 0; i < p.n; i++) {
        const m = map[p.ords[i]];
        if (m >= 0) {
          p.ords[k] = m;
          p.flags[k] = p.flags[i];
          p.impact[k] = p.impact[i];
          k++;
        }
      }
      if (k === 0) {
        this.#dict.delete(token);
        const bucket = this.#buckets.get(bucketKey(token));
        if (bucket) bucket.splice(bucket.indexOf(token), 1);
        continue;
      }
      p.ords = p.ords.slice(0, k);
      p.flags = p.flags.slice(0, k);
      p.impact = p.impact.slice(0, k);
      p.n = k;
    }
    for (const [id, o] of this.#ordOf) this.#ordOf.set(id, map[o]);
    this.#next = n;
  }

  /** The postings a term reads, each with its weight: prefix terms read every token they start (the exact token counts twice). */
  #expand(t: QueryTerm): Array<{ p: Postings; weight: number }> {
    const out: Array<{ p: Postings; weight: number }> = [];
    const prefix = (pre: string, exact: string | null) => {
      for (const tok of this.#buckets.get(bucketKey(pre)) ?? []) {
        if (!tok.startsWith(pre)) continue;
        const p = this.#dict.get(tok);
        if (p && p.n) out.push({ p, weight: tok === exact ? 2 : 1 });
      }
    };
    if (t.kind === 'word') prefix(t.token, t.token);
    else if (t.tokens.length === 1 && Array.from(t.text).length === 1) prefix(CJK_PREFIX + t.text, null);
    else {
      // every bigram of the run is required: each is its own group (see search)
      for (const tok of t.tokens) {
        const p = this.#dict.get(tok);
        out.push({ p: p ?? { ords: new Int32Array(0), flags: new Uint8Array(0), impact: new Float32Array(0), n: 0 }, weight: 1 });
      }
    }
    return out;
  }

  #averages(): { avgAll: number; avgName: number } {
    const live = Math.max(this.#live, 1);
    return { avgAll: Math.max(this.#liveLenAll / live, 1), avgName: Math.max(this.#liveLenName / live, 1) };
  }

  /** A token's BM25 weight in a document of these lengths, with the averages the stored impacts use. */
  #impactOf(lenAll: number, lenName: number, inName: boolean): number {
    if (this.#impactAt.avgAll === 0) this.#impactAt = this.#averages();
    const { avgAll, avgName } = this.#impactAt;
    const all = (K1 + 1) / (1 + K1 * (1 - B + (B * lenAll) / avgAll));
    return inName ? all + (NAME_WEIGHT * (K1 + 1)) / (1 + K1 * (1 - B + (B * lenName) / avgName)) : all;
  }

  /**
   * Recomputes every stored impact when an average length has moved by more than NORM_DRIFT since they were
   * computed (or always, with `force`): after a bulk load, a snapshot import, or much change. Returns whether it did.
   */
  refreshImpacts(force = false): boolean {
    const now = this.#averages();
    const drift = (a: number, b: number) => b === 0 || Math.abs(a - b) / b > NORM_DRIFT;
    if (!force && !drift(now.avgAll, this.#impactAt.avgAll) && !drift(now.avgName, this.#impactAt.avgName)) return false;
    this.#impactAt = now;
    const lenAll = this.#lenAll, lenName = this.#lenName;
    for (const p of this.#dict.values()) {
      for (let i = 0; i < p.n; i++) {
        const o = p.ords[i];
        p.impact[i] = this.#impactOf(lenAll[o], lenName[o], p.flags[i] === 1);
      }
    }
    return true;
  }

  /** A group's live postings as (ordinal, score contribution), ascending: one list, or the union of a prefix's lists. */
  #materialise(group: Array<{ p: Postings; weight: number }>): Candidates {
    const live = Math.max(this.#live, 1);
    const alive = this.#alive;
    const anyDead = this.#next !== this.#live;
    let acc: Candidates | null = null;
    for (const { p, weight } of group) {
      const idf = Math.log(1 + (live - p.n + 0.5) / (p.n + 0.5)) * weight;
      const ords = new Int32Array(p.n);
      const score = new Float64Array(p.n);
      let n = 0;
      const pOrds = p.ords, impact = p.impact;
      for (let i = 0; i < p.n; i++) {
        const o = pOrds[i];
        if (anyDead && !alive[o]) continue;
        ords[n] = o;
        score[n++] = idf * impact[i];
      }
      const c = { ords, score, n };
      acc = acc ? unionCandidates(acc, c) : c;
    }
    return acc ?? { ords: new Int32Array(0), score: new Float64Array(0), n: 0 };
  }

  search(q: IndexQuery): { total: number; hits: IndexedHit[] } {
    // groups: every group must match; a group is a union of postings (prefix expansion) or one bigram
    const groups: Array<Array<{ p: Postings; weight: number }>> = [];
    for (const t of q.terms) {
      const ex = this.#expand(t);
      if (t.kind === 'cjk' && !(t.tokens.length === 1 && Array.from(t.text).length === 1)) for (const e of ex) groups.push([e]);
      else groups.push(ex);
    }
    if (groups.length === 0 || groups.some((g) => g.length === 0 || g.every((e) => e.p.n === 0))) return { total: 0, hits: [] };
    const sizeOf = (g: Array<{ p: Postings }>) => g.reduce((a, e) => a + e.p.n, 0);
    groups.sort((a, b) => sizeOf(a) - sizeOf(b));
    this.refreshImpacts();
    const live = Math.max(this.#live, 1);
    // smallest group first, then narrow: a single list is intersected in place (galloping when it is much longer)
    let cand = this.#materialise(groups[0]);
    for (let gi = 1; gi < groups.length && cand.n > 0; gi++) {
      const g = groups[gi];
      if (g.length === 1) {
        const { p, weight } = g[0];
        const idf = Math.log(1 + (live - p.n + 0.5) / (p.n + 0.5)) * weight;
        cand = intersectList(cand, p, idf);
      } else {
        cand = intersectCandidates(cand, this.#materialise(g));
      }
    }
    return this.#rank(cand, q);
  }

  #rank(cand: Candidates, q: IndexQuery): { total: number; hits: IndexedHit[] } {
    const f = q.filters;
    const statuses = new Uint8Array(256);
    for (const st of f.statuses?.length ? f.statuses : DEFAULT_STATUSES) statuses[STATUS_CODES[st]] = 1;
    const byPrice = f.minPrice !== undefined || f.maxPrice !== undefined;
    const min = f.minPrice !== undefined ? Number(f.minPrice) : -Infinity;
    const max = f.maxPrice !== undefined ? Number(f.maxPrice) : Infinity;
    const status = this.#status, shop = this.#shop, category = this.#category, price = this.#price;
    const id = this.#id, pop = this.#popularity, likes = this.#likes, created = this.#created;
    // candidates are addressed by their index in `cand`: score[i] is theirs, ordinal ords[i]
    const ords = cand.ords, score = cand.score;
    // "a ranks after b": the comparator the heap keeps its worst element on top with
    const after: (a: number, b: number) => boolean = (() => {
      switch (q.sort) {
        case 'relevance': return (a, b) => {
          if (score[a] !== score[b]) return score[a] < score[b];
          const x = ords[a], y = ords[b];
          return pop[x] !== pop[y] ? pop[x] < pop[y] : id[x] < id[y];
        };
        case 'popularity': return (a, b) => {
          const x = ords[a], y = ords[b];
          return pop[x] !== pop[y] ? pop[x] < pop[y] : likes[x] !== likes[y] ? likes[x] < likes[y] : id[x] < id[y];
        };
        case 'newest': return (a, b) => {
          const x = ords[a], y = ords[b];
          return created[x] !== created[y] ? created[x] < created[y] : id[x] < id[y];
        };
        case 'price_asc': return (a, b) => {
          const x = ords[a], y = ords[b];
          return price[x] !== price[y] ? price[x] > price[y] : id[x] < id[y];
        };
        case 'price_desc': return (a, b) => {
          const x = ords[a], y = ords[b];
          return price[x] !== price[y] ? price[x] < price[y] : id[x] < id[y];
        };
      }
    })();
    const k = q.offset + q.limit;
    const heap: number[] = []; // worst on top
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let w = i;
        if (l < heap.length && after(heap[l], heap[w])) w = l;
        if (r < heap.length && after(heap[r], heap[w])) w = r;
        if (w === i) return;
        [heap[i], heap[w]] = [heap[w], heap[i]];
        i = w;
      }
    };
    let total = 0;
    for (let c = 0; c < cand.n; c++) {
      const o = ords[c];
      if (!statuses[status[o]]) continue;
      if (f.shopId !== undefined && shop[o] !== f.shopId) continue;
      if (f.categoryId !== undefined && category[o] !== f.categoryId) continue;
      if (byPrice && (price[o] < min || price[o] > max)) continue;
      total++;
      if (k === 0) continue;
      if (heap.length < k) {
        heap.push(c);
        for (let i = heap.length - 1; i > 0;) {
          const parent = (i - 1) >> 1;
          if (!after(heap[i], heap[parent])) break;
          [heap[i], heap[parent]] = [heap[parent], heap[i]];
          i = parent;
        }
      } else if (after(heap[0], c)) {
        heap[0] = c;
        down(0);
      }
    }
    heap.sort((a, b) => (after(a, b) ? 1 : after(b, a) ? -1 : 0));
    return { total, hits: heap.slice(q.offset).map((c) => ({ id: id[ords[c]], score: score[c] })) };
  }
}
