/**
 * The split benchmarks' seed (`npm run bench -- split`, _split-copy-ab.ts): shops, categories, `rows` products with
 * every column kind the copy must carry (NULLs, Korean text and emoji, JSON, microseconds) and rows/4 images, written
 * with the sequence engine in 100,000-row statements, then ANALYZEd.
 */
import type { Knex } from '../../lib/db.ts';

/** The tables the split benchmarks move. */
export const TABLES = ['categories', 'products', 'product_images'];

export async function seedProducts(k: Knex, rows: number): Promise<void> {
  await k.raw(`INSERT INTO shops (id, name, slug, status, contract_status) SELECT seq, CONCAT('샵 ', seq), CONCAT('shop-', seq), 'open', 'active' FROM seq_1_to_50`);
  await k.raw(`INSERT INTO categories (id, parent_id, name, slug) SELECT seq, NULL, CONCAT('카테고리 ', seq), CONCAT('cat-', seq) FROM seq_1_to_20`);
  const step = 100_000;
  for (let lo = 1; lo <= rows; lo += step) {
    const hi = Math.min(rows, lo + step - 1);
    await k.raw(`INSERT INTO products (id, shop_id, category_id, external_id, name, description, price, sale_price, currency, status, attributes, like_count, view_count, popularity_score, version, created_at)
      SELECT seq, 1 + seq % 50, IF(seq % 7 = 0, NULL, 1 + seq % 20), CONCAT('ext-', seq), CONCAT('오버핏 셔츠 ', seq, ' 👕'),
             IF(seq % 3 = 0, NULL, CONCAT('설명 ', REPEAT('가', seq % 40))), 1000 + (seq % 900) * 100, IF(seq % 4 = 0, 900 + (seq % 900) * 90, NULL),
             'KRW', ELT(1 + seq % 3, 'active', 'hidden', 'sold_out'),
             IF(seq % 5 = 0, NULL, CONCAT('{"size": ["S", "M", "L"], "color": "c', seq % 13, '", "n": ', seq, '}')),
             seq % 1000, seq % 100000, (seq % 10007) / 7, 1, TIMESTAMP('2024-01-01 00:00:00') + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND
        FROM seq_${lo}_to_${hi}`);
  }
  const images = Math.floor(rows / 4);
  for (let lo = 1; lo <= images; lo += step) {
    const hi = Math.min(images, lo + step - 1);
    await k.raw(`INSERT INTO product_images (id, product_id, url, position) SELECT seq, seq * 4, CONCAT('https://img.example/', seq, '.jpg'), seq % 5 FROM seq_${lo}_to_${hi}`);
  }
  for (const t of TABLES) await k.raw(`ANALYZE TABLE ${t}`);
}
