import { expect } from 'chai';
import { documentTokens, splitRuns, tokenString } from '../tokens.ts';
import { booleanFilter, parseQuery, parseSearchParams, rankExpression, discountRate } from '../logic.ts';

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

  it('builds BOOLEAN MODE expressions: phrase of bigrams, prefix words, prefix for a single syllable', () => {
    const terms = parseQuery('원피스 Dress 옷 "+-*()~<>@');
    expect(booleanFilter(terms)).to.equal('+"h_원피 h_피스" +w_dress* +h_옷*');
    expect(rankExpression(terms)).to.equal('h_원피 h_피스 w_dress w_dress* h_옷');
    expect(parseQuery('가방 가방 bag BAG')).to.have.length(2);
  });

  it('cannot be steered by boolean operators in the query', () => {
    expect(booleanFilter(parseQuery('-원피스 +"dress" ~bag*'))).to.equal('+"h_원피 h_피스" +w_dress* +w_bag*');
  });

  it('validates search parameters with one message per bad field', () => {
    const ok = parseSearchParams({ q: ' 원피스 ', page: '2', size: '10', sort: 'price_asc', categoryId: '3', minPrice: '1000', maxPrice: '5000.5' });
    expect(ok.request).to.deep.equal({ q: '원피스', sort: 'price_asc', offset: 10, limit: 10, filters: { categoryId: 3, minPrice: '1000', maxPrice: '5000.5' } });
    expect(() => parseSearchParams({ q: '', page: '0', size: '500', sort: 'x', minPrice: '-1' }))
      .to.throw(/q: is required; page: .*; size: .*; sort: .*; minPrice: /);
    expect(() => parseSearchParams({ q: '!!!' })).to.throw(/no searchable word/);
    expect(() => parseSearchParams({ q: 'a', page: '600', size: '100' })).to.throw(/page × size/);
    expect(() => parseSearchParams({ q: 'a', minPrice: '9', maxPrice: '1' })).to.throw(/minPrice: must not exceed maxPrice/);
  });

  it('computes the legacy discount rate exactly', () => {
    expect(discountRate('45000.00', '39000.00')).to.equal('13.33');
    expect(discountRate('3.00', '1.00')).to.equal('66.67');
    expect(discountRate('100.00', null)).to.equal('0.00');
  });
});
