import { AppError } from '../../lib/errors.ts';
import type { UserRow } from '../../lib/contract/rows.ts';
import { countOf, escapeLike, isDuplicateKey, offset, type Counted, type Db, type Paging } from './db.ts';
import { hashPassword } from './passwords.ts';

const USER_COLUMNS = ['id', 'email', 'name', 'gender', 'birth_year', 'created_at'];

export interface NewUser { email: string; password: string; name: string; gender?: 'female' | 'male' | 'other' | null; birthYear?: number | null }

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function createUser(db: Db, input: NewUser): Promise<UserRow> {
  const passwordHash = await hashPassword(input.password);
  try {
    const [id] = await db('users').insert({
      email: normalizeEmail(input.email),
      password_hash: passwordHash,
      name: input.name,
      gender: input.gender ?? null,
      birth_year: input.birthYear ?? null,
    });
    return (await getUser(db, Number(id)))!;
  } catch (err) {
    if (isDuplicateKey(err)) throw new AppError('CONFLICT', 'A user with this email already exists');
    throw err;
  }
}

export async function getUser(db: Db, id: number): Promise<UserRow | undefined> {
  return db('users').where({ id }).first(USER_COLUMNS);
}

export async function findUserCredentials(db: Db, email: string): Promise<{ id: number; password_hash: string } | undefined> {
  return db('users').where({ email: normalizeEmail(email) }).first('id', 'password_hash');
}

export async function listUsers(db: Db, q: string | undefined, paging: Paging): Promise<Counted<UserRow>> {
  const base = db('users');
  if (q) {
    const like = `%${escapeLike(q)}%`;
    base.where((w) => w.where('email', 'like', like).orWhere('name', 'like', like));
  }
  const [rows, total] = await Promise.all([
    base.clone().select(USER_COLUMNS).orderBy('id', 'desc').limit(paging.size).offset(offset(paging)),
    countOf(base),
  ]);
  return { rows, total };
}
