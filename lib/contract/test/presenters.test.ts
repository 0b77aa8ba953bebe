import { expect } from 'chai';
import { bookmark, fillDays, like, logEntry, productStat, shopDailyStat } from '../activity.ts';
import { error, fieldErrors } from '../error.ts';
import { page } from '../paging.ts';
import { product, productListItem } from '../product.ts';
import type { ProductListRow, ProductRow, ShopRow } from '../rows.ts';
import { shop, shopAdmin } from '../shop.ts';
import { admin, merchant, session, user } from '../user.ts';

const productRow: ProductRow = {
  id: 7, shop_id: 3, category_id: null, external_id: 'x-7', name: '린넨 셔츠 👕', description: null, price: '39000.00', sale_price: '29250.00',
  currency: 'KRW', status: 'active', attributes: '{"color":"검정"}', like_count: 2, view_count: '10', popularity_score: 1.5, version: 4,
  discount_rate: '25.00', created_at: '2024-01-02 03:04:05.123456', updated_at: '2024-01-03 00:00:00.000000',
};
const listRow: ProductListRow = {
  id: 7, shop_id: 3, shop_name: '샵', category_id: 9, name: 'n', price: '1.5', sale_price: null, discount_rate: '0.00', currency: 'KRW',
  status: 'sold_out', like_count: 0, image_url: null, created_at: '2024-01-02 03:04:05.000001',
};
const shopRow: ShopRow = {
  id: 3, name: '샵', slug: 's', url: null, description: 'd', contract_status: 'active', status: 'open', commission_rate: '10.5',
  follower_count: 1, created_at: '2024-01-01 00:00:00.000000', updated_at: '2024-01-02 00:00:00.000000',
};

describe('legacy contract presenters', () => {
  it('product: camelCase, exact money, images sorted by position then id, shop embedded', () => {
    const p = product(productRow, '샵', [{ id: 2, url: 'b', position: 1 }, { id: 3, url: 'c', position: 0 }, { id: 1, url: 'a', position: 1 }]);
    expect(p).to.deep.equal({
      id: 7, shopId: 3, shop: { id: 3, name: '샵' }, categoryId: null, externalId: 'x-7', name: '린넨 셔츠 👕', description: null,
      price: '39000.00', salePrice: '29250.00', discountRate: '25.00', currency: 'KRW', status: 'active', attributes: { color: '검정' },
      images: [{ url: 'c', position: 0 }, { url: 'a', position: 1 }, { url: 'b', position: 1 }],
      likeCount: 2, viewCount: 10, popularityScore: 1.5, version: 4,
      createdAt: '2024-01-02T03:04:05.123456Z', updatedAt: '2024-01-03T00:00:00.000000Z',
    });
  });

  it('productListItem: lean item with shop {id,name}', () => {
    expect(productListItem(listRow)).to.deep.equal({
      id: 7, name: 'n', price: '1.50', salePrice: null, discountRate: '0.00', currency: 'KRW', status: 'sold_out', imageUrl: null,
      likeCount: 0, categoryId: 9, shop: { id: 3, name: '샵' }, createdAt: '2024-01-02T03:04:05.000001Z',
    });
  });

  it('shop hides contract fields from shoppers; shopAdmin adds them', () => {
    expect(shop(shopRow)).to.deep.equal({ id: 3, name: '샵', slug: 's', url: null, description: 'd', status: 'open', followerCount: 1, createdAt: '2024-01-01T00:00:00.000000Z' });
    expect(shopAdmin(shopRow)).to.deep.include({ contractStatus: 'active', commissionRate: '10.50', updatedAt: '2024-01-02T00:00:00.000000Z' });
  });

  it('user, staff and session shapes never carry password hashes', () => {
    const row = { id: 1, email: 'a@b.c', name: 'A', gender: null, birth_year: '1990', created_at: '2024-01-01 00:00:00', password_hash: 'secret' };
    expect(user(row)).to.deep.equal({ id: 1, email: 'a@b.c', name: 'A', gender: null, birthYear: 1990, createdAt: '2024-01-01T00:00:00.000000Z' });
    expect(admin({ id: 1, email: 'e', name: 'n', role: 'superuser', created_at: '2024-01-01 00:00:00' })).to.have.keys(['id', 'email', 'name', 'role', 'createdAt']);
    expect(merchant({ id: 1, email: 'e', name: 'n', shop_id: 5, created_at: '2024-01-01 00:00:00' }).shopId).to.equal(5);
    expect(session('1.x', 'user', { id: 1 })).to.deep.equal({ token: '1.x', user: { id: 1 } });
  });

  it('like, bookmark, log, stats rows', () => {
    expect(like({ ...listRow, liked_at: '2024-02-01 00:00:00' })).to.deep.include({ productId: 7, likedAt: '2024-02-01T00:00:00.000000Z' });
    expect(bookmark({ ...shopRow, bookmarked_at: '2024-02-01 00:00:00' }).shop.id).to.equal(3);
    expect(logEntry({ id: 1, type: 'search', user_id: null, product_id: null, shop_id: null, query: 'q', meta: '{"total":2}', created_at: '2024-01-01 00:00:00.5' }))
      .to.deep.equal({ id: 1, type: 'search', userId: null, productId: null, shopId: null, query: 'q', meta: { total: 2 }, createdAt: '2024-01-01T00:00:00.500000Z' });
    expect(shopDailyStat({ shop_id: 1, day: '2024-01-01', views: '3', clicks: 0, likes: 1, active_products: 2, computed_at: '2024-01-02 00:00:00' }).views).to.equal(3);
    expect(productStat({ product_id: 1, name: 'n', status: 'active', views: '5', clicks: '1', likes: 0, like_count: 9 })).to.deep.equal({ productId: 1, name: 'n', status: 'active', views: 5, clicks: 1, likes: 0, likeCount: 9 });
  });

  it('fillDays covers every day of the range, month and leap-day boundaries included', () => {
    const out = fillDays('2024-02-28', '2024-03-01', [{ day: '2024-02-29', views: '1', clicks: 0, searches: 0, likes: 0 }]);
    expect(out.map((d) => [d.day, d.views])).to.deep.equal([['2024-02-28', 0], ['2024-02-29', 1], ['2024-03-01', 0]]);
  });

  it('page: hasNext from page*size < total', () => {
    expect(page([1, 2], { page: 1, size: 2 }, 3).page).to.deep.equal({ page: 1, size: 2, total: 3, hasNext: true });
    expect(page([3], { page: 2, size: 2 }, 3).page.hasNext).to.equal(false);
    expect(page([], { page: 5, size: 2 }, 3)).to.deep.equal({ items: [], page: { page: 5, size: 2, total: 3, hasNext: false } });
  });

  it('error body and field errors with dotted paths', () => {
    expect(error('NOT_FOUND', 'gone', 'r1')).to.deep.equal({ error: { code: 'NOT_FOUND', message: 'gone', requestId: 'r1' } });
    expect(fieldErrors([{ path: ['items', 3, 'price'], message: 'bad' }, { path: [], message: 'x' }], 'body'))
      .to.deep.equal([{ field: 'body.items.3.price', message: 'bad' }, { field: 'body', message: 'x' }]);
  });
});
