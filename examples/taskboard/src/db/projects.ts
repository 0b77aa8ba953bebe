import type { Knex } from './connection.ts';
import { isoFromSql } from './rows.ts';

export type Role = 'owner' | 'admin' | 'member';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

export interface Project {
  id: string;
  name: string;
  description: string | null;
  ownerId: string;
  createdAt: string;
  updatedAt: string;
}

export interface ProjectSummary extends Project {
  role: Role;
  memberCount: number;
  openTaskCount: number;
}

export interface Member {
  userId: string;
  name: string;
  email: string;
  role: Role;
  addedAt: string;
}

interface ProjectRow {
  id: string;
  name: string;
  description: string | null;
  owner_id: string;
  created_at: string;
  updated_at: string;
}

function toProject(r: ProjectRow): Project {
  return { id: r.id, name: r.name, description: r.description, ownerId: r.owner_id, createdAt: isoFromSql(r.created_at)!, updatedAt: isoFromSql(r.updated_at)! };
}

/** Members joined with their user rows (users would live in another service after a split). */
const MEMBERS_SQL = `
  SELECT pm.user_id, u.name, u.email, pm.role, pm.added_at
    FROM project_members pm
    JOIN users u ON u.id = pm.user_id
   WHERE pm.project_id = ?
   ORDER BY FIELD(pm.role, 'owner', 'admin', 'member'), u.name, pm.user_id`;

export function projectsRepo(db: Knex) {
  async function summaries(userId: string, projectId?: string): Promise<ProjectSummary[]> {
    const q = db('projects as p')
      .join('project_members as pm', 'pm.project_id', 'p.id')
      .where('pm.user_id', userId)
      .select('p.*', 'pm.role')
      .select(db.raw('(SELECT COUNT(*) FROM project_members m2 WHERE m2.project_id = p.id) AS member_count'))
      .select(db.raw("(SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id AND t.status <> 'done') AS open_task_count"))
      .orderBy([{ column: 'p.name' }, { column: 'p.id' }]);
    if (projectId !== undefined) q.andWhere('p.id', projectId);
    const rows = (await q) as Array<ProjectRow & { role: Role; member_count: number; open_task_count: number }>;
    return rows.map((r) => ({ ...toProject(r), role: r.role, memberCount: Number(r.member_count), openTaskCount: Number(r.open_task_count) }));
  }

  return {
    /** Creates the project and makes its creator the owner, in one transaction. */
    async createWithOwner(p: { id: string; name: string; description: string | null; ownerId: string; now: string }): Promise<void> {
      await db.transaction(async (trx) => {
        await trx('projects').insert({ id: p.id, owner_id: p.ownerId, name: p.name, description: p.description, created_at: p.now, updated_at: p.now });
        await trx('project_members').insert({ project_id: p.id, user_id: p.ownerId, role: 'owner', added_at: p.now });
      });
    },

    async get(id: string): Promise<Project | null> {
      const row = (await db('projects').where({ id }).first()) as ProjectRow | undefined;
      return row ? toProject(row) : null;
    },

    /** The projects a user belongs to, by name, with the user's role and counts. */
    async listForUser(userId: string): Promise<ProjectSummary[]> {
      return summaries(userId);
    },

    /** One project as listForUser shows it, or null when the user is not a member. */
    async summaryFor(projectId: string, userId: string): Promise<ProjectSummary | null> {
      return (await summaries(userId, projectId))[0] ?? null;
    },

    async update(id: string, patch: { name?: string; description?: string | null }, now: string): Promise<void> {
      await db('projects').where({ id }).update({ ...patch, updated_at: now });
    },

    /** Members, tasks, labels and comments go with it (ON DELETE CASCADE). */
    async remove(id: string): Promise<boolean> {
      return (await db('projects').where({ id }).delete()) > 0;
    },

    async roleOf(projectId: string, userId: string): Promise<Role | null> {
      const row = (await db('project_members').where({ project_id: projectId, user_id: userId }).first('role')) as { role: Role } | undefined;
      return row?.role ?? null;
    },

    async members(projectId: string): Promise<Member[]> {
      const [rows] = (await db.raw(MEMBERS_SQL, [projectId])) as [Array<{ user_id: string; name: string; email: string; role: Role; added_at: string }>];
      return rows.map((r) => ({ userId: r.user_id, name: r.name, email: r.email, role: r.role, addedAt: isoFromSql(r.added_at)! }));
    },

    /** Throws ER_DUP_ENTRY when the user is a member already. */
    async addMember(projectId: string, userId: string, role: Role, now: string): Promise<void> {
      await db('project_members').insert({ project_id: projectId, user_id: userId, role, added_at: now });
    },

    async setRole(projectId: string, userId: string, role: Role): Promise<boolean> {
      return (await db('project_members').where({ project_id: projectId, user_id: userId }).update({ role })) > 0;
    },

    /** Removes the member and unassigns their tasks in this project. */
    async removeMember(projectId: string, userId: string, now: string): Promise<boolean> {
      return db.transaction(async (trx) => {
        const n = await trx('project_members').where({ project_id: projectId, user_id: userId }).delete();
        if (n > 0) await trx('tasks').where({ project_id: projectId, assignee_id: userId }).update({ assignee_id: null, updated_at: now });
        return n > 0;
      });
    },
  };
}

export type ProjectsRepo = ReturnType<typeof projectsRepo>;
