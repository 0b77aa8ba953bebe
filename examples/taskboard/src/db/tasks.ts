import type { Knex } from './connection.ts';
import { isoFromSql, labelIdToHex } from './rows.ts';

export type Status = 'todo' | 'doing' | 'done';
export const STATUSES: readonly Status[] = ['todo', 'doing', 'done'];

export interface TaskLabel {
  id: string;
  name: string;
  color: string;
}

export interface Task {
  id: string;
  projectId: string;
  title: string;
  description: string | null;
  status: Status;
  priority: number;
  dueDate: string | null;
  assignee: { id: string; name: string } | null;
  createdBy: { id: string; name: string };
  labels: TaskLabel[];
  commentCount: number;
  createdAt: string;
  updatedAt: string;
}

interface TaskRow {
  id: string;
  project_id: string;
  title: string;
  description: string | null;
  status: Status;
  priority: number;
  due_date: string | null;
  assignee_id: string | null;
  assignee_name: string | null;
  created_by: string;
  creator_name: string;
  comment_count: number;
  created_at: string;
  updated_at: string;
}

export interface TaskFilter {
  projectId: string;
  status?: Status;
  /** a user id, or null for unassigned tasks */
  assignee?: string | null;
  page: number;
  pageSize: number;
}

/** One task with its assignee's and creator's names (the users table joins in: a cross-service join after a split). */
const TASK_SQL = `
  SELECT t.id, t.project_id, t.title, t.description, t.status, t.priority, t.due_date,
         t.assignee_id, a.name AS assignee_name, t.created_by, c.name AS creator_name,
         (SELECT COUNT(*) FROM comments cm WHERE cm.task_id = t.id) AS comment_count,
         t.created_at, t.updated_at
    FROM tasks t
    LEFT JOIN users a ON a.id = t.assignee_id
    JOIN users c ON c.id = t.created_by
   WHERE t.id = ?`;

const TASK_LABELS_SQL = `
  SELECT tl.task_id, l.id, l.name, l.color
    FROM task_labels tl
    JOIN labels l ON l.id = tl.label_id
   WHERE tl.task_id IN (?)
   ORDER BY tl.task_id, l.name, l.id`;

function toTask(r: TaskRow, labels: TaskLabel[]): Task {
  return {
    id: r.id,
    projectId: r.project_id,
    title: r.title,
    description: r.description,
    status: r.status,
    priority: Number(r.priority),
    dueDate: r.due_date,
    assignee: r.assignee_id ? { id: r.assignee_id, name: r.assignee_name ?? '' } : null,
    createdBy: { id: r.created_by, name: r.creator_name },
    labels,
    commentCount: Number(r.comment_count),
    createdAt: isoFromSql(r.created_at)!,
    updatedAt: isoFromSql(r.updated_at)!,
  };
}

export function tasksRepo(db: Knex) {
  async function labelsFor(taskIds: string[]): Promise<Map<string, TaskLabel[]>> {
    const out = new Map<string, TaskLabel[]>();
    if (taskIds.length === 0) return out;
    const [rows] = (await db.raw(TASK_LABELS_SQL, [taskIds])) as [Array<{ task_id: string; id: Buffer; name: string; color: string }>];
    for (const r of rows) {
      const key = r.task_id.toLowerCase();
      if (!out.has(key)) out.set(key, []);
      out.get(key)!.push({ id: labelIdToHex(r.id), name: r.name, color: r.color });
    }
    return out;
  }

  return {
    async create(t: { id: string; projectId: string; title: string; description: string | null; status: Status; priority: number; dueDate: string | null; assigneeId: string | null; createdBy: string; now: string }): Promise<void> {
      await db('tasks').insert({
        id: t.id, project_id: t.projectId, title: t.title, description: t.description, status: t.status, priority: t.priority,
        due_date: t.dueDate, assignee_id: t.assigneeId, created_by: t.createdBy, created_at: t.now, updated_at: t.now,
      });
    },

    async get(id: string): Promise<Task | null> {
      const [rows] = (await db.raw(TASK_SQL, [id])) as [TaskRow[]];
      const r = rows[0];
      if (!r) return null;
      return toTask(r, (await labelsFor([r.id])).get(r.id.toLowerCase()) ?? []);
    },

    /** Only the project id, for access checks. */
    async projectOf(id: string): Promise<string | null> {
      const row = (await db('tasks').where({ id }).first('project_id')) as { project_id: string } | undefined;
      return row?.project_id ?? null;
    },

    /** A page of a project's tasks, oldest first, with the assignee's name from users. */
    async list(f: TaskFilter): Promise<{ items: Task[]; total: number }> {
      const base = db('tasks as t').where('t.project_id', f.projectId);
      if (f.status) base.andWhere('t.status', f.status);
      if (f.assignee === null) base.whereNull('t.assignee_id');
      else if (f.assignee !== undefined) base.andWhere('t.assignee_id', f.assignee);

      const [{ total }] = (await base.clone().count({ total: '*' })) as Array<{ total: number }>;
      const rows = (await base
        .clone()
        .leftJoin('users as a', 'a.id', 't.assignee_id')
        .join('users as c', 'c.id', 't.created_by')
        .select('t.id', 't.project_id', 't.title', 't.description', 't.status', 't.priority', 't.due_date', 't.assignee_id', 't.created_by', 't.created_at', 't.updated_at')
        .select({ assignee_name: 'a.name', creator_name: 'c.name' })
        .select(db.raw('(SELECT COUNT(*) FROM comments cm WHERE cm.task_id = t.id) AS comment_count'))
        .orderBy([{ column: 't.created_at' }, { column: 't.id' }])
        .limit(f.pageSize)
        .offset((f.page - 1) * f.pageSize)) as TaskRow[];
      const labels = await labelsFor(rows.map((r) => r.id));
      return { items: rows.map((r) => toTask(r, labels.get(r.id.toLowerCase()) ?? [])), total: Number(total) };
    },

    async update(id: string, patch: Partial<{ title: string; description: string | null; status: Status; priority: number; dueDate: string | null; assigneeId: string | null }>, now: string): Promise<void> {
      const row: Record<string, unknown> = { updated_at: now };
      if (patch.title !== undefined) row.title = patch.title;
      if (patch.description !== undefined) row.description = patch.description;
      if (patch.status !== undefined) row.status = patch.status;
      if (patch.priority !== undefined) row.priority = patch.priority;
      if (patch.dueDate !== undefined) row.due_date = patch.dueDate;
      if (patch.assigneeId !== undefined) row.assignee_id = patch.assigneeId;
      await db('tasks').where({ id }).update(row);
    },

    /** Comments and label links go with it (ON DELETE CASCADE). */
    async remove(id: string): Promise<boolean> {
      return (await db('tasks').where({ id }).delete()) > 0;
    },
  };
}

export type TasksRepo = ReturnType<typeof tasksRepo>;
