import type { Knex } from 'knex';

/**
 * Test fixture for split-db's key matrix (scripts/split/test/keys.test.ts):
 * one table per kind of key the tool accepts, and one it must refuse.
 * Used as both the source and the target schema of those tests only.
 */
export async function up(knex: Knex): Promise<void> {
  const tail = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
  await knex.raw(`CREATE TABLE k_int (id BIGINT UNSIGNED NOT NULL, v VARCHAR(40) NOT NULL, n INT NOT NULL, PRIMARY KEY (id)) ${tail}`);
  await knex.raw(`CREATE TABLE k_uuid (id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL, v VARCHAR(40) NOT NULL, n INT NOT NULL, PRIMARY KEY (id)) ${tail}`);
  await knex.raw(`CREATE TABLE k_bin (id BINARY(16) NOT NULL, v VARCHAR(40) NOT NULL, n INT NOT NULL, PRIMARY KEY (id)) ${tail}`);
  await knex.raw(`CREATE TABLE k_pair (a INT NOT NULL, b VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL, v VARCHAR(40) NOT NULL, n INT NOT NULL,
    PRIMARY KEY (a, b)) ${tail}`);
  await knex.raw(`CREATE TABLE k_triple (t DATETIME(6) NOT NULL, s VARBINARY(8) NOT NULL, x DECIMAL(10,2) NOT NULL, v VARCHAR(40) NOT NULL, n INT NOT NULL,
    PRIMARY KEY (t, s, x)) ${tail}`);
  await knex.raw(`CREATE TABLE k_unique (code VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL, alt INT NULL, v VARCHAR(40) NOT NULL, n INT NOT NULL,
    UNIQUE KEY uq_alt (alt), UNIQUE KEY uq_code (code)) ${tail}`);
  await knex.raw(`CREATE TABLE k_none (a INT NULL, v VARCHAR(40) NOT NULL, UNIQUE KEY uq_a (a)) ${tail}`);
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['k_int', 'k_uuid', 'k_bin', 'k_pair', 'k_triple', 'k_unique', 'k_none']) await knex.raw(`DROP TABLE IF EXISTS ${t}`);
}
