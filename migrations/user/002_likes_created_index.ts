import type { Knex } from 'knex';

/** The likes indexes legacy added in migrations/legacy/040_likes_created_index.ts (likesByDay and the jobs read time windows). */
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
