import type { Knex } from 'knex';

/**
 * The product service's own database: the same columns and types as the
 * legacy tables it owns (categories, products, product_images), so the split
 * tool can move rows byte for byte. Foreign keys stay inside the service:
 * products.shop_id points at the shop service and is checked by the
 * application (the legacy FK fk_products_shop is deliberately not recreated).
 */
export async function up(knex: Knex): Promise<void> {
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
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['product_images', 'products', 'categories']) await knex.raw('DROP TABLE IF EXISTS ??', [t]);
}
