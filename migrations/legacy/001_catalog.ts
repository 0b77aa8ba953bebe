import type { Knex } from 'knex';

/**
 * The monolith's schema, as it grew: InnoDB, utf8mb4, foreign keys where a
 * monolith has them, and the column types a real catalogue carries (JSON,
 * DATETIME(6), DECIMAL, ENUM, unsigned BIGINT counters, NULLs, a generated
 * column) — the split toolkit must move all of them intact.
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

  await knex.raw(`
    CREATE TABLE admins (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      email VARCHAR(191) NOT NULL,
      password_hash VARCHAR(200) NOT NULL,
      name VARCHAR(100) NOT NULL,
      role ENUM('operator','superuser') NOT NULL DEFAULT 'operator',
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      PRIMARY KEY (id),
      UNIQUE KEY uq_admins_email (email)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  await knex.raw(`
    CREATE TABLE categories (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT,
      parent_id INT UNSIGNED NULL,
      name VARCHAR(100) NOT NULL,
      slug VARCHAR(100) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_categories_slug (slug),
      CONSTRAINT fk_categories_parent FOREIGN KEY (parent_id) REFERENCES categories (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  await knex.raw(`
    CREATE TABLE products (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      shop_id BIGINT UNSIGNED NOT NULL,
      category_id INT UNSIGNED NULL,
      external_id VARCHAR(64) NOT NULL,
      name VARCHAR(255) NOT NULL,
      description TEXT NULL,
      price DECIMAL(12,2) NOT NULL,
      sale_price DECIMAL(12,2) NULL,
      currency CHAR(3) NOT NULL DEFAULT 'KRW',
      status ENUM('active','hidden','sold_out') NOT NULL DEFAULT 'active',
      attributes JSON NULL,
      like_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
      view_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
      popularity_score DOUBLE NOT NULL DEFAULT 0,
      version INT UNSIGNED NOT NULL DEFAULT 1,
      discount_rate DECIMAL(5,2) AS (IF(sale_price IS NULL OR price = 0, 0, ROUND((price - sale_price) * 100 / price, 2))) VIRTUAL,
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
      PRIMARY KEY (id),
      UNIQUE KEY uq_products_shop_external (shop_id, external_id),
      KEY ix_products_category (category_id),
      KEY ix_products_created (created_at),
      KEY ix_products_price (price),
      KEY ix_products_popularity (popularity_score),
      CONSTRAINT fk_products_shop FOREIGN KEY (shop_id) REFERENCES shops (id),
      CONSTRAINT fk_products_category FOREIGN KEY (category_id) REFERENCES categories (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  await knex.raw(`
    CREATE TABLE product_images (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      product_id BIGINT UNSIGNED NOT NULL,
      url VARCHAR(500) NOT NULL,
      position SMALLINT UNSIGNED NOT NULL DEFAULT 0,
      PRIMARY KEY (id),
      KEY ix_product_images_product (product_id, position),
      CONSTRAINT fk_product_images_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  await knex.raw(`
    CREATE TABLE users (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      email VARCHAR(191) NOT NULL,
      password_hash VARCHAR(200) NOT NULL,
      name VARCHAR(100) NOT NULL,
      gender ENUM('female','male','other') NULL,
      birth_year SMALLINT UNSIGNED NULL,
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
      PRIMARY KEY (id),
      UNIQUE KEY uq_users_email (email)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  await knex.raw(`
    CREATE TABLE sessions (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      token_hash CHAR(64) NOT NULL,
      user_id BIGINT UNSIGNED NOT NULL,
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      expires_at DATETIME(6) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_sessions_token (token_hash),
      KEY ix_sessions_user (user_id),
      CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  await knex.raw(`
    CREATE TABLE staff_sessions (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      token_hash CHAR(64) NOT NULL,
      kind ENUM('admin','merchant') NOT NULL,
      subject_id BIGINT UNSIGNED NOT NULL,
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      expires_at DATETIME(6) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_staff_sessions_token (token_hash)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  await knex.raw(`
    CREATE TABLE likes (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      user_id BIGINT UNSIGNED NOT NULL,
      product_id BIGINT UNSIGNED NOT NULL,
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      PRIMARY KEY (id),
      UNIQUE KEY uq_likes_user_product (user_id, product_id),
      KEY ix_likes_product (product_id),
      CONSTRAINT fk_likes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
      CONSTRAINT fk_likes_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  await knex.raw(`
    CREATE TABLE shop_bookmarks (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      user_id BIGINT UNSIGNED NOT NULL,
      shop_id BIGINT UNSIGNED NOT NULL,
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      PRIMARY KEY (id),
      UNIQUE KEY uq_shop_bookmarks_user_shop (user_id, shop_id),
      KEY ix_shop_bookmarks_shop (shop_id),
      CONSTRAINT fk_shop_bookmarks_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
      CONSTRAINT fk_shop_bookmarks_shop FOREIGN KEY (shop_id) REFERENCES shops (id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  // Event log written straight into MySQL, as the story did. No FKs: it is big and append-only.
  await knex.raw(`
    CREATE TABLE logs (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      type ENUM('view','click','search','like') NOT NULL,
      user_id BIGINT UNSIGNED NULL,
      product_id BIGINT UNSIGNED NULL,
      shop_id BIGINT UNSIGNED NULL,
      query VARCHAR(255) NULL,
      meta JSON NULL,
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      PRIMARY KEY (id),
      KEY ix_logs_type_created (type, created_at),
      KEY ix_logs_product (product_id),
      KEY ix_logs_shop (shop_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  // Outputs of the periodic jobs.
  await knex.raw(`
    CREATE TABLE shop_daily_stats (
      shop_id BIGINT UNSIGNED NOT NULL,
      day DATE NOT NULL,
      views BIGINT UNSIGNED NOT NULL DEFAULT 0,
      clicks BIGINT UNSIGNED NOT NULL DEFAULT 0,
      likes BIGINT UNSIGNED NOT NULL DEFAULT 0,
      active_products INT UNSIGNED NOT NULL DEFAULT 0,
      computed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      PRIMARY KEY (shop_id, day)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['shop_daily_stats', 'logs', 'shop_bookmarks', 'likes', 'staff_sessions', 'sessions', 'users',
    'product_images', 'products', 'categories', 'admins', 'merchants', 'shops']) {
    await knex.raw('DROP TABLE IF EXISTS ??', [t]);
  }
}
