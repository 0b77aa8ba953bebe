import type { Knex } from 'knex';

/**
 * State of the shop service's sagas (admin "close shop"): one row per saga,
 * updated after every step, so an interrupted saga is compensated on restart.
 * Lives where the shop service's tables live (legacy DB before the split,
 * shop_svc after); owned by the shop service.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS saga_log (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      type VARCHAR(50) NOT NULL,
      saga_key VARCHAR(100) NOT NULL,
      status ENUM('running','completed','compensating','compensated','failed') NOT NULL,
      step INT UNSIGNED NOT NULL DEFAULT 0,
      context JSON NOT NULL,
      error VARCHAR(2000) NULL,
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
      PRIMARY KEY (id),
      KEY ix_saga_log_status (status),
      KEY ix_saga_log_key (type, saga_key)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS saga_log');
}
