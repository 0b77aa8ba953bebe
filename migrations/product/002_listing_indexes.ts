import type { Knex } from 'knex';

/** The listing indexes legacy added in migrations/legacy/002_listing_indexes.ts: the service serves the same lists. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE products
      ADD KEY ix_products_status_created (status, created_at),
      ADD KEY ix_products_status_price (status, price),
      ADD KEY ix_products_status_popularity (status, popularity_score, like_count)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE products DROP KEY ix_products_status_popularity, DROP KEY ix_products_status_price, DROP KEY ix_products_status_created');
}
