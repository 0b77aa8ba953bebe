import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { checkExpectation, compareDatabases, isClean } from './harness/checker.ts';
import { describeTable, readImages } from './harness/row-image.ts';
import { CommittedWriter } from './harness/writer.ts';
import { seedCatalog } from './helpers.ts';

/**
 * The harness's judges must be able to fail: every kind of damage a data move
 * can do is planted on purpose and must be reported, with the column.
 */
describe('split-db fault harness: the independent checker and the writer log catch every planted difference @integration', function () {
  this.timeout(60_000);
  let a: TestDatabase;
  let b: TestDatabase;

  const DDL = `CREATE TABLE edge (
    k VARCHAR(36) COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY,
    f FLOAT NULL, d DOUBLE NULL, dc DECIMAL(30,10) NULL, big BIGINT UNSIGNED NULL,
    e ENUM('', 'x', 'y') NULL, s SET('a','b') NULL, bits BIT(10) NULL,
    t VARCHAR(20) COLLATE utf8mb4_unicode_ci NULL, l1 VARCHAR(20) CHARACTER SET latin1 NULL, bin VARBINARY(8) NULL,
    j JSON NULL, dt DATETIME(6) NULL, tm TIME(3) NULL, y YEAR NULL,
    g DOUBLE AS (d * 2) VIRTUAL, gs VARCHAR(50) AS (CONCAT(k, '/', IFNULL(t, '-'))) STORED
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;
  const ROWS = `INSERT INTO edge (k, f, d, dc, big, e, s, bits, t, l1, bin, j, dt, tm, y) VALUES
    ('uuid-a', 16777216, 0.30000000000000004, 12345678901234567890.0123456789, 18446744073709551615, '', 'a,b', b'1010101010', '', 'café', 0x00FF10, '{"b": 1, "a": [1, 2]}', '2024-02-29 23:59:59.999999', '-838:59:59.000', 2155),
    ('uuid-b', 0.1, 5e-324, -0.0000000001, 0, 'x', '', b'0', NULL, NULL, X'', NULL, '1000-01-01 00:00:00.000000', '00:00:00.001', 1901),
    ('uuid-c', -3.4e38, 1.7976931348623157e308, 0, 1, 'y', 'b', NULL, '한글 🎉', 'x', NULL, '[]', NULL, NULL, NULL)`;

  beforeEach(async () => {
    a = await createTestDatabase('chk_a', []);
    b = await createTestDatabase('chk_b', []);
    for (const db of [a, b]) {
      await db.knex.raw(DDL);
      await db.knex.raw(ROWS);
    }
  });
  afterEach(async () => {
    await a.drop();
    await b.drop();
  });

  const compare = () => compareDatabases({ knex: a.knex, db: a.name }, { knex: b.knex, db: b.name }, ['edge']);

  it('identical copies compare clean, every column of every row', async () => {
    const r = await compare();
    expect(r).to.deep.include({ missing: 0, extra: 0, different: 0, compared: 3 });
    expect(isClean(r)).to.equal(true);
  });

  const damage: Array<[string, string, string]> = [
    ['one FLOAT bit (16777216 → 16777218, same 6-digit print)', "UPDATE edge SET f = 16777218 WHERE k = 'uuid-a'", 'f'],
    ['the last digit of a DOUBLE', "UPDATE edge SET d = 0.3 WHERE k = 'uuid-a'", 'd'],
    ['the smallest subnormal DOUBLE → 0', "UPDATE edge SET d = 0 WHERE k = 'uuid-b'", 'd'],
    ["ENUM '' member (index 1) → the error value '' (index 0)", "UPDATE edge SET e = 0 WHERE k = 'uuid-a'", 'e'],
    ["NULL → ''", "UPDATE edge SET t = '' WHERE k = 'uuid-b'", 't'],
    ['a trailing space (PAD SPACE collation says equal)', "UPDATE edge SET t = ' ' WHERE k = 'uuid-a'", 't'],
    ['case in a case-insensitive column', "UPDATE edge SET l1 = 'CAFÉ' WHERE k = 'uuid-a'", 'l1'],
    ['latin1 text', "UPDATE edge SET l1 = 'cafe' WHERE k = 'uuid-a'", 'l1'],
    ['one binary byte', "UPDATE edge SET bin = 0x00FF11 WHERE k = 'uuid-a'", 'bin'],
    ['empty binary → NULL', "UPDATE edge SET bin = NULL WHERE k = 'uuid-b'", 'bin'],
    ['JSON key order (same meaning, other bytes)', `UPDATE edge SET j = '{"a": [1, 2], "b": 1}' WHERE k = 'uuid-a'`, 'j'],
    ['one microsecond', "UPDATE edge SET dt = '2024-02-29 23:59:59.999998' WHERE k = 'uuid-a'", 'dt'],
    ['one millisecond of TIME', "UPDATE edge SET tm = '00:00:00.002' WHERE k = 'uuid-b'", 'tm'],
    ['one bit of BIT(10)', "UPDATE edge SET bits = b'1010101011' WHERE k = 'uuid-a'", 'bits'],
    ['the last DECIMAL digit', "UPDATE edge SET dc = 12345678901234567890.0123456788 WHERE k = 'uuid-a'", 'dc'],
    ['a SET member', "UPDATE edge SET s = 'a' WHERE k = 'uuid-a'", 's'],
    ['YEAR', "UPDATE edge SET y = 2154 WHERE k = 'uuid-a'", 'y'],
  ];
  for (const [what, sql, column] of damage) {
    it(`reports ${what}`, async () => {
      // non-strict, so the ENUM error value (index 0) can be stored, as an old application could have
      await b.knex.transaction(async (tx) => {
        await tx.raw("SET SESSION sql_mode = ''");
        await tx.raw(sql);
      });
      const r = await compare();
      expect(r, JSON.stringify(r.examples)).to.deep.include({ missing: 0, extra: 0, different: 1 });
      expect(r.examples[0].columns!.map((c) => c.column)).to.include(column);
    });
  }

  it('reports a key whose case changed under a case-insensitive collation as one missing and one extra row', async () => {
    await b.knex.raw("UPDATE edge SET k = 'UUID-A' WHERE k = 'uuid-a'");
    const r = await compare();
    expect(r).to.deep.include({ missing: 1, extra: 1, different: 0 });
  });

  it('reports missing and extra rows, and generated columns that differ', async () => {
    await b.knex.raw("DELETE FROM edge WHERE k = 'uuid-b'");
    await b.knex.raw("INSERT INTO edge (k) VALUES ('uuid-z')");
    await b.knex.raw('ALTER TABLE edge MODIFY g DOUBLE AS (d * 3) VIRTUAL');
    const r = await compare();
    expect(r).to.deep.include({ missing: 1, extra: 1, different: 1 }); // uuid-a's g; uuid-c's overflows to NULL both ways
    expect(r.examples.filter((d) => d.kind === 'different').flatMap((d) => d.columns!.map((c) => c.column))).to.include('g');
  });

  it('reads exact text (no JS number in between) for the values JS numbers would change', async () => {
    const t = await describeTable(a.knex, a.name, 'edge');
    const img = (await readImages(a.knex, a.name, t)).get('["757569642D61"]')!;
    const col = (name: string) => img[t.columns.findIndex((c) => c.name === name)];
    expect(col('f')).to.equal('16777216');
    expect(col('d')).to.equal('0.30000000000000004');
    expect(col('big')).to.equal('18446744073709551615');
    expect(col('dc')).to.equal('12345678901234567890.0123456789');
    expect(col('e')).to.equal(':1');
  });

  it("the writer's log is what the database holds after its commits, and a changed row is caught", async () => {
    const src = await createTestDatabase('chk_w', ['legacy'], 'move');
    try {
      await seedCatalog(src.knex, 120);
      const w = new CommittedWriter({ sourceDsn: src.dsn, targetDsn: src.dsn, loops: 3, delayMs: 0, maxOpsPerLoop: 60 });
      await w.start();
      await w.more(150, 30_000);
      await w.stop();
      expect(w.errors).to.deep.equal([]);
      expect(w.stats.keyChanges + w.stats.deletes).to.be.greaterThan(0);
      const side = { knex: src.knex, db: src.name };
      const clean = await checkExpectation(side, w.expected, w.uncertain);
      expect(clean).to.deep.include({ missing: 0, extra: 0, different: 0 });
      expect(clean.compared).to.equal(w.keys);
      // tamper: one touched product changes, one deleted key comes back
      const touched = [...w.expected.get('products')!].find(([, img]) => img !== null)![0];
      await src.knex.raw("UPDATE products SET name = CONCAT(name, '.') WHERE id = ?", [JSON.parse(touched)[0]]);
      const deleted = [...w.expected.get('products')!].find(([, img]) => img === null);
      if (deleted) await src.knex.raw("INSERT INTO products (id, shop_id, external_id, name, price) VALUES (?, 1, 'back', 'back', 1)", [JSON.parse(deleted[0])[0]]);
      const r = await checkExpectation(side, w.expected, w.uncertain);
      expect(r.different).to.equal(1);
      expect(r.extra).to.equal(deleted ? 1 : 0);
    } finally {
      await src.drop();
    }
  });
});
