import type { Knex } from '../../lib/db.ts';
import { hashPassword } from '../../lib/password.ts';

/**
 * The deterministic fixture both sides of the parity suite are seeded with:
 * explicit ids and timestamps (nothing from the clock or a RNG), so two
 * databases seeded by it are identical row for row. It carries the edge
 * cases the contract must survive: Korean and emoji text, NULLs, JSON
 * attributes, sale prices, hidden/sold-out products, a closed shop, and
 * views/clicks/likes of shop 1 in March 2024 for the merchant report.
 */
export const FIXTURE_PASSWORDS = { user: 'user-pass-1', admin: 'admin-pass-1', merchant: 'merchant-pass-1' } as const;
export const FIXTURE_USERS = ['mina@example.com', 'joon@example.com', 'sora@example.com'];
export const FIXTURE_ADMIN = 'admin@example.com';
export const FIXTURE_OPERATOR = 'operator@example.com';
export const FIXTURE_MERCHANTS = ['owner1@example.com', 'owner2@example.com'];

// Cheap scrypt parameters (still the real format) and fixed salts: identical hashes on both sides, fast seeding.
const FAST = { N: 1024, r: 8, p: 1 };
const salt = (n: number) => Buffer.alloc(16, n);

const ts = (day: number, sec = 0) => {
  const d = new Date(Date.UTC(2024, 0, 1) + day * 86_400_000 + sec * 1000);
  return d.toISOString().replace('T', ' ').replace('Z', '').replace(/\.(\d{3})$/, `.$1${String(day % 1000).padStart(3, '0')}`);
};

export interface FixtureSummary {
  shops: number;
  products: number;
  users: number;
}

