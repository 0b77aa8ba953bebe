import type { Knex } from 'knex';

/**
 * Ownership registry (lib/ownership): one row per domain saying who is live
 * (legacy code or the service) and which database the service uses. Every
 * change bumps `version` and appends an audit row in the same transaction.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS service_ownership (
      domain VARCHAR(32) NOT NULL,
      owner ENUM('legacy','service') NOT NULL DEFAULT 'legacy',
      \`database\` ENUM('legacy','own') NOT NULL DEFAULT 'legacy',
      version INT UNSIGNED NOT NULL DEFAULT 1,
      changed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      changed_by VARCHAR(100) NOT NULL DEFAULT 'migration',
      reason VARCHAR(500) NOT NULL DEFAULT '',
      PRIMARY KEY (domain)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS service_ownership_audit (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      domain VARCHAR(32) NOT NULL,
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
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  await knex.raw(`
    INSERT IGNORE INTO service_ownership (domain, owner, \`database\`, changed_by, reason) VALUES
      ('product','legacy','legacy','migration','initial'),
      ('shop','legacy','legacy','migration','initial'),
      ('user','legacy','legacy','migration','initial'),
      ('search','legacy','legacy','migration','initial')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS service_ownership_audit');
  await knex.raw('DROP TABLE IF EXISTS service_ownership');
}
