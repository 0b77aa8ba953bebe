import type { Knex } from 'knex';

/**
 * The product outbox lives in the legacy database until the product split and
 * in this one after; the events process relays both into the one
 * `product-events` queue, where each job's id is `evt-<outbox row id>` and
 * BullMQ drops an add whose id it still holds. If this table counted from 1,
 * its first events after a cutover would share ids with legacy events still
 * kept in the queue, and be dropped as duplicates. Counting from 10^12 keeps
 * the two ranges apart for good (legacy would need a trillion events to
 * reach it; ids stay far below 2^53, exact as JS numbers).
 */
export const PRODUCT_OUTBOX_FIRST_ID = 1_000_000_000_000;

export async function up(knex: Knex): Promise<void> {
  const [[row]] = (await knex.raw('SELECT COALESCE(MAX(id), 0) AS max FROM event_outbox')) as [[{ max: number | string }]];
  if (Number(row.max) < PRODUCT_OUTBOX_FIRST_ID) await knex.raw(`ALTER TABLE event_outbox AUTO_INCREMENT = ${PRODUCT_OUTBOX_FIRST_ID}`);
}

export async function down(): Promise<void> {
  // AUTO_INCREMENT cannot go below the ids already used; nothing to undo
}
