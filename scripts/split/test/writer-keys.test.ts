import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { CATEGORY_KEY_BASE, CommittedWriter, IMAGE_KEY_BASE, PRODUCT_KEY_BASE } from './harness/writer.ts';
import { seedCatalog } from './helpers.ts';

/**
 * The fault harness's writer gives key-changing UPDATEs "fresh" keys counting
 * down from a base (base − seq·loops − loop) and must never see the database
 * hand one of them to an INSERT. On MariaDB ≥ 10.2.4 (and MySQL 8) an UPDATE
 * that sets an AUTO_INCREMENT column above the counter moves the counter, so
 * once one loop changed a key to base − 21, the next INSERT got base − 20, …
 * — keys another loop (whose seq lags) still changes a row to, or keys a loop
 * deleted and re-inserts later. Seen in the short profile (no tool involved):
 * "source re-insert a deleted product key: Duplicate entry '39999943'" (×8,
 * final state clean) and "source change a product key: Duplicate entry
 * '39999984'" (loop 1 had INSERTed 39999984 two seconds before loop 0, at seq
 * 8, changed a key to it). The writer now raises every counter above its
 * base before it writes, so the two key ranges stay apart.
 */
describe('fault-harness writer: keys of key-changing updates are never handed out by AUTO_INCREMENT @integration', function () {
  this.timeout(30_000);
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase('wk', ['legacy'], 'move');
    await seedCatalog(db.knex, 50);
  });
  afterEach(async () => {
    await db.drop();
  });

  const TABLES: Array<[string, number, (n: number) => string]> = [
    ['products', PRODUCT_KEY_BASE, (n) => `INSERT INTO products (shop_id, external_id, name, price) VALUES (1, 'wk-${n}', 'wk', '1.00')`],
    ['product_images', IMAGE_KEY_BASE, (n) => `INSERT INTO product_images (product_id, url, position) VALUES (1, 'https://img/wk-${n}', 0)`],
    ['categories', CATEGORY_KEY_BASE, (n) => `INSERT INTO categories (parent_id, name, slug) VALUES (NULL, 'wk', 'wk-${n}')`],
  ];

  it('after a key change to a fresh key, the next INSERT gets a key above every fresh key (the writer raised the counters first)', async () => {
    const w = new CommittedWriter({ sourceDsn: db.dsn, targetDsn: db.dsn, loops: 2, delayMs: 0, maxOpsPerLoop: 0 });
    await w.start();
    await w.stop();
    for (const [table, base, insert] of TABLES) {
      const [first] = await db.knex.raw(insert(1));
      // what the writer's loop 1 does at its seq 10: a key change (of a row nothing references) to base − 21 …
      const fresh = base - 10 * 2 - 1;
      await db.knex.raw(`UPDATE ${table} SET id = ? WHERE id = ?`, [fresh, (first as { insertId: number }).insertId]);
      // … then any INSERT: its key must not be one the writer may still change a key to (all < base)
      const [res] = await db.knex.raw(insert(2));
      const got = Number((res as { insertId: number }).insertId);
      expect(got, `${table}: INSERT after a key change to ${fresh} got ${got}`).to.be.greaterThan(base);
    }
  });
});
