import type { Knex } from 'knex';
import { assertDomain, OwnershipError, type Domain } from './types.ts';

export const OWNERSHIP_TABLE = 'service_ownership';
export const OWNERSHIP_AUDIT_TABLE = 'service_ownership_audit';
/** Longest domain name (DOMAIN_PATTERN); the library's table holds it (migration 010 used 32). */
export const DOMAIN_COLUMN_LENGTH = 64;
const DATABASE_NAME = /^[A-Za-z0-9_$-]{1,64}$/;

export interface EnsureRegistryOptions {
  /** Domains to seed (INSERT IGNORE: legacy / legacy / version 1); existing rows are never changed. */
  domains?: readonly Domain[];
  /** Database that holds the registry; default: the knex connection's current database. Created when missing. */
  database?: string;
  /** `changed_by` of the seeded rows (default 'ensureRegistry'). */
  actor?: string;
}

/** The registry's current database name (the one its knex connection uses) when none is named. */
export async function currentDatabase(knex: Knex): Promise<string> {
  const [rows] = (await knex.raw('SELECT DATABASE() AS db')) as [Array<{ db: string | null }>];
  const db = rows[0]?.db;
  if (!db) throw new OwnershipError('OWNERSHIP_INVALID', 'database: the registry connection has no current database; name one with { database }');
  return db;
}

export function assertDatabaseName(db: string): void {
  if (!DATABASE_NAME.test(db)) throw new OwnershipError('OWNERSHIP_INVALID', `database: ${JSON.stringify(db).slice(0, 80)} must match ${DATABASE_NAME.source}`);
}

/**
 * Creates the ownership tables when missing (same columns as
 * migrations/legacy/010_service_ownership.ts, domain widened to 64) and seeds
 * one row per domain. Idempotent and safe to run from every process at start:
 * CREATE TABLE IF NOT EXISTS and INSERT IGNORE never touch an existing row.
 * Returns the database it used.
 */
export async function ensureRegistry(knex: Knex, opts: EnsureRegistryOptions = {}): Promise<{ database: string }> {
  const domains = opts.domains ?? [];
  for (const d of domains) assertDomain(d);
  const db = opts.database ?? await currentDatabase(knex);
  assertDatabaseName(db);
  const [schemata] = (await knex.raw('SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [db])) as [unknown[]];
  if (schemata.length === 0) await knex.raw('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [db]);
  // create only when missing: a process with DML (or SELECT) rights alone can still start against an existing
  // registry (information_schema shows a user only the tables it may touch, so look for the main table alone)
  const [tables] = (await knex.raw('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [db, OWNERSHIP_TABLE])) as [Array<{ t: string }>];
  if (tables.length === 0) await createTables(knex, db);
  if (domains.some((d) => d.length > 32)) await widenDomainColumns(knex, db);
  if (domains.length === 0) return { database: db };
  const existing = new Set(((await knex(OWNERSHIP_TABLE).withSchema(db).select('domain')) as Array<{ domain: string }>).map((r) => r.domain));
  const missing = [...new Set(domains)].filter((d) => !existing.has(d));
  if (missing.length) {
    const values = missing.map(() => "(?, 'legacy', 'legacy', 1, ?, 'initial')").join(', ');
    const actor = opts.actor ?? 'ensureRegistry';
    await knex.raw(`INSERT IGNORE INTO ??.?? (domain, owner, \`database\`, version, changed_by, reason) VALUES ${values}`, [db, OWNERSHIP_TABLE, ...missing.flatMap((d) => [d, actor])]);
  }
  return { database: db };
}

async function createTables(knex: Knex, db: string): Promise<void> {
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS ??.?? (
      domain VARCHAR(${DOMAIN_COLUMN_LENGTH}) NOT NULL,
      owner ENUM('legacy','service') NOT NULL DEFAULT 'legacy',
      \`database\` ENUM('legacy','own') NOT NULL DEFAULT 'legacy',
      version INT UNSIGNED NOT NULL DEFAULT 1,
      changed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      changed_by VARCHAR(100) NOT NULL DEFAULT 'migration',
      reason VARCHAR(500) NOT NULL DEFAULT '',
      PRIMARY KEY (domain)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`, [db, OWNERSHIP_TABLE]);
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS ??.?? (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      domain VARCHAR(${DOMAIN_COLUMN_LENGTH}) NOT NULL,
      from_owner ENUM('legacy','service') NOT NULL,
      to_owner ENUM('legacy','service') NOT NULL,
      from_database ENUM('legacy','own') NOT NULL,
      to_database ENUM('legacy','own') NOT NULL,
      version INT UNSIGNED NOT NULL,
      changed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      changed_by VARCHAR(100) NOT NULL,
      reason VARCHAR(500) NOT NULL,
      PRIMARY KEY (id),
      KEY ix_service_ownership_audit_domain (domain, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`, [db, OWNERSHIP_AUDIT_TABLE]);
}

/** A table made by migration 010 holds 32-character names; widen it before seeding a longer one. */
async function widenDomainColumns(knex: Knex, db: string): Promise<void> {
  const [cols] = (await knex.raw(
    `SELECT TABLE_NAME AS t, CHARACTER_MAXIMUM_LENGTH AS len FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?, ?) AND COLUMN_NAME = 'domain'`, [db, OWNERSHIP_TABLE, OWNERSHIP_AUDIT_TABLE])) as [Array<{ t: string; len: number }>];
  for (const c of cols) {
    if (Number(c.len) < DOMAIN_COLUMN_LENGTH) await knex.raw(`ALTER TABLE ??.?? MODIFY domain VARCHAR(${DOMAIN_COLUMN_LENGTH}) NOT NULL`, [db, c.t]);
  }
}