export async function seedFixture(knex: Knex): Promise<FixtureSummary> {
  const userHash = await hashPassword(FIXTURE_PASSWORDS.user, FAST, salt(1));
  const adminHash = await hashPassword(FIXTURE_PASSWORDS.admin, FAST, salt(2));
  const merchantHash = await hashPassword(FIXTURE_PASSWORDS.merchant, FAST, salt(3));

  await knex('categories').insert([
    { id: 1, parent_id: null, name: '아우터', slug: 'outer' },
    { id: 2, parent_id: null, name: '상의', slug: 'tops' },
    { id: 3, parent_id: 2, name: '블라우스', slug: 'blouse' },
  ]);
  const shops = [
    { id: 1, name: '스타일난다', slug: 'stylenanda', url: 'https://stylenanda.example', description: '서울 감성 🖤', contract_status: 'active', status: 'open', commission_rate: '12.50', follower_count: 1200 },
    { id: 2, name: 'Mixxo Mall', slug: 'mixxo', url: null, description: null, contract_status: 'active', status: 'open', commission_rate: '10.00', follower_count: 0 },
    { id: 3, name: '닫힌 가게', slug: 'closed-shop', url: 'https://closed.example', description: 'closed for good', contract_status: 'terminated', status: 'closed', commission_rate: '8.00', follower_count: 5 },
    { id: 4, name: 'Pending Boutique', slug: 'pending-boutique', url: null, description: '입점 대기', contract_status: 'pending', status: 'open', commission_rate: '10.00', follower_count: 0 },
  ].map((s, i) => ({ ...s, created_at: ts(i, 1), updated_at: ts(i + 10, 2) }));
  await knex('shops').insert(shops);
  await knex('admins').insert([
    { id: 1, email: FIXTURE_ADMIN, password_hash: adminHash, name: '운영자', role: 'superuser', created_at: ts(0) },
    { id: 2, email: FIXTURE_OPERATOR, password_hash: adminHash, name: 'Operator Kim', role: 'operator', created_at: ts(1) },
  ]);
  await knex('merchants').insert(FIXTURE_MERCHANTS.map((email, i) => ({ id: i + 1, shop_id: i + 1, email, password_hash: merchantHash, name: `사장님 ${i + 1}`, created_at: ts(i) })));

  const statuses = ['active', 'active', 'active', 'hidden', 'active', 'sold_out'] as const;
  const names = ['트위드 자켓', 'Linen Shirt', '플리츠 스커트 🌸', 'Denim Jacket', '니트 가디건', 'Silk Blouse', '와이드 슬랙스', 'Basic Tee'];
  const products = [];
  for (let i = 1; i <= 30; i++) {
    const shopId = (i % 3) + 1;
    const price = 10000 + ((i * 7919) % 90) * 1000;
    const sale = i % 4 === 0 ? price - 3000 : i % 7 === 0 ? price : null;
    products.push({
      id: i,
      shop_id: shopId,
      category_id: i % 5 === 0 ? null : (i % 3) + 1,
      external_id: `ext-${shopId}-${i}`,
      name: `${names[i % names.length]} ${i}`,
      description: i % 6 === 0 ? null : `설명 ${i} — "quoted" & <b>tags</b>`,
      price: `${price}.00`,
      sale_price: sale === null ? null : `${sale}.00`,
      currency: 'KRW',
      status: statuses[i % statuses.length],
      attributes: i % 5 === 0 ? null : JSON.stringify({ color: i % 2 ? '블랙' : 'ivory', sizes: ['S', 'M'], emoji: '👗', n: i }),
      like_count: (i * 13) % 50,
      view_count: (i * 101) % 1000,
      popularity_score: ((i * 37) % 100) / 10,
      version: 1 + (i % 3),
      // a few identical timestamps on purpose: sorting must break ties the same way
      created_at: ts(Math.floor(i / 2) + 20, 0),
      updated_at: ts(Math.floor(i / 2) + 40, 5),
    });
  }
  await knex('products').insert(products);
  const images = [];
  let imageId = 1;
  for (let p = 1; p <= 30; p++) {
    for (let k = 0; k < p % 3; k++) images.push({ id: imageId++, product_id: p, url: `https://img.example/p${p}/${k}.jpg`, position: (2 - k) % 3 });
  }
  await knex('product_images').insert(images);

  await knex('users').insert(FIXTURE_USERS.map((email, i) => ({
    id: i + 1, email, password_hash: userHash, name: ['김미나', 'Joon Park', '소라 🌊'][i], gender: (['female', 'male', null] as const)[i],
    birth_year: [1995, null, 2001][i], created_at: ts(i + 2, 3), updated_at: ts(i + 2, 3),
  })));
  await knex('likes').insert([
    { user_id: 1, product_id: 1, created_at: ts(60, 1) },
    { user_id: 1, product_id: 2, created_at: ts(61, 1) },
    { user_id: 1, product_id: 4, created_at: ts(62, 1) },
    { user_id: 2, product_id: 1, created_at: ts(63, 1) },
    // merchant stats of shop 1 (owner1): new likes inside and at the edges of March 2024
    { user_id: 2, product_id: 24, created_at: ts(70, 1) },
    { user_id: 2, product_id: 3, created_at: ts(72, 1) },
    { user_id: 2, product_id: 18, created_at: ts(10, 1) },
    { user_id: 2, product_id: 30, created_at: '2024-03-01 00:00:00.000000' },
    { user_id: 2, product_id: 12, created_at: '2024-02-29 23:59:59.999999' },
  ]);
  await knex('shop_bookmarks').insert([
    { user_id: 1, shop_id: 1, created_at: ts(64, 1) },
    { user_id: 1, shop_id: 3, created_at: ts(65, 1) },
  ]);
  await knex('logs').insert([
    { type: 'view', user_id: 1, product_id: 1, shop_id: 2, created_at: ts(66, 0) },
    { type: 'view', user_id: null, product_id: 2, shop_id: 3, created_at: ts(66, 1) },
    { type: 'click', user_id: 2, product_id: 1, shop_id: 2, created_at: ts(66, 2) },
    // merchant stats of shop 1: equal views broken by likes, a product the scenario deletes (totals only), window edges
    { type: 'view', user_id: 2, product_id: 12, shop_id: 1, created_at: ts(66, 10) },
    { type: 'view', user_id: null, product_id: 12, shop_id: 1, created_at: ts(67, 0) },
    { type: 'click', user_id: null, product_id: 12, shop_id: 1, created_at: ts(67, 1) },
    { type: 'view', user_id: 3, product_id: 24, shop_id: 1, created_at: ts(66, 11) },
    { type: 'view', user_id: null, product_id: 24, shop_id: 1, created_at: ts(68, 0) },
    { type: 'view', user_id: null, product_id: 6, shop_id: 1, created_at: ts(67, 5) },
    { type: 'click', user_id: null, product_id: 6, shop_id: 1, created_at: ts(67, 6) },
    { type: 'view', user_id: null, product_id: 30, shop_id: 1, created_at: '2024-03-31 23:59:59.999999' },
    { type: 'view', user_id: null, product_id: 30, shop_id: 1, created_at: '2024-04-01 00:00:00.000000' },
    { type: 'view', user_id: null, product_id: 18, shop_id: 1, created_at: ts(40, 0) },
  ]);
  return { shops: shops.length, products: products.length, users: FIXTURE_USERS.length };
}
