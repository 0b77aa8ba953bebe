import { isAppError } from '../../lib/errors.ts';
import type { StaffRow, UserRow } from '../contract/rows.ts';
import * as users from '../models/users.ts';
import * as staff from '../models/staff.ts';
import type { Db } from '../models/db.ts';
import { merchantFromWire, userFromWire } from '../../services/kit/wire.ts';
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

/** Sign-up through the user service (it hashes the password; the same CONFLICT for a taken email). */
export async function createUser(db: Db, input: users.NewUser): Promise<UserRow> {
  const api = viaService(db, 'user') as (ReturnType<typeof viaService> & { user: { signUp(ctx: undefined, input: Record<string, unknown>): Promise<import('../../services/kit/wire.ts').WireUser> } }) | undefined;
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
