import type { Knex } from 'knex';
import { ADD_PRODUCT_LISTING_INDEXES, DROP_PRODUCT_LISTING_INDEXES } from '../legacy/002_listing_indexes.ts';

/** The listing indexes legacy added in migrations/legacy/002_listing_indexes.ts: the service serves the same lists. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(ADD_PRODUCT_LISTING_INDEXES);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(DROP_PRODUCT_LISTING_INDEXES);
}
