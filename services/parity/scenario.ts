import { FIXTURE_PASSWORDS, FIXTURE_USERS } from './fixture.ts';

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
  as?: 'mina' | 'bad-token' | 'malformed-auth';
  /** store the response's `token` for later `as` steps */
  captureToken?: 'mina';
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
} as const;

export type RouteId = keyof typeof ROUTES;

/** Which service edge answers a path (the facade's route table says the same). */
export function serviceFor(path: string): 'product' | 'shop' | 'user' {
  if (path.startsWith('/api/products')) return 'product';
  if (path.startsWith('/api/shops')) return 'shop';
  return 'user';
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
