import { expect } from 'chai';
import { COLUMNS, SeedGenerator, TABLE_ORDER, datetime6, type Row } from '../generate.ts';
import { planCounts } from '../plan.ts';
import { Rng, coprimeNear, gcd, hash32, rowRng } from '../prng.ts';

const ANCHOR = Date.UTC(2026, 0, 31, 12, 0, 0);
const HASHES = { user: 'scrypt$u', admin: 'scrypt$a', merchant: 'scrypt$m' };

function allRows(g: SeedGenerator): Record<string, Row[]> {
  const agg = g.aggregates();
  const out: Record<string, Row[]> = {};
  for (const t of TABLE_ORDER) out[t] = [...g.rows(t, agg, HASHES)];
  return out;
}
const col = (table: keyof typeof COLUMNS, name: string) => (COLUMNS[table] as readonly string[]).indexOf(name);

describe('seed: prng', () => {
  it('mulberry32 streams are reproducible and uniform enough', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 10000 }, () => a.next());
    expect(xs.slice(0, 5)).to.deep.equal(Array.from({ length: 5 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).to.be.closeTo(0.5, 0.02);
    expect(Math.min(...xs)).to.be.at.least(0);
    expect(Math.max(...xs)).to.be.below(1);
  });
  it('row generators depend on (seed, stream, index) only', () => {
    expect(rowRng(1, 2, 3).next()).to.equal(rowRng(1, 2, 3).next());
    expect(rowRng(1, 2, 3).next()).to.not.equal(rowRng(1, 2, 4).next());
    expect(hash32(1, 2 ** 40)).to.not.equal(hash32(1, 0));
  });
  it('coprimeNear gives a multiplier that permutes 0..n-1', () => {
    for (const n of [1, 2, 10, 2000, 2310]) {
      const m = coprimeNear(n, n * 0.618);
      expect(gcd(m, n), `n=${n}`).to.equal(1);
      expect(new Set(Array.from({ length: n }, (_, i) => (i * m + 7) % n)).size).to.equal(n);
    }
  });
});

describe('seed: plan', () => {
  it('scale 1 is the quick demo data set', () => {
    const c = planCounts(1);
    expect(c).to.include({ shops: 20, products: 2000, users: 1000, likesTarget: 5000, logs: 20000 });
  });
  it('scale 500 reaches 1 M products, 200 k users, 2 M likes, 5 M logs', () => {
    const c = planCounts(500);
    expect(c.products).to.be.at.least(1_000_000);
    expect(c.users).to.be.at.least(200_000);
    expect(c.likesTarget).to.be.at.least(2_000_000);
    expect(c.logs).to.be.at.least(5_000_000);
    // the per-user like counts telescope to the target (none clamped at this scale)
    const g = new SeedGenerator({ scale: 500, seed: 1, anchorMs: ANCHOR });
    let likes = 0;
    for (let u = 1; u <= c.users; u++) likes += g.likesOfUser(u).count;
    expect(likes).to.equal(c.likesTarget);
  });
  it('rejects a non-positive scale', () => {
    expect(() => planCounts(0)).to.throw(/positive/);
    expect(() => planCounts(Number.NaN)).to.throw(/positive/);
  });
});

