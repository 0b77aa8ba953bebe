import { expect } from 'chai';
import { closeContext } from '../lib/context.ts';
import { cutoverCommand, startCommand, verifyCommand } from '../lib/commands.ts';
import { shapeOf, tableInfo } from '../lib/introspect.ts';
import { orderBy } from '../lib/keys.ts';
import { q, qq, selectList } from '../lib/sql.ts';
import type { Knex } from '../../../lib/db.ts';
import { createPair, productContext, type Pair } from './helpers.ts';

const BIG_ID = '9007199254740993'; // 2^53 + 1: wrong if it ever passes through a JS number
const TOP_ID = '9007199254741000';
const U64_MAX = '18446744073709551615';
const ODD_JSON = '{"z": 1,   "a": {"nested": [1, 2.50, "문자열 😀"]}, "n": null, "e": "\\u00e9"}';

async function seedTypes(k: Knex): Promise<void> {
  await k.raw(`INSERT INTO shops (id, name, slug) VALUES (1, '가게 🏪', 's1')`);
  await k.raw(`INSERT INTO categories (id, parent_id, name, slug) VALUES (1, NULL, '루트', 'root'), (2, 1, 'emoji 👗👠', 'dress')`);
  await k.raw(`INSERT INTO products (id, shop_id, category_id, external_id, name, description, price, sale_price, currency, status, attributes, like_count, view_count, popularity_score, version, created_at, updated_at) VALUES
    (1, 1, NULL, 'e1', '', '', 0.00, NULL, 'KRW', 'active', '[]', 0, 0, 0, 1, '2024-01-01 00:00:00.000000', '2024-01-01 00:00:00.000001'),
    (2, 1, 2, 'e2', '한글 이름 🎉👍🏽 각', NULL, 9999999999.99, 0.01, 'USD', 'sold_out', ?, ${U64_MAX}, ${U64_MAX}, 0.30000000000000004, 4294967295, '2024-02-29 23:59:59.999999', '2038-01-19 03:14:07.123456'),
    (${BIG_ID}, 1, 1, 'e3', 'it''s a \\\\ "quote"', '줄\\n바꿈\\t탭', 12.30, 12.29, 'EUR', 'hidden', NULL, 1, 2, 1.7976931348623157e308, 2, '1970-01-01 00:00:01.000000', '9999-12-31 23:59:59.999999'),
    (${TOP_ID}, 1, 1, 'e4', 'top row, deleted before cutover', NULL, 1.00, NULL, 'KRW', 'active', NULL, 0, 0, 0, 1, '2024-01-01 00:00:00.000000', '2024-01-01 00:00:00.000000')`, [ODD_JSON]);
  await k.raw(`INSERT INTO product_images (id, product_id, url, position) VALUES (1, 2, 'https://img/👗.jpg?q=\\'x\\'', 65535), (2, ${BIG_ID}, 'https://img/2.jpg', 0)`);
}

async function rawRows(k: Knex, db: string, table: string): Promise<string> {
  const shape = shapeOf(await tableInfo(k, db, table));
  const [rows] = await k.raw(`SELECT ${selectList(shape)}, HEX(CONCAT_WS('|', ${shape.columns.map((c) => q(c.name)).join(', ')})) AS hex FROM ${qq(db, table)} ORDER BY ${orderBy(shape.key)}`);
  return JSON.stringify(rows);
}

for (const copyMode of ['sql', 'stream'] as const) {
  describe(`split-db carries every type intact (${copyMode} copy) @integration`, function () {
    this.timeout(60_000);
    let pair: Pair;
    before(async () => {
      pair = await createPair(`types_${copyMode}`);
      await seedTypes(pair.source.knex);
    });
    after(async () => {
      await pair.drop();
    });

    it('Korean + emoji, JSON text, DATETIME(6), DECIMAL, unsigned BIGINT max, NULL vs empty, ENUM, generated columns; no AUTO_INCREMENT reuse', async () => {
      const ctx = productContext(pair, { copyMode });
      try {
        // the newest row is deleted before the copy: its key must never be handed out again
        await pair.source.knex.raw(`DELETE FROM products WHERE id = ${TOP_ID}`);
        const r = await startCommand(ctx, {});
        expect('state' in r && r.state.phase).to.equal('copied');
        for (const t of ['categories', 'products', 'product_images']) {
          expect(await rawRows(pair.target, pair.targetName, t), t).to.equal(await rawRows(pair.source.knex, pair.source.name, t));
        }
        // generated column computed by the target from the same inputs
        const [[g]] = await pair.target.raw(`SELECT discount_rate AS d FROM products WHERE id = 2`);
        expect(g.d).to.equal('100.00');
        // JSON bytes kept exactly (not re-serialised)
        const [[j]] = await pair.target.raw('SELECT CONCAT(attributes) AS a, like_count AS l FROM products WHERE id = 2');
        expect(j.a).to.equal(ODD_JSON.replace('\\u00e9', '\\u00e9'));
        expect(j.l).to.equal(U64_MAX);

        // a captured change of the special row goes through the applier intact
        await pair.source.knex.raw(`UPDATE products SET attributes = '{"b":   [true, false], "a": "😀"}', name = CONCAT(name, ' ✔') WHERE id = ${BIG_ID}`);
        const v = await verifyCommand(ctx, {});
        expect(v.differences).to.deep.equal([]);
        expect(await rawRows(pair.target, pair.targetName, 'products')).to.equal(await rawRows(pair.source.knex, pair.source.name, 'products'));

        const c = await cutoverCommand(ctx);
        expect('owner' in c && c.owner).to.equal('service');
        const [ins] = await pair.target.raw(`INSERT INTO products (shop_id, external_id, name, price) VALUES (1, 'after-cutover', 'new', 1.00)`);
        expect(BigInt(String((ins as { insertId: string | number }).insertId)) > BigInt(TOP_ID), 'new key above the deleted top row').to.equal(true);
      } finally {
        await closeContext(ctx);
      }
    });
  });
}
