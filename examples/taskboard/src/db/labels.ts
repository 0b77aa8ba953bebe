import { randomUUID } from 'node:crypto';
import type { Knex } from './connection.ts';
import { isoFromSql, labelIdFromHex, labelIdToHex } from './rows.ts';

export interface Label {
  id: string;
  projectId: string;
  name: string;
  color: string;
  taskCount: number;
  createdAt: string;
}

interface LabelRow {
  id: Buffer;
  project_id: string;
  name: string;
  color: string;
  task_count: number;
  created_at: string;
}

function toLabel(r: LabelRow): Label {
  return { id: labelIdToHex(r.id), projectId: r.project_id, name: r.name, color: r.color, taskCount: Number(r.task_count), createdAt: isoFromSql(r.created_at)! };
}

export function labelsRepo(db: Knex) {
  const withCount = () =>
    db('labels as l')
      .select('l.id', 'l.project_id', 'l.name', 'l.color', 'l.created_at')
      .select(db.raw('(SELECT COUNT(*) FROM task_labels tl WHERE tl.label_id = l.id) AS task_count'));

  return {
    /** Throws ER_DUP_ENTRY when the project has a label of that name. Returns the new id (hex). */
    async create(l: { projectId: string; name: string; color: string; now: string }): Promise<string> {
      const id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
      await db('labels').insert({ id, project_id: l.projectId, name: l.name, color: l.color, created_at: l.now });
      return labelIdToHex(id);
    },

    async get(hexId: string): Promise<Label | null> {
      const row = (await withCount().where('l.id', labelIdFromHex(hexId)).first()) as LabelRow | undefined;
      return row ? toLabel(row) : null;
    },

    async listForProject(projectId: string): Promise<Label[]> {
      const rows = (await withCount().where('l.project_id', projectId).orderBy([{ column: 'l.name' }, { column: 'l.id' }])) as LabelRow[];
      return rows.map(toLabel);
    },

    /** Returns false when the task had the label already. */
    async attach(projectId: string, taskId: string, hexId: string, now: string): Promise<boolean> {
      const key = { project_id: projectId, task_id: taskId, label_id: labelIdFromHex(hexId) };
      const exists = await db('task_labels').where(key).first('task_id');
      if (exists) return false;
      await db('task_labels').insert({ ...key, added_at: now });
      return true;
    },

    async detach(projectId: string, taskId: string, hexId: string): Promise<boolean> {
      return (await db('task_labels').where({ project_id: projectId, task_id: taskId, label_id: labelIdFromHex(hexId) }).delete()) > 0;
    },
  };
}

export type LabelsRepo = ReturnType<typeof labelsRepo>;
