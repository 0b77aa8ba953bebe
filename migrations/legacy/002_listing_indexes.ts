import type { Knex } from 'knex';

/**
 * Indexes the legacy APIs' hot lists need once the catalogue is large
 * (measured on 200 k products / 1 M log rows: the shopper's default product
 * list 0.7 s and the popularity sort 0.95 s, both full scans + filesort; the
 * admin log list 2.2 s). Each list filters on `status` and orders by one
 * column; InnoDB appends the primary key, which is the `id` tie-breaker.
 */
/** The products part, which the product service's database gets too (migrations/product/002). */
export const ADD_PRODUCT_LISTING_INDEXES = `
    ALTER TABLE products
      ADD KEY ix_products_status_created (status, created_at),
      ADD KEY ix_products_status_price (status, price),
      ADD KEY ix_products_status_popularity (status, popularity_score, like_count)`;
export const DROP_PRODUCT_LISTING_INDEXES =
  'ALTER TABLE products DROP KEY ix_products_status_popularity, DROP KEY ix_products_status_price, DROP KEY ix_products_status_created';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(ADD_PRODUCT_LISTING_INDEXES);
  await knex.raw(`
    ALTER TABLE logs
      ADD KEY ix_logs_created (created_at),
      ADD KEY ix_logs_shop_created (shop_id, created_at)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE logs DROP KEY ix_logs_shop_created, DROP KEY ix_logs_created');
  await knex.raw(DROP_PRODUCT_LISTING_INDEXES);
}
