import { Readable } from 'node:stream';
import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { createKnex, parseMysqlDsn, type Knex } from '../../../lib/db.ts';
import { closeContext } from '../lib/context.ts';
import { completeCommand, cutoverCommand, rollbackCommand, startCommand, verifyCommand } from '../lib/commands.ts';
import { compareAll, createPair, productContext, seedCatalog, type Pair } from './helpers.ts';

/** Every row of the moved tables on one side, as text (an independent snapshot, not the tool's verify). */
async function snapshot(k: Knex, db: string): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const t of ['categories', 'products', 'product_images']) {
    const [rows] = await k.raw(`SELECT * FROM \`${db}\`.\`${t}\` ORDER BY id`);
    out[t] = rows;
  }
  return JSON.stringify(out);
}

describe('split-db fence covers every way to write (#9) @integration', function () {
  this.timeout(60_000);
  let pair: Pair;
  let app: Knex;

  before(async () => {
    pair = await createPair('fence');
    // a table that stays (shops) cascades into the moved tables: shops → products → product_images
    await pair.source.knex.raw('ALTER TABLE products DROP FOREIGN KEY fk_products_shop');
    await pair.source.knex.raw('ALTER TABLE products ADD CONSTRAINT fk_products_shop FOREIGN KEY (shop_id) REFERENCES shops (id) ON DELETE CASCADE');
    await seedCatalog(pair.source.knex, 120);
    const ctx = productContext(pair);
    try {
      await startCommand(ctx, {});
      expect((await verifyCommand(ctx, {})).ok, 'a clean verify before the cutover (the gate)').to.equal(true);
      const c = await cutoverCommand(ctx);
      expect('owner' in c && c.owner).to.equal('service');
    } finally {
      await closeContext(ctx);
    }
    app = createKnex(pair.source.dsn, { pool: { max: 2 } });
  });
  after(async () => {
    await app.destroy();
    await pair.drop();
  });

  async function loadData(sql: string, lines: string): Promise<void> {
    const c = parseMysqlDsn(pair.source.dsn);
    const conn = await mysql.createConnection({ ...c, infileStreamFactory: () => Readable.from([Buffer.from(lines)]) });
    try {
      await conn.query({ sql, infileStreamFactory: () => Readable.from([Buffer.from(lines)]) } as mysql.QueryOptions);
    } finally {
      await conn.end();
    }
  }

  const attacks: Array<[string, () => Promise<unknown>]> = [
    ['INSERT', () => app.raw("INSERT INTO products (shop_id, external_id, name, price) VALUES (1, 'fence-ins', 'x', 1.00)")],
    ['UPDATE', () => app.raw("UPDATE products SET name = 'fence-upd' WHERE id = 1")],
    ['DELETE', () => app.raw('DELETE FROM products WHERE id = 2')],
    ['REPLACE', () => app.raw("REPLACE INTO products (id, shop_id, external_id, name, price) VALUES (3, 1, 'fence-rep', 'x', 1.00)")],
    ['INSERT … ON DUPLICATE KEY UPDATE', () => app.raw("INSERT INTO products (id, shop_id, external_id, name, price) VALUES (4, 1, 'ext-4', 'x', 1.00) ON DUPLICATE KEY UPDATE name = 'fence-odku'")],
    ['TRUNCATE', () => app.raw('TRUNCATE TABLE product_images')],
    ['TRUNCATE (parent)', () => app.raw('TRUNCATE TABLE products')],
    ['LOAD DATA LOCAL INFILE', () => loadData("LOAD DATA LOCAL INFILE 'rows.tsv' INTO TABLE product_images (product_id, url, position)", '1\thttps://img/fence.jpg\t0\n')],
    ['LOAD DATA … REPLACE', () => loadData("LOAD DATA LOCAL INFILE 'rows.tsv' REPLACE INTO TABLE product_images (id, product_id, url, position)", '1\t1\thttps://img/fence.jpg\t0\n')],
    ['cascade from a staying parent (2 levels)', () => app.raw('DELETE FROM shops WHERE id = 2')],
    ['multi-table UPDATE', () => app.raw("UPDATE products p JOIN shops s ON s.id = p.shop_id SET p.name = 'fence-multi' WHERE s.id = 1")],
    ['multi-table DELETE', () => app.raw('DELETE i FROM product_images i JOIN products p ON p.id = i.product_id WHERE p.shop_id = 1')],
  ];

  it('after cutover, no way of writing changes the fenced copy (each errors or changes nothing)', async () => {
    let before = await snapshot(pair.source.knex, pair.source.name);
    const [[shops]] = await app.raw('SELECT COUNT(*) AS n FROM shops');
    const report: string[] = [];
    for (const [name, attack] of attacks) {
      let error: string | undefined;
      try {
        await attack();
      } catch (err) {
        error = `${(err as { errno?: number }).errno}`;
      }
      if (process.env.SPLIT_TEST_TIMING) console.log(`  ${name}: ${error ?? 'no error'}`);
      const after = await snapshot(pair.source.knex, pair.source.name);
      if (after !== before) report.push(`${name}: changed the fenced copy (${error ? `error ${error}` : 'no error'})`);
      before = after;
    }
    expect(report).to.deep.equal([]);
    // the staying parent kept its row too (the cascade was refused, not half done)
    const [[shops2]] = await app.raw('SELECT COUNT(*) AS n FROM shops');
    expect(Number(shops2.n)).to.equal(Number(shops.n));
  });

  it('the reverse sync keeps writing the fenced copy, and after rollback it is current again', async () => {
    // the service writes its own database
    await pair.target.raw("UPDATE products SET name = 'after the flip', version = version + 1 WHERE id = 5");
    await pair.target.raw('DELETE FROM products WHERE id = 6');
    await pair.target.raw("INSERT INTO product_images (product_id, url, position) VALUES (7, 'https://img/after.jpg', 3)");
    const ctx = productContext(pair);
    try {
      const r = await rollbackCommand(ctx);
      expect('owner' in r && r.owner).to.equal('legacy');
      // a re-run of the finished rollback (as after a kill between its last save and the exit) is a no-op, not an error
      const again = await rollbackCommand(ctx);
      expect('alreadyDone' in again && again.alreadyDone, 'a second rollback says it is already done').to.equal(true);
    } finally {
      await closeContext(ctx);
    }
    expect(await compareAll(pair.source.knex, pair.source.name, pair.target, pair.targetName)).to.deep.equal([]);
    const [[p]] = await pair.source.knex.raw('SELECT name FROM products WHERE id = 5');
    expect(p.name).to.equal('after the flip');
    // and the source takes writes again, of every kind
    await app.raw("UPDATE products SET name = 'legacy again' WHERE id = 8");
    await app.raw('DELETE FROM shops WHERE id = 3');
  });

  it('complete removes the guards and every trigger (also on the staying parent) and renames the old copy', async () => {
    const ctx = productContext(pair);
    try {
      expect((await verifyCommand(ctx, {})).ok).to.equal(true);
      await cutoverCommand(ctx);
      const r = await completeCommand(ctx, {});
      expect(r.renamed.map((x) => x.from)).to.deep.equal(['categories', 'products', 'product_images']);
    } finally {
      await closeContext(ctx);
    }
    const [tables] = await app.raw("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_split\\_product\\_%'");
    expect(tables).to.deep.equal([]);
    const [triggers] = await app.raw("SELECT TRIGGER_NAME AS t FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE '\\_split\\_%'");
    expect(triggers).to.deep.equal([]);
    // the staying parent works as before (its cascade reaches only the renamed old copy)
    await app.raw('DELETE FROM shops WHERE id = 1');
  });
});
