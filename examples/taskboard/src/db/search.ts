import type { Knex } from './connection.ts';
import { isoFromSql, likeContains } from './rows.ts';
import type { Status } from './tasks.ts';

export interface SearchHit {
  taskId: string;
  title: string;
  status: Status;
  project: { id: string; name: string };
  assignee: { id: string; name: string } | null;
  updatedAt: string;
}

/**
 * Tasks whose title or description contains the text, in the projects the
 * user belongs to. Joins tasks, projects, project_members and users: four
 * tables that a split would put in up to three services.
 */
const SEARCH_SQL = `
  SELECT t.id, t.title, t.status, p.id AS project_id, p.name AS project_name,
         t.assignee_id, a.name AS assignee_name, t.updated_at
    FROM tasks t
    JOIN projects p ON p.id = t.project_id
    JOIN project_members m ON m.project_id = p.id AND m.user_id = ?
    LEFT JOIN users a ON a.id = t.assignee_id
   WHERE (t.title LIKE ? OR t.description LIKE ?)
   ORDER BY t.updated_at DESC, t.id
   LIMIT ?`;

export function searchRepo(db: Knex) {
  return {
    async tasks(userId: string, q: string, limit: number): Promise<SearchHit[]> {
      const pattern = likeContains(q);
      const [rows] = (await db.raw(SEARCH_SQL, [userId, pattern, pattern, limit])) as [
        Array<{ id: string; title: string; status: Status; project_id: string; project_name: string; assignee_id: string | null; assignee_name: string | null; updated_at: string }>,
      ];
      return rows.map((r) => ({
        taskId: r.id,
        title: r.title,
        status: r.status,
        project: { id: r.project_id, name: r.project_name },
        assignee: r.assignee_id ? { id: r.assignee_id, name: r.assignee_name ?? '' } : null,
        updatedAt: isoFromSql(r.updated_at)!,
      }));
    },
  };
}

export type SearchRepo = ReturnType<typeof searchRepo>;