describe('seed: generator', () => {
  const g = new SeedGenerator({ scale: 0.2, seed: 7, anchorMs: ANCHOR });
  const rows = allRows(g);

  it('same seed ⇒ same rows; another seed ⇒ other rows', () => {
    expect(allRows(new SeedGenerator({ scale: 0.2, seed: 7, anchorMs: ANCHOR }))).to.deep.equal(rows);
    const other = allRows(new SeedGenerator({ scale: 0.2, seed: 8, anchorMs: ANCHOR }));
    expect(other.products).to.not.deep.equal(rows.products);
    expect(other.logs).to.not.deep.equal(rows.logs);
  });

  it('row counts match the plan and ids are dense from 1', () => {
    const agg = g.aggregates();
    const counts = g.rowCounts(agg);
    for (const t of TABLE_ORDER) {
      expect(rows[t].length, t).to.equal(counts[t as keyof typeof counts]);
      expect(rows[t].map((r) => r[0]), t).to.deep.equal(Array.from({ length: rows[t].length }, (_, i) => i + 1));
      for (const r of rows[t]) expect(r.length, t).to.equal(COLUMNS[t as keyof typeof COLUMNS].length);
    }
  });

  it('every reference points at an existing row', () => {
    const c = g.counts;
    const within = (v: unknown, n: number) => typeof v === 'number' && v >= 1 && v <= n;
    for (const r of rows.products) {
      expect(within(r[col('products', 'shop_id')], c.shops)).to.equal(true);
      const cat = r[col('products', 'category_id')];
      expect(cat === null || within(cat, c.categories)).to.equal(true);
    }
    for (const r of rows.likes) expect(within(r[1], c.users) && within(r[2], c.products)).to.equal(true);
    for (const r of rows.shop_bookmarks) expect(within(r[1], c.users) && within(r[2], c.shops)).to.equal(true);
    for (const r of rows.product_images) expect(within(r[1], c.products)).to.equal(true);
    for (const r of rows.logs) {
      if (r[1] === 'search') expect(r[3]).to.equal(null);
      else expect(within(r[3], c.products) && r[4] === rows.products[(r[3] as number) - 1][1]).to.equal(true);
    }
  });

  it('likes and bookmarks are unique per pair, and the mirrored counters match them', () => {
    const likePairs = new Set(rows.likes.map((r) => `${r[1]}:${r[2]}`));
    expect(likePairs.size).to.equal(rows.likes.length);
    expect(new Set(rows.shop_bookmarks.map((r) => `${r[1]}:${r[2]}`)).size).to.equal(rows.shop_bookmarks.length);
    const likesOf = new Map<number, number>();
    for (const r of rows.likes) likesOf.set(r[2] as number, (likesOf.get(r[2] as number) ?? 0) + 1);
    const viewsOf = new Map<number, number>();
    for (const r of rows.logs) if (r[1] === 'view') viewsOf.set(r[3] as number, (viewsOf.get(r[3] as number) ?? 0) + 1);
    for (const p of rows.products) {
      expect(p[col('products', 'like_count')]).to.equal(likesOf.get(p[0] as number) ?? 0);
      expect(p[col('products', 'view_count')]).to.equal(viewsOf.get(p[0] as number) ?? 0);
    }
    const followers = new Map<number, number>();
    for (const r of rows.shop_bookmarks) followers.set(r[2] as number, (followers.get(r[2] as number) ?? 0) + 1);
    for (const s of rows.shops) expect(s[col('shops', 'follower_count')]).to.equal(followers.get(s[0] as number) ?? 0);
  });

  it('catalogue looks real: Korean and English names, emoji, DECIMAL prices, sale prices below price, NULL descriptions, JSON attributes', () => {
    const names = rows.products.map((r) => r[col('products', 'name')] as string);
    expect(names.some((n) => /[가-힣]/.test(n))).to.equal(true);
    expect(names.some((n) => /[A-Za-z]{3}/.test(n))).to.equal(true);
    expect(names.some((n) => /\p{Extended_Pictographic}/u.test(n))).to.equal(true);
    const prices = rows.products.map((r) => [r[col('products', 'price')], r[col('products', 'sale_price')]] as [string, string | null]);
    for (const [p, s] of prices) {
      expect(p).to.match(/^\d+\.00$/);
      if (s !== null) expect(Number(s)).to.be.below(Number(p));
    }
    expect(prices.filter(([, s]) => s !== null).length).to.be.within(prices.length * 0.2, prices.length * 0.4);
    const descs = rows.products.map((r) => r[col('products', 'description')]);
    expect(descs.filter((d) => d === null).length).to.be.within(descs.length * 0.15, descs.length * 0.35);
    const attrs = rows.products.map((r) => r[col('products', 'attributes')]).filter((a): a is string => a !== null);
    for (const a of attrs) expect(JSON.parse(a)).to.include.keys('color', 'sizes', 'material', 'season');
    expect(rows.users.some((r) => /^[가-힣]{3}$/.test(r[3] as string))).to.equal(true);
  });

  it('demo accounts are in place with the shared hashes', () => {
    expect(rows.users[0].slice(0, 3)).to.deep.equal([1, 'demo@zigzag.test', HASHES.user]);
    expect(rows.admins[0].slice(0, 3)).to.deep.equal([1, 'admin@zigzag.test', HASHES.admin]);
    expect(rows.merchants[0].slice(0, 4)).to.deep.equal([1, 1, 'merchant@zigzag.test', HASHES.merchant]);
    expect(new Set(rows.users.map((r) => r[1])).size).to.equal(rows.users.length);
  });

  it('logs run in time order over the 30 days before the anchor, with DATETIME(6) stamps', () => {
    const times = rows.logs.map((r) => r[7] as string);
    for (const t of times) expect(t).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect([...times].sort()).to.deep.equal(times);
    expect(times[0] >= datetime6(ANCHOR - 30 * 86_400_000)).to.equal(true);
    expect(times[times.length - 1] < datetime6(ANCHOR)).to.equal(true);
    expect(new Set(rows.logs.map((r) => r[1]))).to.deep.equal(new Set(['view', 'click', 'search', 'like']));
  });

  it('datetime6 keeps microseconds', () => {
    expect(datetime6(Date.UTC(2026, 0, 2, 3, 4, 5, 678) + 0.901)).to.equal('2026-01-02 03:04:05.678901');
  });
});
