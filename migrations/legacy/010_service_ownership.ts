import type { Knex } from 'knex';
import { DOMAINS, ensureRegistry } from '../../lib/ownership/index.ts';

/**
 * Ownership registry (lib/ownership): one row per domain saying who is live
 * (legacy code or the service) and which database the service uses. Every
 * change bumps `version` and appends an audit row in the same transaction.
 * The tables are the library's own (ensureRegistry, which split-db and the
 * seam also call), seeded with the demo's domains.
 */
export async function up(knex: Knex): Promise<void> {
  await ensureRegistry(knex, { domains: DOMAINS, actor: 'migration' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS service_ownership_audit');
  await knex.raw('DROP TABLE IF EXISTS service_ownership');
}
