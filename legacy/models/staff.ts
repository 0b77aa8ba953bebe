import type { StaffRow } from '../../lib/contract/rows.ts';
import { normalizeEmail } from './users.ts';
import { hashPassword } from './passwords.ts';
import type { Db } from './db.ts';

/** Admins (operators of the mall) and merchants (shop owners): the staff who sign in to the web APIs. */
export async function findAdminCredentials(db: Db, email: string): Promise<{ id: number; password_hash: string } | undefined> {
  return db('admins').where({ email: normalizeEmail(email) }).first('id', 'password_hash');
}

export async function getAdmin(db: Db, id: number): Promise<StaffRow | undefined> {
  return db('admins').where({ id }).first('id', 'email', 'name', 'role', 'created_at');
}

export async function createAdmin(db: Db, input: { email: string; password: string; name: string; role?: 'operator' | 'superuser' }): Promise<number> {
  const [id] = await db('admins').insert({ email: normalizeEmail(input.email), password_hash: await hashPassword(input.password), name: input.name, role: input.role ?? 'operator' });
  return Number(id);
}

export async function findMerchantCredentials(db: Db, email: string): Promise<{ id: number; password_hash: string } | undefined> {
  return db('merchants').where({ email: normalizeEmail(email) }).first('id', 'password_hash');
}

export async function getMerchant(db: Db, id: number): Promise<StaffRow | undefined> {
  return db('merchants').where({ id }).first('id', 'email', 'name', 'shop_id', 'created_at');
}

export async function createMerchant(db: Db, input: { shopId: number; email: string; password: string; name: string }): Promise<number> {
  const [id] = await db('merchants').insert({ shop_id: input.shopId, email: normalizeEmail(input.email), password_hash: await hashPassword(input.password), name: input.name });
  return Number(id);
}
