/**
 * The deterministic data generator: pure functions of (seed, scale, anchor).
 * Every row is derived from its own index (see prng.ts rowRng), so rows come
 * out identical whatever the batch size or insert parallelism, and tables are
 * streamed one row at a time (nothing holds 5 M rows in memory).
 *
 * Ids are assigned here (1-based, dense), so every foreign key is known by
 * construction; counters that mirror other tables (products.like_count and
 * view_count, shops.follower_count) come from a cheap pre-pass (aggregates()).
 */
import { DAY_MS, LOG_WINDOW_DAYS, planCounts, type SeedCounts, type SeedOptions } from './plan.ts';
import { coprimeNear, hash32, rowRng, streamId, type Rng } from './prng.ts';
import {
  ADJECTIVES, CATEGORY_TREE, COLORS, DESCRIPTION_CLOSERS, DESCRIPTION_OPENERS, EMOJI, ENGLISH_NAMES, GIVEN_SYLLABLES, MATERIALS,
  PLATFORMS, REFERRERS, SEARCH_WORDS, SEASONS, SHOP_PREFIXES, SHOP_SUFFIXES, SIZE_SETS, SURNAMES, TAGS,
} from './vocab.ts';
import { DEMO_ADMIN, DEMO_OPERATOR, merchantEmail, userEmail } from './demo.ts';

export type Value = string | number | null;
export type Row = Value[];

/** Column lists, in the order rows are generated. */
export const COLUMNS = {
  categories: ['id', 'parent_id', 'name', 'slug'],
  shops: ['id', 'name', 'slug', 'url', 'description', 'contract_status', 'status', 'commission_rate', 'follower_count', 'created_at', 'updated_at'],
  merchants: ['id', 'shop_id', 'email', 'password_hash', 'name', 'created_at'],
  admins: ['id', 'email', 'password_hash', 'name', 'role', 'created_at'],
  users: ['id', 'email', 'password_hash', 'name', 'gender', 'birth_year', 'created_at', 'updated_at'],
  products: ['id', 'shop_id', 'category_id', 'external_id', 'name', 'description', 'price', 'sale_price', 'currency', 'status', 'attributes',
    'like_count', 'view_count', 'popularity_score', 'version', 'created_at', 'updated_at'],
  product_images: ['id', 'product_id', 'url', 'position'],
  likes: ['id', 'user_id', 'product_id', 'created_at'],
  shop_bookmarks: ['id', 'user_id', 'shop_id', 'created_at'],
  logs: ['id', 'type', 'user_id', 'product_id', 'shop_id', 'query', 'meta', 'created_at'],
} as const;

export type SeedTable = keyof typeof COLUMNS;
/** Insert order: parents before children. */
export const TABLE_ORDER: SeedTable[] = ['categories', 'shops', 'merchants', 'admins', 'users', 'products', 'product_images', 'likes', 'shop_bookmarks', 'logs'];

export interface PasswordHashes {
  user: string;
  admin: string;
  merchant: string;
}

export interface Aggregates {
  likeCounts: Uint32Array;
  viewCounts: Uint32Array;
  followerCounts: Uint32Array;
  likes: number;
  bookmarks: number;
  images: number;
}

export type LogType = 'view' | 'click' | 'search' | 'like';

const S = {
  shop: streamId('shops'), shopOf: streamId('product-shop'), product: streamId('products'), image: streamId('images'),
  user: streamId('users'), userTime: streamId('user-time'), productTime: streamId('product-time'), like: streamId('likes'),
  likeTime: streamId('like-time'), bookmark: streamId('bookmarks'), log: streamId('logs'),
};
const U32 = 4294967296;

