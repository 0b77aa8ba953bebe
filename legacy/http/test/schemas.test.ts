import { expect } from 'chai';
import { bulkBody, dailyStatsQuery, logQuery, shopCreate } from '../../../lib/contract/schemas/admin-api.ts';
import { statsQuery } from '../../../lib/contract/schemas/merchant-api.ts';
import { productListQuery, searchQuery, signUpBody } from '../../../lib/contract/schemas/user-api.ts';
import { email, money, productCreate, productPatch } from '../../../lib/contract/schemas/common.ts';
import { addDays, daysBetween, instantToDb } from '../../../lib/contract/time.ts';

const fails = (r: { success: boolean }) => expect(r.success).to.equal(false);

describe('legacy input validators', () => {
  it('money: numbers or strings, ≥ 0, ≤ 2 decimals, 10 integer digits, normalised to two decimals', () => {
    expect(money.parse(19900)).to.equal('19900.00');
    expect(money.parse('0.5')).to.equal('0.50');
    expect(money.parse(' 12.34 ')).to.equal('12.34');
    expect(money.parse('9999999999.99')).to.equal('9999999999.99');
    for (const bad of [-1, '1.234', '1e5', 1e21, '', 'abc', '12345678901', null]) fails(money.safeParse(bad));
  });

  it('email is trimmed and checked', () => {
    expect(email.parse(' a@b.co ')).to.equal('a@b.co');
    fails(email.safeParse('nope'));
  });

  it('product create/patch: required fields, sale ≤ price, strict keys, non-empty patch', () => {
    expect(productCreate.parse({ externalId: 'e', name: 'n', price: 10, salePrice: '10' })).to.deep.include({ price: '10.00', salePrice: '10.00' });
    fails(productCreate.safeParse({ externalId: 'e', name: 'n', price: '10', salePrice: '10.01' }));
    fails(productCreate.safeParse({ externalId: 'e', name: 'n' }));
    fails(productCreate.safeParse({ externalId: 'e', name: 'n', price: 1, shopId: 2 }));
    fails(productPatch.safeParse({}));
    fails(productPatch.safeParse({ images: ['not a url'] }));
    expect(productPatch.parse({ status: 'hidden' })).to.deep.equal({ status: 'hidden' });
  });

  it('list query: defaults, coercion, bounds and price range order', () => {
    expect(productListQuery.parse({})).to.deep.equal({ sort: 'newest', page: 1, size: 20 });
    expect(productListQuery.parse({ shopId: '3', minPrice: '10', maxPrice: '10', size: '100' })).to.deep.include({ shopId: 3, minPrice: '10.00', maxPrice: '10.00', size: 100 });
    for (const q of [{ size: '101' }, { page: '0' }, { sort: 'random' }, { minPrice: '20', maxPrice: '10' }, { shopId: ['1', '2'] }]) fails(productListQuery.safeParse(q));
    fails(searchQuery.safeParse({ q: ' ' }));
    expect(searchQuery.parse({ q: ' 셔츠 ' }).q).to.equal('셔츠');
  });

  it('sign-up, shop create, bulk', () => {
    fails(signUpBody.safeParse({ email: 'a@b.co', password: 'short', name: 'n' }));
    fails(shopCreate.safeParse({ name: 'n', slug: 'Bad Slug' }));
    fails(shopCreate.safeParse({ name: 'n', slug: 'ok', commissionRate: '100.01' }));
    expect(shopCreate.parse({ name: 'n', slug: 'ok-1', commissionRate: 100 }).commissionRate).to.equal('100.00');
    const item = { shopId: 1, externalId: 'e', name: 'n', price: 1 };
    expect(bulkBody.parse({ items: [item] }).items[0].price).to.equal('1.00');
    fails(bulkBody.safeParse({ items: [{ ...item, status: 'hidden' }] }));
    fails(bulkBody.safeParse({ items: Array.from({ length: 1001 }, () => item) }));
  });

  it('instants: UTC days or ISO timestamps with Z, microseconds kept; real dates only', () => {
    expect(instantToDb('2024-03-01')).to.equal('2024-03-01 00:00:00.000000');
    expect(instantToDb('2024-03-01T10:00:00.000002Z')).to.equal('2024-03-01 10:00:00.000002');
    expect(instantToDb('2024-03-01T10:00:00Z')).to.equal('2024-03-01 10:00:00.000000');
    for (const bad of ['2024-02-30', '2024-03-01T25:00:00Z', '2024-03-01T10:00:00+09:00', 'today']) expect(instantToDb(bad), bad).to.equal(null);
    fails(logQuery.safeParse({ from: '2024-03-02', to: '2024-03-01' }));
  });

  it('report ranges: from ≤ to and at most 366 days', () => {
    expect(daysBetween('2024-01-01', '2024-12-31')).to.equal(365);
    expect(addDays('2024-02-28', 1)).to.equal('2024-02-29');
    expect(dailyStatsQuery.safeParse({ from: '2024-01-01', to: '2024-12-31' }).success).to.equal(true);
    fails(dailyStatsQuery.safeParse({ from: '2024-01-01', to: '2025-01-01' }));
    fails(dailyStatsQuery.safeParse({ from: '2024-01-02', to: '2024-01-01' }));
    expect(statsQuery.parse({})).to.deep.equal({ page: 1, size: 20 });
  });
});
