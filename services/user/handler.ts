import { AppError } from '../../lib/errors.ts';
import { timestamp } from '../../legacy/contract/format.ts';
import { parseWireId, userToWire } from '../kit/wire.ts';
import { signUpBody } from '../../legacy/user-api/schemas.ts';
import { fieldErrors } from '../../legacy/contract/error.ts';
import type { UserService } from './service.ts';

/**
 * UserService (thrift/user.thrift) implementation: sessions are verified
 * here for every other edge; counts feed merchant stats and jobs.
 * Unlisted methods answer NOT_IMPLEMENTED.
 */
interface Ctx { requestId?: string }
const MAX_BATCH = 500;

function ids(v: unknown, what = 'ids'): number[] {
  if (!Array.isArray(v) || v.length > MAX_BATCH) throw new AppError('VALIDATION_FAILED', `${what} must be a list of at most ${MAX_BATCH}`);
  return v.map((x) => {
    const n = parseWireId(x);
    if (n === undefined) throw new AppError('VALIDATION_FAILED', `${what} must be positive decimal ids`);
    return n;
  });
}

export function createUserHandler(deps: { service: UserService }) {
  const { service } = deps;
  const repo = service.deps.repo;
  return {
    async verifySession(_ctx: Ctx, token: string) {
      if (typeof token !== 'string' || token.length > 200) throw new AppError('UNAUTHENTICATED', 'The session token is invalid or expired');
      const userId = await service.verify(token);
      const row = userId === null ? undefined : await repo.getUser(userId);
      const live = userId === null ? undefined : await repo.liveSession(token, new Date());
      if (!row || !live) throw new AppError('UNAUTHENTICATED', 'The session token is invalid or expired');
      return { user: userToWire(row), expiresAt: timestamp(live.expiresAt) };
    },

    async signUp(_ctx: Ctx, input: { email?: string; password?: string; name?: string; gender?: string | null; birthYear?: number | null }) {
      const parsed = signUpBody.safeParse({ email: input?.email, password: input?.password, name: input?.name, gender: input?.gender ?? null, birthYear: input?.birthYear ?? null });
      if (!parsed.success) throw new AppError('VALIDATION_FAILED', undefined, { details: fieldErrors(parsed.error.issues, 'body') });
      return userToWire(await service.signUp(parsed.data));
    },

    async login(_ctx: Ctx, email: string, password: string) {
      const s = await service.login(String(email ?? ''), String(password ?? ''));
      return { token: s.token, expiresAt: s.expiresAt.replace(/\.(\d{3})Z$/, '.$1000Z'), user: userToWire(s.user) };
    },

    async getUser(_ctx: Ctx, rawId: string) {
      const [id] = ids([rawId], 'id');
      const row = await repo.getUser(id);
      if (!row) throw new AppError('NOT_FOUND', `User ${id} not found`);
      return userToWire(row);
    },

    async getMany(_ctx: Ctx, rawIds: string[]) {
      const wanted = ids(rawIds);
      const byId = new Map((await repo.getUsers(wanted)).map((u) => [Number(u.id), u]));
      return wanted.flatMap((id) => (byId.has(id) ? [userToWire(byId.get(id)!)] : []));
    },

    async likeCounts(_ctx: Ctx, productIds: string[]) {
      const counts = await repo.markCounts('like', ids(productIds, 'productIds'));
      return [...counts].map(([id, count]) => ({ id: String(id), count }));
    },

    async bookmarkCounts(_ctx: Ctx, shopIds: string[]) {
      const counts = await repo.markCounts('bookmark', ids(shopIds, 'shopIds'));
      return [...counts].map(([id, count]) => ({ id: String(id), count }));
    },
  };
}

export type UserHandler = ReturnType<typeof createUserHandler>;
