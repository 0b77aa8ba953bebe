import type { Knex } from 'knex';
import { createOutboxTable, dropOutboxTable } from '../../lib/events/outbox.ts';

/**
 * Transactional outbox for product events (lib/events/outbox.ts). Owned by
 * the product domain: it moves with the product tables when they are split
 * into product_svc, because it must commit in the same transaction as them.
 */
export async function up(knex: Knex): Promise<void> {
  await createOutboxTable(knex);
}

export async function down(knex: Knex): Promise<void> {
  await dropOutboxTable(knex);
}
