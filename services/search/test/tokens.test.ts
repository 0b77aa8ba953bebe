import { expect } from 'chai';
import { documentTokens, splitRuns, tokenString } from '../tokens.ts';
import { booleanFilter, parseQuery, rankExpression } from '../logic.ts';
import { searchParams, toSearchRequest } from '../http.ts';

describe('search tokens and query logic', () => {
  it('emits prefixed Hangul bigrams, a bridge bigram across a space, and words — every token >= 3 characters', () => {
    expect(documentTokens('롱 원피스')).to.deep.equal(['h_롱', 'h_롱원', 'h_원피', 'h_피스']);
    expect(documentTokens('[무료배송] T셔츠, XL')).to.deep.equal(['h_무료', 'h_료배', 'h_배송', 'w_t', 'h_셔츠', 'w_xl']);
    for (const t of tokenString('a 옷 the 2024 가 나 Ｔ셔츠 é').split(' ')) expect(Array.from(t).length).to.be.at.least(3);
  });

  it('does not bridge runs separated by punctuation or of different scripts', () => {
    expect(documentTokens('롱,원피스')).to.deep.equal(['h_롱', 'h_원피', 'h_피스']);
    expect(splitRuns('t셔츠').map((r) => r.kind)).to.deep.equal(['word', 'cjk']);
  });

  it('folds case and full-width forms (NFKC)', () => {
    expect(documentTokens('ＤＲＥＳＳ Dress')).to.deep.equal(['w_dress', 'w_dress']);
  });

  it('builds BOOLEAN MODE expressions: every bigram required, prefix words, prefix for a single syllable', () => {
    const terms = parseQuery('원피스 Dress 옷 "+-*()~<>@');
    expect(booleanFilter(terms)).to.equal('+h_원피 +h_피스 +w_dress* +h_옷*');
    expect(rankExpression(terms)).to.equal('h_원피 h_피스 w_dress w_dress* h_옷');
    expect(parseQuery('가방 가방 bag BAG')).to.have.length(2);
  });

  it('cannot be steered by boolean operators in the query', () => {
    expect(booleanFilter(parseQuery('-원피스 +"dress" ~bag*'))).to.equal('+h_원피 +h_피스 +w_dress* +w_bag*');
  });

  it('validates the legacy parameters plus sort and filters into a backend request', () => {
    const ok = searchParams.parse({ q: ' 원피스 ', page: '2', size: '10', sort: 'price_asc', categoryId: '3', minPrice: '1000', maxPrice: '5000.5' });
    expect(toSearchRequest(ok)).to.deep.equal({ q: '원피스', sort: 'price_asc', offset: 10, limit: 10, filters: { categoryId: 3, minPrice: '1000.00', maxPrice: '5000.50' } });
    expect(toSearchRequest(searchParams.parse({ q: 'a' }))).to.deep.include({ sort: 'relevance', offset: 0, limit: 20 });
    const bad = searchParams.safeParse({ q: ' ', page: '0', size: '500', sort: 'x', minPrice: '-1' });
    expect(bad.success).to.equal(false);
    expect(bad.error!.issues.map((i) => i.path.join('.')).sort()).to.deep.equal(['minPrice', 'page', 'q', 'size', 'sort']);
    expect(searchParams.safeParse({ q: 'a', minPrice: '9', maxPrice: '1' }).error!.issues[0].path).to.deep.equal(['minPrice']);
  });
});
