import { FIXTURE_ADMIN, FIXTURE_MERCHANTS, FIXTURE_OPERATOR, FIXTURE_PASSWORDS, FIXTURE_USERS } from './fixture.ts';

export type TokenName = 'mina' | 'admin' | 'operator' | 'merchant';

/**
 * The parity scenario: client requests (reads, writes, errors, edge cases)
 * sent in this order to both sides. `as: 'mina'` sends the bearer token that
 * side issued at the `login` step (each side has its own token). Every route
 * a service takes over appears here; COVERAGE lists them.
 */
export interface Step {
  name: string;
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  path: string;
  body?: unknown;
  /** raw body text (malformed JSON cases) */
  rawBody?: string;
  headers?: Record<string, string>;
  as?: TokenName | 'bad-token' | 'malformed-auth';
  /** store the response's `token` for later `as` steps */
  captureToken?: TokenName;
}

export const ROUTES = {
  'products.list': 'GET /api/products',
  'products.get': 'GET /api/products/:id',
  'products.click': 'POST /api/products/:id/clicks',
  'shops.list': 'GET /api/shops',
  'shops.get': 'GET /api/shops/:id',
  'users.signup': 'POST /api/users',
  'sessions.create': 'POST /api/sessions',
  'me.get': 'GET /api/me',
  'me.likes.add': 'POST /api/me/likes',
  'me.likes.remove': 'DELETE /api/me/likes/:productId',
  'me.likes.list': 'GET /api/me/likes',
  'me.bookmarks.add': 'POST /api/me/bookmarks',
  'me.bookmarks.remove': 'DELETE /api/me/bookmarks/:shopId',
  'me.bookmarks.list': 'GET /api/me/bookmarks',
  'admin.shops.list': 'GET /admin/shops',
  'admin.shops.create': 'POST /admin/shops',
  'admin.shops.update': 'PATCH /admin/shops/:id',
  'admin.products.bulk': 'POST /admin/products/bulk',
  'admin.products.get': 'GET /admin/products/:id',
  'admin.products.update': 'PATCH /admin/products/:id',
  'admin.products.hide': 'POST /admin/products/:id/hide',
  'admin.products.delete': 'DELETE /admin/products/:id',
  'merchant.shop.get': 'GET /merchant/shop',
  'merchant.shop.update': 'PATCH /merchant/shop',
  'merchant.products.list': 'GET /merchant/products',
  'merchant.products.create': 'POST /merchant/products',
  'merchant.products.get': 'GET /merchant/products/:id',
  'merchant.products.update': 'PATCH /merchant/products/:id',
  'merchant.stats': 'GET /merchant/stats',
} as const;

export type RouteId = keyof typeof ROUTES;

/** Which service edge answers a path (the facade's route table says the same); staff sign-in stays in legacy. */
export function serviceFor(path: string): 'product' | 'shop' | 'user' | 'legacy-admin' | 'legacy-merchant' {
  const p = path.split('?')[0];
  if (p === '/admin/sessions') return 'legacy-admin';
  if (p === '/merchant/sessions') return 'legacy-merchant';
  if (p.startsWith('/api/products') || p.startsWith('/admin/products') || p.startsWith('/merchant/products')) return 'product';
  if (p.startsWith('/api/shops') || p.startsWith('/admin/shops') || p === '/merchant/shop' || p === '/merchant/stats') return 'shop';
  return 'user';
}

/** Which legacy API answers a path. */
export function legacyFor(path: string): 'user' | 'admin' | 'merchant' {
  return path.startsWith('/admin') ? 'admin' : path.startsWith('/merchant') ? 'merchant' : 'user';
}

const login = { email: FIXTURE_USERS[0], password: FIXTURE_PASSWORDS.user };

