import type { Knex } from 'knex';
import { createOutboxTable, dropOutboxTable } from '../../lib/events/outbox.ts';

/**
 * The product service writes product events into an outbox in the same
 * transaction as the change (lib/events), in whichever database owns the
 * products: legacy has it from migration 030, the product service's own
 * database from this one (same DDL; IF NOT EXISTS).
 */
export async function up(knex: Knex): Promise<void> {
  await createOutboxTable(knex);
}

export async function down(knex: Knex): Promise<void> {
  await dropOutboxTable(knex);
}