/** 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) from fractional epoch milliseconds. */
export function datetime6(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.min(999, Math.round((ms - whole) * 1000));
  const iso = new Date(whole).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(micros).padStart(3, '0')}`;
}

export class SeedGenerator {
  readonly opts: SeedOptions;
  readonly counts: SeedCounts;
  private readonly productPermMul: number;
  private readonly productPermAdd: number;
  private readonly leafCategoryIds: { id: number; items: string[] }[] = [];
  private readonly categoryRows: Row[] = [];

  constructor(opts: SeedOptions) {
    if (!Number.isSafeInteger(opts.seed)) throw new Error(`seed must be an integer, got ${opts.seed}`);
    if (!Number.isFinite(opts.anchorMs)) throw new Error('anchorMs must be a finite number');
    this.opts = opts;
    this.counts = planCounts(opts.scale);
    const P = this.counts.products;
    this.productPermMul = coprimeNear(P, P * 0.6180339887 + (hash32(opts.seed, S.product) % 97));
    this.productPermAdd = hash32(opts.seed, S.product, 1) % P;
    let id = 0;
    for (const top of CATEGORY_TREE) {
      const topId = ++id;
      this.categoryRows.push([topId, null, top.name, top.slug]);
      for (const leaf of top.children) {
        this.categoryRows.push([++id, topId, leaf.name, leaf.slug]);
        this.leafCategoryIds.push({ id, items: leaf.items });
      }
    }
  }

  // ---- relations, pure functions of an index ----------------------------------

  /** Product id (1-based) for a popularity rank (0 = most popular): a scattering bijection. */
  productOfRank(rank: number): number {
    return ((rank * this.productPermMul + this.productPermAdd) % this.counts.products) + 1;
  }

  /** Shop of a product: skewed, so a few shops (shop 1, the demo shop, first) carry many products. */
  shopOfProduct(productId: number): number {
    const x = hash32(this.opts.seed, S.shopOf, productId) / U32;
    return Math.min(this.counts.shops - 1, Math.floor(this.counts.shops * Math.pow(x, 1.6))) + 1;
  }

  productCreatedMs(productId: number): number {
    const P = this.counts.products;
    const jitter = hash32(this.opts.seed, S.productTime, productId) / U32;
    return this.opts.anchorMs - 365 * DAY_MS + ((productId - 1 + jitter) / P) * 364 * DAY_MS;
  }

  userCreatedMs(userId: number): number {
    const U = this.counts.users;
    const jitter = hash32(this.opts.seed, S.userTime, userId) / U32;
    return this.opts.anchorMs - 730 * DAY_MS + ((userId - 1 + jitter) / U) * 729 * DAY_MS;
  }

  /** How many likes user `userId` has and which products: distinct by construction (stride coprime with P). */
  likesOfUser(userId: number): { count: number; start: number; stride: number } {
    const { users: U, products: P, likesTarget: L } = this.counts;
    const F = (x: number) => Math.pow(x, 0.7); // concave: early (older) users like more
    const count = Math.min(P, Math.floor(L * F(userId / U)) - Math.floor(L * F((userId - 1) / U)));
    const rng = rowRng(this.opts.seed, S.like, userId);
    return { count, start: rng.skewed(P, 2), stride: coprimeNear(P, 1 + rng.int(97)) };
  }

  likedProduct(like: { start: number; stride: number }, j: number): number {
    return this.productOfRank((like.start + j * like.stride) % this.counts.products);
  }

  bookmarksOfUser(userId: number): { count: number; start: number; stride: number } {
    const Sh = this.counts.shops;
    const rng = rowRng(this.opts.seed, S.bookmark, userId);
    return { count: rng.int(this.counts.bookmarksPerUserMax + 1), start: rng.skewed(Sh, 1.5), stride: coprimeNear(Sh, 1 + rng.int(7)) };
  }

  imagesOfProduct(productId: number): number {
    return 1 + (hash32(this.opts.seed, S.image, productId) % 3);
  }

  /** The part of log row i the pre-pass needs: its type and product. The rng continues into the rest of the row. */
  logHead(i: number): { rng: Rng; type: LogType; productId: number | null } {
    const rng = rowRng(this.opts.seed, S.log, i);
    const r = rng.next();
    const type: LogType = r < 0.6 ? 'view' : r < 0.85 ? 'click' : r < 0.95 ? 'search' : 'like';
    const productId = type === 'search' ? null : this.productOfRank(rng.skewed(this.counts.products, 2.2));
    return { rng, type, productId };
  }

  /** One pass over the relations to get the mirrored counters and the exact row totals. */
  aggregates(): Aggregates {
    const { products: P, users: U, shops: Sh, logs: N } = this.counts;
    const likeCounts = new Uint32Array(P + 1);
    const viewCounts = new Uint32Array(P + 1);
    const followerCounts = new Uint32Array(Sh + 1);
    let likes = 0;
    let bookmarks = 0;
    let images = 0;
    for (let u = 1; u <= U; u++) {
      const l = this.likesOfUser(u);
      for (let j = 0; j < l.count; j++) likeCounts[this.likedProduct(l, j)]++;
      likes += l.count;
      const b = this.bookmarksOfUser(u);
      for (let j = 0; j < b.count; j++) followerCounts[((b.start + j * b.stride) % Sh) + 1]++;
      bookmarks += b.count;
    }
    for (let i = 0; i < N; i++) {
      const h = this.logHead(i);
      if (h.type === 'view' && h.productId !== null) viewCounts[h.productId]++;
    }
    for (let p = 1; p <= P; p++) images += this.imagesOfProduct(p);
    return { likeCounts, viewCounts, followerCounts, likes, bookmarks, images };
  }

  // ---- tables -------------------------------------------------------------------

  *categories(): Generator<Row> {
    yield* this.categoryRows.map((r) => [...r]);
  }

  *shops(agg: Aggregates): Generator<Row> {
    const { anchorMs, seed } = this.opts;
    for (let id = 1; id <= this.counts.shops; id++) {
      const rng = rowRng(seed, S.shop, id);
      const name = id === 1 ? '지그재그 데모샵 Zigzag Demo' : `${rng.pick(SHOP_PREFIXES)} ${rng.pick(SHOP_SUFFIXES)} ${id}`;
      const r = rng.next();
      const contract = id === 1 || r < 0.85 ? 'active' : r < 0.9 ? 'pending' : r < 0.97 ? 'suspended' : 'terminated';
      const created = anchorMs - 1000 * DAY_MS + rng.next() * 200 * DAY_MS;
      yield [
        id, name, id === 1 ? 'zigzag-demo' : `shop-${id}`, id === 1 || rng.chance(0.9) ? `https://shop${id}.example.com` : null,
        rng.chance(0.3) ? null : `${name} — ${rng.pick(ADJECTIVES)} 스타일 편집샵. Free shipping over 50,000원.`,
        contract, id === 1 || rng.chance(0.95) ? 'open' : 'closed', (5 + rng.int(21) * 0.5).toFixed(2), agg.followerCounts[id],
        datetime6(created), datetime6(created + rng.next() * (anchorMs - created)),
      ];
    }
  }

  *merchants(hashes: PasswordHashes): Generator<Row> {
    for (let shopId = 1; shopId <= this.counts.shops; shopId++) {
      const rng = rowRng(this.opts.seed, S.shop, -shopId);
      yield [shopId, shopId, merchantEmail(shopId), hashes.merchant, shopId === 1 ? '데모샵 사장님' : `${rng.pick(SURNAMES)}${rng.pick(GIVEN_SYLLABLES)}${rng.pick(GIVEN_SYLLABLES)} 대표`,
        datetime6(this.opts.anchorMs - 900 * DAY_MS + shopId * 1000)];
    }
  }

  *admins(hashes: PasswordHashes): Generator<Row> {
    const t = datetime6(this.opts.anchorMs - 1000 * DAY_MS);
    yield [1, DEMO_ADMIN.email, hashes.admin, DEMO_ADMIN.name, 'superuser', t];
    yield [2, DEMO_OPERATOR.email, hashes.admin, DEMO_OPERATOR.name, 'operator', t];
  }

  *users(hashes: PasswordHashes): Generator<Row> {
    for (let id = 1; id <= this.counts.users; id++) {
      const rng = rowRng(this.opts.seed, S.user, id);
      const name = id === 1 ? '데모 사용자' : rng.chance(0.1) ? rng.pick(ENGLISH_NAMES) : `${rng.pick(SURNAMES)}${rng.pick(GIVEN_SYLLABLES)}${rng.pick(GIVEN_SYLLABLES)}`;
      const g = rng.next();
      const gender = g < 0.7 ? 'female' : g < 0.9 ? 'male' : g < 0.93 ? 'other' : null;
      const created = this.userCreatedMs(id);
      yield [id, userEmail(id), hashes.user, name, gender, rng.chance(0.15) ? null : rng.between(1975, 2008), datetime6(created),
        datetime6(created + rng.next() * (this.opts.anchorMs - created))];
    }
  }

  productName(rng: Rng, items: string[]): string {
    const parts: string[] = [];
    if (rng.chance(0.2)) parts.push(rng.pick(TAGS));
    parts.push(rng.pick(ADJECTIVES));
    if (rng.chance(0.4)) parts.push(rng.pick(ADJECTIVES));
    if (rng.chance(0.5)) parts.push(rng.pick(COLORS));
    parts.push(rng.pick(items));
    if (rng.chance(0.12)) parts.push(rng.pick(EMOJI));
    return parts.join(' ');
  }

  *products(agg: Aggregates): Generator<Row> {
    const { anchorMs, seed } = this.opts;
    for (let id = 1; id <= this.counts.products; id++) {
      const rng = rowRng(seed, S.product, id);
      const leaf = rng.pick(this.leafCategoryIds);
      const price = rng.between(59, 1890) * 100;
      const sale = rng.chance(0.3) ? Math.max(100, Math.min(price - 100, Math.round((price * (0.5 + rng.next() * 0.45)) / 100) * 100)) : null;
      const s = rng.next();
      const attributes = rng.chance(0.05) ? null : JSON.stringify({
        color: rng.pick(COLORS), sizes: rng.pick(SIZE_SETS), material: rng.pick(MATERIALS), season: rng.pick(SEASONS),
        ...(rng.chance(0.3) ? { fit: rng.pick(['regular', 'oversized', 'slim']) } : {}),
      });
      const created = this.productCreatedMs(id);
      yield [
        id, this.shopOfProduct(id), rng.chance(0.04) ? null : leaf.id, `ZZ-${id}`, this.productName(rng, leaf.items),
        rng.chance(0.25) ? null : `${rng.pick(DESCRIPTION_OPENERS)} ${rng.pick(DESCRIPTION_CLOSERS)}`,
        `${price}.00`, sale === null ? null : `${sale}.00`, 'KRW', s < 0.88 ? 'active' : s < 0.93 ? 'hidden' : 'sold_out', attributes,
        agg.likeCounts[id], agg.viewCounts[id], 0, 1 + rng.int(3), datetime6(created), datetime6(created + rng.next() * (anchorMs - created)),
      ];
    }
  }

  *productImages(): Generator<Row> {
    let id = 0;
    for (let p = 1; p <= this.counts.products; p++) {
      const n = this.imagesOfProduct(p);
      for (let pos = 0; pos < n; pos++) yield [++id, p, `https://img.zigzag.test/products/${p}/${pos}.jpg`, pos];
    }
  }

  *likes(): Generator<Row> {
    const { anchorMs, seed } = this.opts;
    let id = 0;
    for (let u = 1; u <= this.counts.users; u++) {
      const l = this.likesOfUser(u);
      if (l.count === 0) continue;
      const userCreated = this.userCreatedMs(u);
      for (let j = 0; j < l.count; j++) {
        const p = this.likedProduct(l, j);
        const lo = Math.max(userCreated, this.productCreatedMs(p), anchorMs - 90 * DAY_MS);
        const x = hash32(seed, S.likeTime, u, j) / U32;
        yield [++id, u, p, datetime6(lo + x * (anchorMs - lo))];
      }
    }
  }

  *shopBookmarks(): Generator<Row> {
    const { anchorMs, seed } = this.opts;
    const Sh = this.counts.shops;
    let id = 0;
    for (let u = 1; u <= this.counts.users; u++) {
      const b = this.bookmarksOfUser(u);
      const created = this.userCreatedMs(u);
      for (let j = 0; j < b.count; j++) {
        const x = hash32(seed, S.bookmark, u, j) / U32;
        yield [++id, u, ((b.start + j * b.stride) % Sh) + 1, datetime6(created + x * (anchorMs - created))];
      }
    }
  }

  /** Event log in time order (ids grow with time, as an append-only log does), spread over the 30 days before the anchor. */
  *logs(): Generator<Row> {
    const { logs: N, users: U } = this.counts;
    const start = this.opts.anchorMs - LOG_WINDOW_DAYS * DAY_MS;
    const step = (LOG_WINDOW_DAYS * DAY_MS) / N;
    for (let i = 0; i < N; i++) {
      const { rng, type, productId } = this.logHead(i);
      const at = start + (i + rng.next()) * step;
      const userId = rng.chance(0.3) ? null : rng.skewed(U, 1.5) + 1;
      const platform = rng.pick(PLATFORMS);
      if (type === 'search') {
        const q = rng.chance(0.3) ? `${rng.pick(SEARCH_WORDS)} ${rng.pick(SEARCH_WORDS)}` : rng.pick(SEARCH_WORDS);
        yield [i + 1, type, userId, null, null, q, JSON.stringify({ platform, results: rng.int(500) }), datetime6(at)];
      } else {
        yield [i + 1, type, userId, productId, this.shopOfProduct(productId!), null, JSON.stringify({ platform, ref: rng.pick(REFERRERS) }), datetime6(at)];
      }
    }
  }

  /** Rows of one table as a stream. */
  rows(table: SeedTable, agg: Aggregates, hashes: PasswordHashes): Generator<Row> {
    switch (table) {
      case 'categories': return this.categories();
      case 'shops': return this.shops(agg);
      case 'merchants': return this.merchants(hashes);
      case 'admins': return this.admins(hashes);
      case 'users': return this.users(hashes);
      case 'products': return this.products(agg);
      case 'product_images': return this.productImages();
      case 'likes': return this.likes();
      case 'shop_bookmarks': return this.shopBookmarks();
      case 'logs': return this.logs();
    }
  }

  /** Exact row count per table (needs the aggregates' totals). */
  rowCounts(agg: Aggregates): Record<SeedTable, number> {
    const c = this.counts;
    return {
      categories: c.categories, shops: c.shops, merchants: c.merchants, admins: c.admins, users: c.users, products: c.products,
      product_images: agg.images, likes: agg.likes, shop_bookmarks: agg.bookmarks, logs: c.logs,
    };
  }
}