export const SCENARIO: Step[] = [
  // products.list: sorts, filters, paging, validation
  { name: 'list default', method: 'GET', path: '/api/products' },
  { name: 'list price_asc page 2', method: 'GET', path: '/api/products?sort=price_asc&size=5&page=2' },
  { name: 'list price_desc', method: 'GET', path: '/api/products?sort=price_desc&size=7' },
  { name: 'list popularity by shop', method: 'GET', path: '/api/products?sort=popularity&shopId=2' },
  { name: 'list category + price range', method: 'GET', path: '/api/products?categoryId=3&minPrice=20000&maxPrice=60000.5' },
  { name: 'list closed shop products', method: 'GET', path: '/api/products?shopId=3' },
  { name: 'list past the end', method: 'GET', path: '/api/products?page=999' },
  { name: 'list min > max', method: 'GET', path: '/api/products?minPrice=90000&maxPrice=10' },
  { name: 'list bad size', method: 'GET', path: '/api/products?size=0' },
  { name: 'list size too big', method: 'GET', path: '/api/products?size=101' },
  { name: 'list bad sort', method: 'GET', path: '/api/products?sort=cheapest' },
  { name: 'list bad price', method: 'GET', path: '/api/products?minPrice=12.345' },
  { name: 'list bad shop id', method: 'GET', path: '/api/products?shopId=abc' },
  // products.get
  { name: 'get active', method: 'GET', path: '/api/products/1' },
  { name: 'get with images and no attributes', method: 'GET', path: '/api/products/10' },
  { name: 'get sold out', method: 'GET', path: '/api/products/5' },
  { name: 'get hidden', method: 'GET', path: '/api/products/3' },
  { name: 'get unknown', method: 'GET', path: '/api/products/99999' },
  { name: 'get bad id', method: 'GET', path: '/api/products/abc' },
  { name: 'get zero id', method: 'GET', path: '/api/products/0' },
  { name: 'get with bad token', method: 'GET', path: '/api/products/1', as: 'bad-token' },
  { name: 'get with malformed auth', method: 'GET', path: '/api/products/1', as: 'malformed-auth' },
  // products.click
  { name: 'click', method: 'POST', path: '/api/products/2/clicks', body: { source: 'home' } },
  { name: 'click no body', method: 'POST', path: '/api/products/2/clicks' },
  { name: 'click hidden', method: 'POST', path: '/api/products/3/clicks', body: {} },
  { name: 'click bad body', method: 'POST', path: '/api/products/2/clicks', body: { source: 'x', extra: 1 } },
  { name: 'click malformed json', method: 'POST', path: '/api/products/2/clicks', rawBody: '{"source":', headers: { 'content-type': 'application/json' } },
  // shops
  { name: 'shops', method: 'GET', path: '/api/shops' },
  { name: 'shops page 2 size 1', method: 'GET', path: '/api/shops?size=1&page=2' },
  { name: 'shops bad page', method: 'GET', path: '/api/shops?page=0' },
  { name: 'shop', method: 'GET', path: '/api/shops/1' },
  { name: 'shop with nulls', method: 'GET', path: '/api/shops/2' },
  { name: 'shop pending contract', method: 'GET', path: '/api/shops/4' },
  { name: 'shop terminated', method: 'GET', path: '/api/shops/3' },
  { name: 'shop unknown', method: 'GET', path: '/api/shops/777' },
  { name: 'shop bad id', method: 'GET', path: '/api/shops/-1' },
  // accounts and sessions
  { name: 'sign up', method: 'POST', path: '/api/users', body: { email: ' New.User@Example.com ', password: 'long-enough-1', name: '새 사용자 ✨', gender: 'other', birthYear: 1999 } },
  { name: 'sign up duplicate', method: 'POST', path: '/api/users', body: { email: 'new.user@example.com', password: 'long-enough-1', name: 'dup' } },
  { name: 'sign up invalid', method: 'POST', path: '/api/users', body: { email: 'nope', password: 'short', name: '', birthYear: 1800 } },
  { name: 'sign up unknown field', method: 'POST', path: '/api/users', body: { email: 'x@example.com', password: 'long-enough-1', name: 'x', admin: true } },
  { name: 'sign up no body', method: 'POST', path: '/api/users' },
  { name: 'login wrong password', method: 'POST', path: '/api/sessions', body: { ...login, password: 'wrong-password' } },
  { name: 'login unknown email', method: 'POST', path: '/api/sessions', body: { email: 'ghost@example.com', password: 'whatever-1' } },
  { name: 'login missing password', method: 'POST', path: '/api/sessions', body: { email: login.email } },
  { name: 'login new user', method: 'POST', path: '/api/sessions', body: { email: 'new.user@example.com', password: 'long-enough-1' } },
  { name: 'login', method: 'POST', path: '/api/sessions', body: { ...login, email: ` ${login.email.toUpperCase()} ` }, captureToken: 'mina' },
  { name: 'me without token', method: 'GET', path: '/api/me' },
  { name: 'me malformed auth', method: 'GET', path: '/api/me', as: 'malformed-auth' },
  { name: 'me bad token', method: 'GET', path: '/api/me', as: 'bad-token' },
  { name: 'me', method: 'GET', path: '/api/me', as: 'mina' },
  { name: 'product get as user', method: 'GET', path: '/api/products/2', as: 'mina' },
  // likes
  { name: 'likes', method: 'GET', path: '/api/me/likes', as: 'mina' },
  { name: 'likes unauthenticated', method: 'GET', path: '/api/me/likes' },
  { name: 'like', method: 'POST', path: '/api/me/likes', as: 'mina', body: { productId: 7 } },
  { name: 'like again', method: 'POST', path: '/api/me/likes', as: 'mina', body: { productId: 7 } },
  { name: 'like sold out', method: 'POST', path: '/api/me/likes', as: 'mina', body: { productId: 11 } },
  { name: 'like hidden', method: 'POST', path: '/api/me/likes', as: 'mina', body: { productId: 9 } },
  { name: 'like unknown', method: 'POST', path: '/api/me/likes', as: 'mina', body: { productId: 4242 } },
  { name: 'like bad body', method: 'POST', path: '/api/me/likes', as: 'mina', body: { productId: 'seven' } },
  { name: 'likes after', method: 'GET', path: '/api/me/likes', as: 'mina' },
  { name: 'likes page 2 size 2', method: 'GET', path: '/api/me/likes?size=2&page=2', as: 'mina' },
  { name: 'product like count', method: 'GET', path: '/api/products/7' },
  { name: 'unlike', method: 'DELETE', path: '/api/me/likes/7', as: 'mina' },
  { name: 'unlike again', method: 'DELETE', path: '/api/me/likes/7', as: 'mina' },
  { name: 'unlike bad id', method: 'DELETE', path: '/api/me/likes/x', as: 'mina' },
  { name: 'product like count after', method: 'GET', path: '/api/products/7' },
  { name: 'list after likes', method: 'GET', path: '/api/products?sort=popularity&size=30' },
  // bookmarks
  { name: 'bookmarks', method: 'GET', path: '/api/me/bookmarks', as: 'mina' },
  { name: 'bookmark', method: 'POST', path: '/api/me/bookmarks', as: 'mina', body: { shopId: 2 } },
  { name: 'bookmark again', method: 'POST', path: '/api/me/bookmarks', as: 'mina', body: { shopId: 2 } },
  { name: 'bookmark pending shop', method: 'POST', path: '/api/me/bookmarks', as: 'mina', body: { shopId: 4 } },
  { name: 'bookmark unknown', method: 'POST', path: '/api/me/bookmarks', as: 'mina', body: { shopId: 404 } },
  { name: 'bookmarks after', method: 'GET', path: '/api/me/bookmarks', as: 'mina' },
  { name: 'shop follower count', method: 'GET', path: '/api/shops/2' },
  { name: 'unbookmark', method: 'DELETE', path: '/api/me/bookmarks/2', as: 'mina' },
  { name: 'unbookmark again', method: 'DELETE', path: '/api/me/bookmarks/2', as: 'mina' },
  { name: 'shop follower count after', method: 'GET', path: '/api/shops/2' },
  { name: 'unknown route', method: 'GET', path: '/api/products/1/nothing' },
  // staff sign-in (legacy on both sides)
  { name: 'admin login', method: 'POST', path: '/admin/sessions', body: { email: FIXTURE_ADMIN, password: FIXTURE_PASSWORDS.admin }, captureToken: 'admin' },
  { name: 'operator login', method: 'POST', path: '/admin/sessions', body: { email: FIXTURE_OPERATOR, password: FIXTURE_PASSWORDS.admin }, captureToken: 'operator' },
  { name: 'merchant login', method: 'POST', path: '/merchant/sessions', body: { email: FIXTURE_MERCHANTS[0], password: FIXTURE_PASSWORDS.merchant }, captureToken: 'merchant' },
  // admin shops
  { name: 'admin shops', method: 'GET', path: '/admin/shops', as: 'admin' },
  { name: 'admin shops filtered', method: 'GET', path: '/admin/shops?contractStatus=active&q=mall', as: 'admin' },
  { name: 'admin shops closed', method: 'GET', path: '/admin/shops?status=closed&size=1', as: 'operator' },
  { name: 'admin shops bad filter', method: 'GET', path: '/admin/shops?contractStatus=maybe', as: 'admin' },
  { name: 'admin shops no token', method: 'GET', path: '/admin/shops' },
  { name: 'admin shops merchant token', method: 'GET', path: '/admin/shops', as: 'merchant' },
  { name: 'admin shops shopper token', method: 'GET', path: '/admin/shops', as: 'mina' },
  { name: 'admin shop create', method: 'POST', path: '/admin/shops', as: 'admin', body: { name: '새 가게', slug: 'new-shop', url: 'https://new.example', commissionRate: 9.5 } },
  { name: 'admin shop create duplicate', method: 'POST', path: '/admin/shops', as: 'admin', body: { name: 'again', slug: 'new-shop' } },
  { name: 'admin shop create invalid', method: 'POST', path: '/admin/shops', as: 'admin', body: { name: '', slug: 'Bad Slug', commissionRate: '100.01' } },
  { name: 'admin shop update', method: 'PATCH', path: '/admin/shops/2', as: 'admin', body: { commissionRate: '11.5', contractStatus: 'suspended', description: '정지 ⛔' } },
  { name: 'admin shop update unknown', method: 'PATCH', path: '/admin/shops/999', as: 'admin', body: { name: 'x' } },
  { name: 'admin shop update empty', method: 'PATCH', path: '/admin/shops/1', as: 'admin', body: {} },
  { name: 'admin shop update slug taken', method: 'PATCH', path: '/admin/shops/1', as: 'admin', body: { slug: 'mixxo' } },
  { name: 'shops after suspension', method: 'GET', path: '/api/shops' },
  // admin products
  { name: 'admin product hidden', method: 'GET', path: '/admin/products/3', as: 'admin' },
  { name: 'admin product unknown', method: 'GET', path: '/admin/products/999', as: 'admin' },
  { name: 'admin product update', method: 'PATCH', path: '/admin/products/1', as: 'admin', body: { name: '트위드 자켓 (수정)', price: '59000', salePrice: 49000.5, images: ['https://img.example/new/1.jpg', 'https://img.example/new/0.jpg'], attributes: { fit: 'oversized 🧥' } } },
  { name: 'admin product update sale > price', method: 'PATCH', path: '/admin/products/4', as: 'admin', body: { salePrice: '999999' } },
  { name: 'admin product update bad category', method: 'PATCH', path: '/admin/products/4', as: 'admin', body: { categoryId: 999 } },
  { name: 'admin product update unknown field', method: 'PATCH', path: '/admin/products/4', as: 'admin', body: { likeCount: 5 } },
  { name: 'admin product hide', method: 'POST', path: '/admin/products/2/hide', as: 'admin' },
  { name: 'admin product hide unknown', method: 'POST', path: '/admin/products/999/hide', as: 'admin' },
  { name: 'admin product delete as operator', method: 'DELETE', path: '/admin/products/6', as: 'operator' },
  { name: 'admin product delete', method: 'DELETE', path: '/admin/products/6', as: 'admin' },
  { name: 'admin product delete again', method: 'DELETE', path: '/admin/products/6', as: 'admin' },
  // crawler bulk upload
  { name: 'bulk upsert', method: 'POST', path: '/admin/products/bulk', as: 'admin', body: { items: [
    { shopId: 1, externalId: 'crawl-1', name: '크롤 니트 🧶', price: '29000', categoryId: 1, images: ['https://img.example/c1/0.jpg', 'https://img.example/c1/1.jpg'] },
    { shopId: 2, externalId: 'ext-2-1', name: 'Linen Shirt 1 (crawled)', price: 10000, salePrice: 9000, status: 'sold_out', attributes: { season: 'SS' } },
    { shopId: 1, externalId: 'ext-1-3', name: '플리츠 스커트 🌸 3', price: '34000', images: [] },
    { shopId: 3, externalId: 'crawl-2', name: 'closed shop item', price: '1.5', currency: 'USD' },
  ] } },
  { name: 'bulk upsert again (unchanged + one image change)', method: 'POST', path: '/admin/products/bulk', as: 'admin', body: { items: [
    { shopId: 1, externalId: 'crawl-1', name: '크롤 니트 🧶', price: '29000', categoryId: 1, images: ['https://img.example/c1/1.jpg', 'https://img.example/c1/0.jpg'] },
    { shopId: 3, externalId: 'crawl-2', name: 'closed shop item', price: '1.50', currency: 'USD' },
  ] } },
  { name: 'bulk duplicate keys and unknown references', method: 'POST', path: '/admin/products/bulk', as: 'admin', body: { items: [
    { shopId: 1, externalId: 'x', name: 'a', price: 1 }, { shopId: 1, externalId: 'x', name: 'b', price: 1 },
    { shopId: 99, externalId: 'y', name: 'c', price: 1 }, { shopId: 2, externalId: 'z', name: 'd', price: 1, categoryId: 77 },
  ] } },
  { name: 'bulk invalid items', method: 'POST', path: '/admin/products/bulk', as: 'admin', body: { items: [{ shopId: 1, externalId: '', name: 'x', price: 5, salePrice: 6, status: 'hidden' }] } },
  { name: 'bulk empty', method: 'POST', path: '/admin/products/bulk', as: 'admin', body: { items: [] } },
  { name: 'bulk as merchant', method: 'POST', path: '/admin/products/bulk', as: 'merchant', body: { items: [] } },
  { name: 'list after admin edits', method: 'GET', path: '/api/products?size=50' },
  { name: 'product after admin edit', method: 'GET', path: '/api/products/1' },
  { name: 'likes after product hidden and deleted', method: 'GET', path: '/api/me/likes', as: 'mina' },
  // merchant (owner of shop 1)
  { name: 'merchant shop', method: 'GET', path: '/merchant/shop', as: 'merchant' },
  { name: 'merchant shop admin token', method: 'GET', path: '/merchant/shop', as: 'admin' },
  { name: 'merchant shop update', method: 'PATCH', path: '/merchant/shop', as: 'merchant', body: { description: '새 시즌 🍂', url: null, status: 'open' } },
  { name: 'merchant shop update forbidden field', method: 'PATCH', path: '/merchant/shop', as: 'merchant', body: { slug: 'mine' } },
  { name: 'merchant products', method: 'GET', path: '/merchant/products', as: 'merchant' },
  { name: 'merchant products hidden', method: 'GET', path: '/merchant/products?status=hidden&size=2', as: 'merchant' },
  { name: 'merchant products search', method: 'GET', path: '/merchant/products?q=%EC%9E%90%EC%BC%93', as: 'merchant' },
  { name: 'merchant products bad status', method: 'GET', path: '/merchant/products?status=gone', as: 'merchant' },
  { name: 'merchant product create', method: 'POST', path: '/merchant/products', as: 'merchant', body: { externalId: 'm-1', name: '신상 원피스 👗', price: 45000, salePrice: '39000', categoryId: 2, attributes: { sizes: ['S'] }, images: ['https://img.example/m1.jpg'] } },
  { name: 'merchant product create duplicate', method: 'POST', path: '/merchant/products', as: 'merchant', body: { externalId: 'm-1', name: 'dup', price: 1 } },
  { name: 'merchant product create invalid', method: 'POST', path: '/merchant/products', as: 'merchant', body: { externalId: '', name: 'x', price: -1, currency: 'won' } },
  { name: 'merchant product other shop', method: 'GET', path: '/merchant/products/1', as: 'merchant' },
  { name: 'merchant product own hidden', method: 'GET', path: '/merchant/products/3', as: 'merchant' },
  { name: 'merchant product update', method: 'PATCH', path: '/merchant/products/3', as: 'merchant', body: { status: 'active', description: null } },
  { name: 'merchant product update other shop', method: 'PATCH', path: '/merchant/products/1', as: 'merchant', body: { status: 'active' } },
  { name: 'merchant products after', method: 'GET', path: '/merchant/products?size=50', as: 'merchant' },
  { name: 'list after merchant edits', method: 'GET', path: '/api/products?shopId=1&sort=price_desc' },
  // merchant stats (shop 1): seeded March 2024 views/likes (product 6, deleted above, counts in totals only), plus today's
  { name: 'view for stats', method: 'GET', path: '/api/products/12' },
  { name: 'like for stats', method: 'POST', path: '/api/me/likes', as: 'mina', body: { productId: 24 } },
  { name: 'merchant stats default window', method: 'GET', path: '/merchant/stats', as: 'merchant' },
  { name: 'merchant stats march', method: 'GET', path: '/merchant/stats?from=2024-03-01&to=2024-03-31', as: 'merchant' },
  { name: 'merchant stats march page 2 size 3', method: 'GET', path: '/merchant/stats?from=2024-03-01&to=2024-03-31&size=3&page=2', as: 'merchant' },
  { name: 'merchant stats one day', method: 'GET', path: '/merchant/stats?from=2024-03-08&to=2024-03-08', as: 'merchant' },
  { name: 'merchant stats from only', method: 'GET', path: '/merchant/stats?from=2024-03-05', as: 'merchant' },
  { name: 'merchant stats to only', method: 'GET', path: '/merchant/stats?to=2024-03-12&size=4', as: 'merchant' },
  { name: 'merchant stats a year', method: 'GET', path: '/merchant/stats?from=2024-01-01&to=2024-12-31&size=100', as: 'merchant' },
  { name: 'merchant stats past the end', method: 'GET', path: '/merchant/stats?from=2024-03-01&to=2024-03-31&page=99', as: 'merchant' },
  { name: 'merchant stats from after to', method: 'GET', path: '/merchant/stats?from=2024-03-06&to=2024-03-01', as: 'merchant' },
  { name: 'merchant stats range too long', method: 'GET', path: '/merchant/stats?from=2023-01-01&to=2024-03-01', as: 'merchant' },
  { name: 'merchant stats bad date', method: 'GET', path: '/merchant/stats?to=march', as: 'merchant' },
  { name: 'merchant stats impossible date', method: 'GET', path: '/merchant/stats?from=2023-02-29', as: 'merchant' },
  { name: 'merchant stats bad size', method: 'GET', path: '/merchant/stats?size=101', as: 'merchant' },
  { name: 'merchant stats no token', method: 'GET', path: '/merchant/stats' },
  { name: 'merchant stats admin token', method: 'GET', path: '/merchant/stats', as: 'admin' },
  { name: 'merchant stats shopper token', method: 'GET', path: '/merchant/stats', as: 'mina' },
];

/** Route ids the scenario exercises (checked by the suite against ROUTES: full coverage). */
export function coveredRoutes(steps: Step[] = SCENARIO): Set<RouteId> {
  const out = new Set<RouteId>();
  for (const s of steps) {
    const path = s.path.split('?')[0];
    for (const [id, spec] of Object.entries(ROUTES) as [RouteId, string][]) {
      const [m, pattern] = spec.split(' ');
      const re = new RegExp(`^${pattern.replace(/:[A-Za-z]+/g, '[^/]+')}$`);
      if (m === s.method && re.test(path)) out.add(id);
    }
  }
  return out;
}
