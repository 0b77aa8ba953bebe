import { expect } from 'chai';
import { documentIndexTokens, InvertedIndex } from '../backends/embedded/inverted-index.ts';
import { parseQuery, type QueryTerm } from '../logic.ts';
import { CJK_PREFIX } from '../tokens.ts';
import { fixtureDocuments } from './fixtures.ts';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The matching rule, stated directly: every term's tokens present (words and single syllables as prefixes). */
function matches(tokens: Set<string>, terms: QueryTerm[]): boolean {
  return terms.every((t) => {
    if (t.kind === 'word') return [...tokens].some((x) => x.startsWith(t.token));
    if (Array.from(t.text).length === 1) return [...tokens].some((x) => x.startsWith(CJK_PREFIX + t.text));
    return t.tokens.every((x) => tokens.has(x));
  });
}

describe('embedded inverted index (pure)', function () {
  it('finds exactly the documents holding every term, on skewed random data (walk and gallop paths), before and after compaction', () => {
    const random = rng(16);
    const words = ['원피스', '니트', '가디건', '청바지', '슬랙스', '블라우스', '자켓', '숄더백', '코트', '린넨', '셔츠', '스커트', '로퍼', '데님', '후드'];
    const latin = ['denim', 'dress', 'knit', 'hoodie', 'tote', 'bag', 'sneakers', 'maxi'];
    // word i drawn with probability ~ 1/(i+1): a few very common words, many rare ones (lists 16x longer than candidates gallop)
    const pick = (list: string[]) => list[Math.min(list.length - 1, Math.floor(list.length ** random() - 1))];
    const base = fixtureDocuments()[0];
    const ix = new InvertedIndex();
    const docs = Array.from({ length: 4000 }, (_, i) => ({
      ...base, id: i + 1, version: 1, status: random() < 0.9 ? 'active' as const : 'hidden' as const, description: null, keywords: null,
      name: Array.from({ length: 2 + Math.floor(random() * 3) }, () => (random() < 0.7 ? pick(words) : pick(latin))).join(' '),
    }));
    for (const d of docs) ix.put(d);
    // replace a third of them (new ordinals, dead old ones) and delete some
    for (const d of docs.filter((_, i) => i % 3 === 0)) {
      d.version = 2;
      d.name = `${pick(words)} ${pick(latin)} ${pick(words)}`;
      ix.put(d);
    }
    const deleted = new Set(docs.filter((_, i) => i % 17 === 0).map((d) => d.id));
    for (const id of deleted) ix.delete(id);
    const queries = ['원피스', '니트 가디건', '자켓 denim', '숄더백 tote', '스', '데님 청바지 셔츠', 'dre', '린넨 원피스', '스니커즈', '피스니'];
    const check = () => {
      for (const q of queries) {
        const terms = parseQuery(q);
        const expected = docs.filter((d) => !deleted.has(d.id) && d.status === 'active' && matches(new Set(documentIndexTokens(d).all), terms)).map((d) => d.id).sort((a, b) => a - b);
        const got = ix.search({ terms, filters: {}, sort: 'relevance', offset: 0, limit: 10_000 });
        expect(got.total, q).to.equal(expected.length);
        expect(got.hits.map((h) => h.id).sort((a, b) => a - b), q).to.deep.equal(expected);
        // the page is the best-ranked prefix of the full ranking
        const page = ix.search({ terms, filters: {}, sort: 'relevance', offset: 5, limit: 7 });
        expect(page.hits.map((h) => h.id), q).to.deep.equal(got.hits.slice(5, 12).map((h) => h.id));
      }
    };
    check();
    expect(ix.ordinals).to.be.above(ix.size);
    ix.compact();
    expect(ix.ordinals).to.equal(ix.size);
    check();
  });

  it('a snapshot round trip answers like the original', () => {
    const ix = new InvertedIndex();
    for (const d of fixtureDocuments()) ix.put(d);
    ix.delete(3);
    const { header, chunks } = ix.exportState();
    const bytes = Buffer.concat(chunks);
    let off = 0;
    const copy = InvertedIndex.importState(header, (n) => bytes.subarray(off, (off += n)));
    for (const q of ['원피스', '니트 가디건', 'dress', '옷', '셔링']) {
      const r = { terms: parseQuery(q), filters: {}, sort: 'relevance' as const, offset: 0, limit: 50 };
      expect(copy.search(r), q).to.deep.equal(ix.search(r));
    }
    expect(copy.size).to.equal(ix.size);
  });
});
