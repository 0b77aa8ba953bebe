import type { Knex } from 'knex';

/**
 * Likes by time, for the ranking and stats jobs:
 * - `(created_at, product_id)`: legacy's SQL join reads one time window of
 *   likes grouped by product — an index-only range scan instead of a table scan;
 * - `(product_id, created_at)` replaces `(product_id)` (still the foreign
 *   key's index): the user service's likesByDay pages through products in id
 *   order and tests each like's time without reading the row.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE likes
    ADD KEY ix_likes_created_product (created_at, product_id),
    ADD KEY ix_likes_product_created (product_id, created_at),
    DROP KEY ix_likes_product`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE likes
    ADD KEY ix_likes_product (product_id),
    DROP KEY ix_likes_product_created,
    DROP KEY ix_likes_created_product`);
}
