import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';

describe('migrations/legacy @integration', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase('schema'); });
  after(async () => { await db?.drop(); });

  it('creates the catalogue with utf8mb4 and carries Korean, emoji, JSON, DATETIME(6) and max unsigned BIGINT', async () => {
    const [shopId] = await db.knex('shops').insert({ name: '지그재그 샵 🛍️', slug: 'zz', follower_count: '18446744073709551615' });
    await db.knex('products').insert({ shop_id: shopId, external_id: 'e1', name: '린넨 셔츠 👕', price: '39000.00', sale_price: '29250.00', attributes: JSON.stringify({ color: '검정' }), created_at: '2024-01-02 03:04:05.123456' });
    const row = await db.knex('products').first();
    expect(row.name).to.equal('린넨 셔츠 👕');
    expect(row.created_at).to.equal('2024-01-02 03:04:05.123456');
    expect(row.discount_rate).to.equal('25.00');
    const shop = await db.knex('shops').first();
    expect(String(shop.follower_count)).to.equal('18446744073709551615');
  });

  it('lets a time window of likes use an index, by time and by product, in legacy and in the user database', async () => {
    const user = await createTestDatabase('schema_user', ['user']);
    try {
      for (const k of [db.knex, user.knex]) {
        const keys = async (sql: string) => ((await k.raw(`EXPLAIN ${sql}`)) as [Array<{ possible_keys: string | null }>])[0][0]!.possible_keys ?? '';
        expect(await keys("SELECT product_id, COUNT(*) FROM likes WHERE created_at >= '2024-01-01' AND created_at < '2024-01-08' GROUP BY product_id"))
          .to.include('ix_likes_created_product');
        expect(await keys("SELECT DISTINCT product_id FROM likes WHERE created_at >= '2024-01-01' AND created_at < '2024-01-08' AND product_id > 5 ORDER BY product_id LIMIT 10"))
          .to.include('ix_likes_product_created');
        // the single-column index is gone: (product_id, created_at) serves the foreign key now
        const [[fk]] = (await k.raw("SELECT COUNT(*) AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'likes' AND INDEX_NAME = 'ix_likes_product'")) as [[{ n: number }]];
        expect(Number(fk.n)).to.equal(0);
      }
    } finally {
      await user.drop();
    }
  });
});
