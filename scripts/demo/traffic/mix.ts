/**
 * What each kind of client does and how often: weighted action mixes and
 * think times. Pure (randomness is passed in), unit-tested.
 */
export type Weights<A extends string> = Readonly<Record<A, number>>;

export const SHOPPER_ACTIONS = ['browse', 'filter', 'get', 'click', 'search', 'shops', 'shop', 'like', 'unlike', 'likes', 'bookmark', 'unbookmark', 'me', 'login'] as const;
export type ShopperAction = (typeof SHOPPER_ACTIONS)[number];
export const ADMIN_ACTIONS = ['shops', 'bulk', 'update', 'hide', 'product', 'users', 'login'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];
export const MERCHANT_ACTIONS = ['products', 'product', 'edit', 'create', 'stats', 'shop', 'login'] as const;
export type MerchantAction = (typeof MERCHANT_ACTIONS)[number];

/** A shopping app session: mostly browsing, some searching, a few likes and bookmarks. */
export const SHOPPER_MIX: Weights<ShopperAction> = {
  browse: 24, filter: 10, get: 22, click: 5, search: 9, shops: 4, shop: 4, like: 6, unlike: 3, likes: 5, bookmark: 2, unbookmark: 1, me: 3, login: 2,
};
/** Operators: reading shop lists, crawled uploads, fixes and hides. */
export const ADMIN_MIX: Weights<AdminAction> = { shops: 25, bulk: 15, update: 20, hide: 8, product: 20, users: 10, login: 2 };
/** Shop owners: their product list, edits, the stats page. */
export const MERCHANT_MIX: Weights<MerchantAction> = { products: 30, product: 20, edit: 20, create: 5, stats: 15, shop: 8, login: 2 };

/** Validates a mix: every weight finite and ≥ 0, at least one positive. Returns the problems. */
export function mixProblems<A extends string>(w: Weights<A>): string[] {
  const problems: string[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(w) as [string, number][]) {
    if (!Number.isFinite(v) || v < 0) problems.push(`${k}: weight must be a finite number ≥ 0`);
    else total += v;
  }
  if (total <= 0) problems.push('(mix): needs at least one positive weight');
  return problems;
}

/** Picks an action for a uniform r in [0, 1). */
export function pickWeighted<A extends string>(w: Weights<A>, r: number): A {
  const entries = (Object.entries(w) as [A, number][]).filter(([, v]) => v > 0);
  const total = entries.reduce((n, [, v]) => n + v, 0);
  if (entries.length === 0 || total <= 0) throw new Error('pickWeighted: no positive weight');
  let x = Math.min(Math.max(r, 0), 0.999999999) * total;
  for (const [a, v] of entries) {
    if (x < v) return a;
    x -= v;
  }
  return entries[entries.length - 1][0];
}

/** Think time between two requests of one client: uniform in [min, max] ms. */
export function thinkTimeMs(r: number, min: number, max: number): number {
  return Math.round(min + Math.min(Math.max(r, 0), 1) * Math.max(0, max - min));
}

export interface ClientCounts {
  shoppers: number;
  admins: number;
  merchants: number;
}

/** Client counts for a load level: roughly the story's ratio of app users to web staff. */
export function clientCounts(level: number): ClientCounts {
  if (!Number.isFinite(level) || level <= 0) throw new Error('load level must be a positive number');
  return { shoppers: Math.max(1, Math.round(6 * level)), admins: Math.max(1, Math.round(level)), merchants: Math.max(1, Math.round(2 * level)) };
}
