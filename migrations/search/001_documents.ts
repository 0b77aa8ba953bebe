import type { Knex } from 'knex';

/**
 * The search service's own index for the MySQL/MariaDB FULLTEXT backend.
 * `name_tokens` / `tokens` hold generated tokens (services/search/tokens.ts:
 * prefixed CJK bigrams and words, all >= 3 characters) — binary collation so
 * tokens compare exactly. `version` makes every write idempotent; `deleted`
 * keeps a tombstone so a late, older event cannot resurrect a removed product.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE documents (
      product_id BIGINT UNSIGNED NOT NULL,
      version INT UNSIGNED NOT NULL,
      deleted TINYINT(1) NOT NULL DEFAULT 0,
      shop_id BIGINT UNSIGNED NOT NULL,
      shop_name VARCHAR(100) NOT NULL DEFAULT '',
      category_id INT UNSIGNED NULL,
      category_name VARCHAR(100) NULL,
      name VARCHAR(255) NOT NULL,
      description TEXT NULL,
      keywords VARCHAR(1000) NULL,
      price DECIMAL(12,2) NOT NULL,
      sale_price DECIMAL(12,2) NULL,
      effective_price DECIMAL(12,2) NOT NULL,
      discount_rate DECIMAL(5,2) NOT NULL DEFAULT 0,
      currency CHAR(3) NOT NULL DEFAULT 'KRW',
      status ENUM('active','hidden','sold_out') NOT NULL,
      image_url VARCHAR(500) NULL,
      like_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
      popularity_score DOUBLE NOT NULL DEFAULT 0,
      created_at DATETIME(6) NOT NULL,
      name_tokens TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
      tokens MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
      indexed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      reindex_run VARCHAR(40) NULL,
      PRIMARY KEY (product_id),
      KEY ix_documents_shop (shop_id),
      KEY ix_documents_category (category_id),
      KEY ix_documents_price (effective_price),
      KEY ix_documents_popularity (popularity_score),
      KEY ix_documents_created (created_at),
      FULLTEXT KEY ft_documents_name (name_tokens),
      FULLTEXT KEY ft_documents_all (tokens)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  // Checkpoints of full reindex runs (resumable: the last product id done is saved after every batch).
  await knex.raw(`
    CREATE TABLE reindex_runs (
      id VARCHAR(40) NOT NULL,
      backend VARCHAR(20) NOT NULL,
      target VARCHAR(200) NOT NULL,
      status ENUM('running','done','failed') NOT NULL DEFAULT 'running',
      last_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
      processed BIGINT UNSIGNED NOT NULL DEFAULT 0,
      batches INT UNSIGNED NOT NULL DEFAULT 0,
      error VARCHAR(500) NULL,
      started_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
      finished_at DATETIME(6) NULL,
      PRIMARY KEY (id),
      KEY ix_reindex_runs_status (status, started_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS reindex_runs');
  await knex.raw('DROP TABLE IF EXISTS documents');
}
