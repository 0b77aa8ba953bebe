import type { Knex } from 'knex';

/** Tasks belong to a project (deleted with it); the assignee is optional and unset when the user goes. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE tasks (
      id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
      project_id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
      title VARCHAR(200) NOT NULL,
      description TEXT NULL,
      status ENUM('todo','doing','done') NOT NULL DEFAULT 'todo',
      priority TINYINT UNSIGNED NOT NULL DEFAULT 3,
      assignee_id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NULL,
      created_by CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
      due_date DATE NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      KEY tasks_project_status_index (project_id, status, created_at),
      KEY tasks_assignee_id_index (assignee_id),
      KEY tasks_created_by_index (created_by),
      CONSTRAINT tasks_project_id_foreign FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
      CONSTRAINT tasks_assignee_id_foreign FOREIGN KEY (assignee_id) REFERENCES users (id) ON DELETE SET NULL,
      CONSTRAINT tasks_created_by_foreign FOREIGN KEY (created_by) REFERENCES users (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS tasks');
}
