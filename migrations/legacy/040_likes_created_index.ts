import type { Knex } from 'knex';

/**
 * Likes by creation time: the ranking and stats jobs (legacy SQL and the user
 * service's likesByDay) read the likes of a time window; without this they
 * scan the whole table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE likes ADD KEY ix_likes_created_product (created_at, product_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE likes DROP KEY ix_likes_created_product');
}
