import type { Knex } from 'knex';

/**
 * The shop service's own database: shops and merchants with the same columns
 * and types as in the legacy database. The merchants → shops FK stays (both
 * tables belong to the shop service).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE shops (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      name VARCHAR(100) NOT NULL,
      slug VARCHAR(100) NOT NULL,
      url VARCHAR(500) NULL,
      description TEXT NULL,
      contract_status ENUM('pending','active','suspended','terminated') NOT NULL DEFAULT 'pending',
      status ENUM('open','closed') NOT NULL DEFAULT 'open',
      commission_rate DECIMAL(5,2) NOT NULL DEFAULT 10.00,
      follower_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
      PRIMARY KEY (id),
      UNIQUE KEY uq_shops_slug (slug),
      KEY ix_shops_status (status, contract_status)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  await knex.raw(`
    CREATE TABLE merchants (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      shop_id BIGINT UNSIGNED NOT NULL,
      email VARCHAR(191) NOT NULL,
      password_hash VARCHAR(200) NOT NULL,
      name VARCHAR(100) NOT NULL,
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      PRIMARY KEY (id),
      UNIQUE KEY uq_merchants_email (email),
      KEY ix_merchants_shop (shop_id),
      CONSTRAINT fk_merchants_shop FOREIGN KEY (shop_id) REFERENCES shops (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['merchants', 'shops']) await knex.raw('DROP TABLE IF EXISTS ??', [t]);
}
