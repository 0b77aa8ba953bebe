import type { Knex } from 'knex';

/**
 * Comments (AUTO_INCREMENT ids, the order they were written), labels keyed by
 * a BINARY(16) UUID, and task_labels with a three-column primary key.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE comments (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      task_id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
      author_id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
      body TEXT NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      KEY comments_task_id_index (task_id, id),
      KEY comments_author_id_index (author_id),
      CONSTRAINT comments_task_id_foreign FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE,
      CONSTRAINT comments_author_id_foreign FOREIGN KEY (author_id) REFERENCES users (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  await knex.raw(`
    CREATE TABLE labels (
      id BINARY(16) NOT NULL,
      project_id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
      name VARCHAR(40) NOT NULL,
      color CHAR(7) NOT NULL DEFAULT '#888888',
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      UNIQUE KEY labels_project_name_unique (project_id, name),
      CONSTRAINT labels_project_id_foreign FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

  await knex.raw(`
    CREATE TABLE task_labels (
      project_id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
      task_id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
      label_id BINARY(16) NOT NULL,
      added_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (project_id, task_id, label_id),
      KEY task_labels_task_id_index (task_id),
      KEY task_labels_label_id_index (label_id),
      CONSTRAINT task_labels_task_id_foreign FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE,
      CONSTRAINT task_labels_label_id_foreign FOREIGN KEY (label_id) REFERENCES labels (id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS task_labels');
  await knex.raw('DROP TABLE IF EXISTS labels');
  await knex.raw('DROP TABLE IF EXISTS comments');
}
