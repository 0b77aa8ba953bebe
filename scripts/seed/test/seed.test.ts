import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { verifyPassword } from '../../../lib/password.ts';
import { DEMO_ADMIN, DEMO_MERCHANT, DEMO_USER } from '../demo.ts';
import { SeedGenerator, TABLE_ORDER } from '../generate.ts';
import { SeedRefusedError, seedDatabase } from '../run.ts';

const OPTS = { scale: 0.05, seed: 99, anchorMs: Date.UTC(2026, 5, 1) };

describe('seed: into a real database @integration', () => {
  let db: TestDatabase;
  const q = async <T = Record<string, unknown>>(sql: string): Promise<T[]> => ((await db.knex.raw(sql)) as [T[]])[0];
  const one = async (sql: string): Promise<number> => Number(Object.values((await q(sql))[0])[0]);

  before(async () => {
    db = await createTestDatabase('seed');
  });
  after(async () => {
    await db?.drop();
  });

  it('seeds exactly the planned rows and reports rows/s per table', async () => {
    const report = await seedDatabase(db.dsn, { ...OPTS, connections: 2, batchSize: 97 });
    const gen = new SeedGenerator(OPTS);
    const expected = gen.rowCounts(gen.aggregates());
    expect(report.tables.map((t) => t.table)).to.deep.equal(TABLE_ORDER);
    for (const t of TABLE_ORDER) {
      expect(await one(`SELECT COUNT(*) FROM \`${t}\``), t).to.equal(expected[t]);
      expect(report.tables.find((r) => r.table === t)!.rows, t).to.equal(expected[t]);
    }
    expect(report.rowsPerSec).to.be.above(0);
    expect(expected.products).to.equal(100);
  });

  it('leaves no dangling foreign key', async () => {
    const orphans = {
      merchants: 'SELECT COUNT(*) FROM merchants m LEFT JOIN shops s ON s.id = m.shop_id WHERE s.id IS NULL',
      productsShop: 'SELECT COUNT(*) FROM products p LEFT JOIN shops s ON s.id = p.shop_id WHERE s.id IS NULL',
      productsCategory: 'SELECT COUNT(*) FROM products p LEFT JOIN categories c ON c.id = p.category_id WHERE p.category_id IS NOT NULL AND c.id IS NULL',
      categoriesParent: 'SELECT COUNT(*) FROM categories c LEFT JOIN categories p ON p.id = c.parent_id WHERE c.parent_id IS NOT NULL AND p.id IS NULL',
      images: 'SELECT COUNT(*) FROM product_images i LEFT JOIN products p ON p.id = i.product_id WHERE p.id IS NULL',
      likesUser: 'SELECT COUNT(*) FROM likes l LEFT JOIN users u ON u.id = l.user_id WHERE u.id IS NULL',
      likesProduct: 'SELECT COUNT(*) FROM likes l LEFT JOIN products p ON p.id = l.product_id WHERE p.id IS NULL',
      bookmarksUser: 'SELECT COUNT(*) FROM shop_bookmarks b LEFT JOIN users u ON u.id = b.user_id WHERE u.id IS NULL',
      bookmarksShop: 'SELECT COUNT(*) FROM shop_bookmarks b LEFT JOIN shops s ON s.id = b.shop_id WHERE s.id IS NULL',
      logsProduct: 'SELECT COUNT(*) FROM logs l LEFT JOIN products p ON p.id = l.product_id WHERE l.product_id IS NOT NULL AND p.id IS NULL',
      logsShop: 'SELECT COUNT(*) FROM logs l JOIN products p ON p.id = l.product_id WHERE l.shop_id <> p.shop_id',
    };
    for (const [what, sql] of Object.entries(orphans)) expect(await one(sql), what).to.equal(0);
  });

  it('keeps products.like_count, view_count and shops.follower_count consistent with their tables', async () => {
    expect(await one('SELECT COUNT(*) FROM products p WHERE p.like_count <> (SELECT COUNT(*) FROM likes l WHERE l.product_id = p.id)')).to.equal(0);
    expect(await one("SELECT COUNT(*) FROM products p WHERE p.view_count <> (SELECT COUNT(*) FROM logs l WHERE l.product_id = p.id AND l.type = 'view')")).to.equal(0);
    expect(await one('SELECT COUNT(*) FROM shops s WHERE s.follower_count <> (SELECT COUNT(*) FROM shop_bookmarks b WHERE b.shop_id = s.id)')).to.equal(0);
    expect(await one('SELECT SUM(like_count) FROM products')).to.equal(await one('SELECT COUNT(*) FROM likes'));
  });

  it('stores Korean text, emoji, JSON, DECIMAL and DATETIME(6) intact', async () => {
    const gen = new SeedGenerator(OPTS);
    const agg = gen.aggregates();
    const first = [...gen.products(agg)];
    const stored = await q<{ id: number; name: string; price: string; attributes: unknown; created_at: string }>(
      'SELECT id, name, price, attributes, created_at FROM products ORDER BY id');
    expect(stored.map((r) => r.name)).to.deep.equal(first.map((r) => r[4]));
    expect(stored.map((r) => r.price)).to.deep.equal(first.map((r) => r[6]));
    expect(stored.map((r) => r.created_at)).to.deep.equal(first.map((r) => r[15]));
    const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v); // mysql2 may already parse JSON columns
    expect(stored.map((r) => json(r.attributes))).to.deep.equal(first.map((r) => (r[10] === null ? null : JSON.parse(r[10] as string))));
    expect(await one("SELECT COUNT(*) FROM products WHERE name REGEXP '[가-힣]'")).to.be.above(0);
    expect(await one("SELECT COUNT(*) FROM users WHERE name REGEXP '^[가-힣]+$'")).to.be.above(0);
  });

  it('demo credentials verify against the stored hashes', async () => {
    const [user] = await q<{ password_hash: string }>(`SELECT password_hash FROM users WHERE email = '${DEMO_USER.email}'`);
    const [admin] = await q<{ password_hash: string }>(`SELECT password_hash FROM admins WHERE email = '${DEMO_ADMIN.email}'`);
    const [merchant] = await q<{ password_hash: string; shop_id: number }>(`SELECT password_hash, shop_id FROM merchants WHERE email = '${DEMO_MERCHANT.email}'`);
    expect(await verifyPassword(DEMO_USER.password, user.password_hash)).to.equal(true);
    expect(await verifyPassword(DEMO_ADMIN.password, admin.password_hash)).to.equal(true);
    expect(await verifyPassword(DEMO_MERCHANT.password, merchant.password_hash)).to.equal(true);
    expect(await verifyPassword('wrong', user.password_hash)).to.equal(false);
    expect(merchant.shop_id).to.equal(1);
  });

  it('refuses a database with data, and --truncate reproduces the same rows', async () => {
    let err: unknown;
    try {
      await seedDatabase(db.dsn, OPTS);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(SeedRefusedError);
    expect((err as Error).message).to.match(/already has data.*--truncate/);
    const checksum = async () => (await q<{ Checksum: string }>('CHECKSUM TABLE products, likes, logs, shops')).map((r) => r.Checksum);
    const before = await checksum();
    await db.knex.raw('UPDATE products SET name = ? WHERE id = 1', ['changed']);
    expect(await checksum()).to.not.deep.equal(before);
    await seedDatabase(db.dsn, { ...OPTS, truncate: true, connections: 3 });
    expect(await checksum()).to.deep.equal(before);
  });
});
