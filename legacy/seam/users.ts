import { isAppError } from '../../lib/errors.ts';
import type { StaffRow, UserRow } from '../../lib/contract/rows.ts';
import * as users from '../models/users.ts';
import * as staff from '../models/staff.ts';
import { checkCredentials } from '../models/auth.ts';
import { createUserSession } from '../models/sessions.ts';
import type { Counted, Db, Paging } from '../models/db.ts';
import { merchantFromWire, userFromWire } from '../../rpc/wire.ts';
import { viaService } from './context.ts';

/** legacy/models/users.ts (and the merchant lookup of staff.ts) behind the seam. */
export * from '../models/users.ts';

export async function getUser(db: Db, id: number): Promise<UserRow | undefined> {
  const api = viaService(db, 'user');
  if (!api) return users.getUser(db, id);
  try {
    return userFromWire(await api.user.getUser(undefined, String(id)));
  } catch (err) {
    if (isAppError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

/** The admin users list (newest first, `q` on email or name, with the total) from the user service's listUsers. */
export async function listUsers(db: Db, q: string | undefined, paging: Paging): Promise<Counted<UserRow>> {
  const api = viaService(db, 'user');
  if (!api) return users.listUsers(db, q, paging);
  const res = await api.user.listUsers(undefined, { q, page: { limit: paging.size, offset: (paging.page - 1) * paging.size } });
  if (res.page.total == null) throw new Error('user.listUsers answered without a total');
  return { rows: res.items.map(userFromWire), total: Number(res.page.total) };
}

/** Sign-up through the user service (it hashes the password; the same CONFLICT for a taken email). */
export async function createUser(db: Db, input: users.NewUser): Promise<UserRow> {
  const api = viaService(db, 'user') as (ReturnType<typeof viaService> & { user: { signUp(ctx: undefined, input: Record<string, unknown>): Promise<import('../../rpc/wire.ts').WireUser> } }) | undefined;
  if (!api) return users.createUser(db as never, input);
  return userFromWire(await api.user.signUp(undefined, { email: input.email, password: input.password, name: input.name, gender: input.gender ?? undefined, birthYear: input.birthYear ?? undefined }));
}

/** Merchants belong to the shop service. */
export async function getMerchant(db: Db, id: number): Promise<StaffRow | undefined> {
  const api = viaService(db, 'shop');
  if (!api) return staff.getMerchant(db, id);
  const [m] = await api.shop.getMerchants(undefined, [String(id)]);
  return m ? merchantFromWire(m) : undefined;
}

/**
 * Shopper login: the user id and a new session token, or null for a wrong
 * email/password. Through the seam the user service checks the password and
 * opens the session (the password hash never leaves it).
 */
export async function loginUser(db: Db, email: string, password: string, now: Date): Promise<{ userId: number; token: string } | null> {
  const api = viaService(db, 'user') as (ReturnType<typeof viaService> & { user: { login(ctx: undefined, email: string, password: string): Promise<{ token: string; user: { id: string } }> } }) | undefined;
  if (!api) {
    const id = await checkCredentials(await users.findUserCredentials(db, email), password);
    return id === null ? null : { userId: id, token: await createUserSession(db as never, id, now) };
  }
  try {
    const s = await api.user.login(undefined, email, password);
    return { userId: Number(s.user.id), token: s.token };
  } catch (err) {
    if (isAppError(err) && (err.code === 'INVALID_CREDENTIALS' || err.status === 401)) return null;
    throw err;
  }
}
