import type { Knex } from './connection.ts';
import { isoFromSql } from './rows.ts';

export interface Comment {
  id: number;
  taskId: string;
  author: { id: string; name: string };
  body: string;
  createdAt: string;
}

/** Comments in the order they were written, with their authors' names (users: another service after a split). */
const COMMENTS_SQL = `
  SELECT cm.id, cm.task_id, cm.author_id, u.name AS author_name, cm.body, cm.created_at
    FROM comments cm
    JOIN users u ON u.id = cm.author_id
   WHERE cm.task_id = ?
   ORDER BY cm.id
   LIMIT ? OFFSET ?`;

interface CommentRow {
  id: number;
  task_id: string;
  author_id: string;
  author_name: string;
  body: string;
  created_at: string;
}

function toComment(r: CommentRow): Comment {
  return { id: Number(r.id), taskId: r.task_id, author: { id: r.author_id, name: r.author_name }, body: r.body, createdAt: isoFromSql(r.created_at)! };
}

export function commentsRepo(db: Knex) {
  return {
    async list(taskId: string, limit: number, offset: number): Promise<Comment[]> {
      const [rows] = (await db.raw(COMMENTS_SQL, [taskId, limit, offset])) as [CommentRow[]];
      return rows.map(toComment);
    },

    async add(c: { taskId: string; authorId: string; body: string; now: string }): Promise<Comment> {
      const [id] = await db('comments').insert({ task_id: c.taskId, author_id: c.authorId, body: c.body, created_at: c.now });
      const [rows] = (await db.raw(
        `SELECT cm.id, cm.task_id, cm.author_id, u.name AS author_name, cm.body, cm.created_at
           FROM comments cm JOIN users u ON u.id = cm.author_id WHERE cm.id = ?`,
        [id],
      )) as [CommentRow[]];
      return toComment(rows[0]);
    },
  };
}

export type CommentsRepo = ReturnType<typeof commentsRepo>;
