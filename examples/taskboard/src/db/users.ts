import type { Knex } from './connection.ts';
import { isoFromSql } from './rows.ts';

export interface User {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

export interface UserWithHash extends User {
  passwordHash: string;
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: string;
}

function toUser(r: UserRow): UserWithHash {
  return { id: r.id, email: r.email, name: r.name, createdAt: isoFromSql(r.created_at)!, passwordHash: r.password_hash };
}

export function publicUser(u: UserWithHash | User): User {
  return { id: u.id, email: u.email, name: u.name, createdAt: u.createdAt };
}

export function usersRepo(db: Knex) {
  return {
    /** Throws ER_DUP_ENTRY when the e-mail is taken (compared case-insensitively by the column's collation). */
    async create(u: { id: string; email: string; name: string; passwordHash: string; now: string }): Promise<void> {
      await db('users').insert({ id: u.id, email: u.email, name: u.name, password_hash: u.passwordHash, created_at: u.now, updated_at: u.now });
    },

    async findById(id: string): Promise<UserWithHash | null> {
      const row = (await db('users').where({ id }).first()) as UserRow | undefined;
      return row ? toUser(row) : null;
    },

    async findByEmail(email: string): Promise<UserWithHash | null> {
      const row = (await db('users').where({ email }).first()) as UserRow | undefined;
      return row ? toUser(row) : null;
    },

    /** The profile page: the user with how many projects they belong to and how many open tasks they hold. */
    async profile(id: string): Promise<(User & { projectCount: number; openTaskCount: number }) | null> {
      const [rows] = (await db.raw(
        `SELECT u.id, u.email, u.name, u.created_at,
                (SELECT COUNT(*) FROM project_members pm WHERE pm.user_id = u.id) AS project_count,
                (SELECT COUNT(*) FROM tasks t WHERE t.assignee_id = u.id AND t.status <> 'done') AS open_task_count
           FROM users u
          WHERE u.id = ?`,
        [id],
      )) as [Array<UserRow & { project_count: number; open_task_count: number }>];
      const r = rows[0];
      if (!r) return null;
      return { ...publicUser(toUser(r)), projectCount: Number(r.project_count), openTaskCount: Number(r.open_task_count) };
    },
  };
}

export type UsersRepo = ReturnType<typeof usersRepo>;
