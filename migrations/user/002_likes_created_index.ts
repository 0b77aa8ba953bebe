import type { Knex } from 'knex';

/** The index legacy added in migrations/legacy/040_likes_created_index.ts: likesByDay reads a time window. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE likes ADD KEY ix_likes_created_product (created_at, product_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE likes DROP KEY ix_likes_created_product');
}
