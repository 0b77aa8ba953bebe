import { AppError } from '../../lib/errors.ts';
import { timestamp } from '../../lib/contract/format.ts';
import { afterIdOf, keysetLimitOf, keysetPage, MAX_KEYSET_LIMIT } from '../../rpc/keyset.ts';
import { idsArg, userToWire } from '../../rpc/wire.ts';
import { signUpBody } from '../../lib/contract/schemas/user-api.ts';
import { fieldErrors } from '../../lib/contract/error.ts';
import { wireTimestampToDb } from './logic.ts';
import type { UserService } from './service.ts';

/**
 * UserService (thrift/user.thrift) implementation: sessions are verified
 * here for every other edge; counts feed merchant stats and jobs.
 * Unlisted methods answer NOT_IMPLEMENTED.
 */
interface Ctx { requestId?: string }

const ids = idsArg;
/** Id lists of the jobs' batch calls (likesByDay's filter, forgetProducts): up to 5000. */
const manyIds = (v: unknown, what: string): number[] => idsArg(v, what, MAX_KEYSET_LIMIT);

function instant(v: unknown, what: string): string {
  const db = wireTimestampToDb(v);
  if (db === null) throw new AppError('VALIDATION_FAILED', `${what} must be an ISO-8601 UTC timestamp like "2026-11-22T01:02:03.123456Z"`);
  return db;
}

function paging(page?: { limit?: number | null; offset?: number | null } | null): { page: number; size: number } {
  const limit = page?.limit ?? 20;
  const offset = page?.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new AppError('VALIDATION_FAILED', 'page.limit must be 1..100');
  if (!Number.isInteger(offset) || offset < 0 || offset % limit !== 0) throw new AppError('VALIDATION_FAILED', 'page.offset must be a multiple of page.limit');
  return { page: offset / limit + 1, size: limit };
}

function markPage(r: { marks: { targetId: number; createdAt: string }[]; total: number }, page?: { limit?: number | null; offset?: number | null } | null) {
  return {
    items: r.marks.map((m) => ({ targetId: String(m.targetId), createdAt: timestamp(m.createdAt) })),
    page: { limit: page?.limit ?? 20, offset: page?.offset ?? 0, total: r.total },
  };
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

    async addLike(_ctx: Ctx, rawUser: string, rawProduct: string) {
      const [userId, productId] = ids([rawUser, rawProduct], 'userId/productId');
      const { result, row } = await service.addLike(userId, productId);
      return { changed: result === 'created', count: Number(row.like_count) };
    },

    async removeLike(_ctx: Ctx, rawUser: string, rawProduct: string) {
      const [userId, productId] = ids([rawUser, rawProduct], 'userId/productId');
      const changed = await service.removeLike(userId, productId);
      return { changed, count: (await repo.markCounts('like', [productId])).get(productId) ?? 0 };
    },

    async listLikes(_ctx: Ctx, rawUser: string, page?: { limit?: number | null; offset?: number | null } | null) {
      return markPage(await service.visibleMarks('like', ids([rawUser], 'userId')[0], paging(page)), page);
    },

    async addBookmark(_ctx: Ctx, rawUser: string, rawShop: string) {
      const [userId, shopId] = ids([rawUser, rawShop], 'userId/shopId');
      const { result, row } = await service.addBookmark(userId, shopId);
      return { changed: result === 'created', count: Number(row.follower_count) };
    },

    async removeBookmark(_ctx: Ctx, rawUser: string, rawShop: string) {
      const [userId, shopId] = ids([rawUser, rawShop], 'userId/shopId');
      const changed = await service.removeBookmark(userId, shopId);
      return { changed, count: (await repo.markCounts('bookmark', [shopId])).get(shopId) ?? 0 };
    },

    async listBookmarks(_ctx: Ctx, rawUser: string, page?: { limit?: number | null; offset?: number | null } | null) {
      return markPage(await service.visibleMarks('bookmark', ids([rawUser], 'userId')[0], paging(page)), page);
    },

    async likeCounts(_ctx: Ctx, productIds: string[]) {
      const counts = await repo.markCounts('like', ids(productIds, 'productIds'));
      return [...counts].map(([id, count]) => ({ id: String(id), count }));
    },

    async bookmarkCounts(_ctx: Ctx, shopIds: string[]) {
      const counts = await repo.markCounts('bookmark', ids(shopIds, 'shopIds'));
      return [...counts].map(([id, count]) => ({ id: String(id), count }));
    },

    /** Likes created in [fromTime, toTime) per product and UTC day; keyset pages of at most `limit` products (a product's days never split). */
    async likesByDay(_ctx: Ctx, fromTime: string, toTime: string, productIds: string[] | null | undefined, rawAfter: string, rawLimit: number) {
      const from = instant(fromTime, 'fromTime');
      const to = instant(toTime, 'toTime');
      if (from > to) throw new AppError('VALIDATION_FAILED', 'fromTime must not be after toTime');
      const limit = keysetLimitOf(rawLimit);
      const afterId = afterIdOf(rawAfter);
      const only = productIds === null || productIds === undefined ? undefined : manyIds(productIds, 'productIds');
      const rows = await repo.likesByDay(from, to, { productIds: only, afterId, limit });
      // rows cover limit + 1 products at most: cut at the product boundary
      const products = [...new Set(rows.map((r) => r.productId))];
      const page = keysetPage(products, limit, (p) => p);
      const last = page.items[page.items.length - 1];
      return {
        items: rows.filter((r) => r.productId <= last).map((r) => ({ targetId: String(r.productId), day: r.day, count: r.count })),
        nextAfterId: page.nextAfterId,
      };
    },

    /** Deletes every like of these products (the product service deleted them); returns how many went. Idempotent. */
    async forgetProducts(_ctx: Ctx, productIds: string[]): Promise<number> {
      return repo.forgetProducts(manyIds(productIds, 'productIds'));
    },

    /** legacy's admin users list (legacy/models/users.ts listUsers): q on email or name, newest first, with the total. */
    async listUsers(_ctx: Ctx, query?: { q?: string | null; page?: { limit?: number | null; offset?: number | null } | null } | null) {
      const q = query?.q ?? undefined;
      if (q !== undefined && (typeof q !== 'string' || q.length > 100)) throw new AppError('VALIDATION_FAILED', 'q must be at most 100 characters');
      const p = paging(query?.page);
      const { rows, total } = await repo.listUsers(q, p);
      return { items: rows.map(userToWire), page: { limit: p.size, offset: (p.page - 1) * p.size, total } };
    },
  };
}

export type UserHandler = ReturnType<typeof createUserHandler>;
