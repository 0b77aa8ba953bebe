import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { hashPassword, verifyPassword } from '../../lib/password.ts';
import type { BookmarkRow, LikeRow, UserRow } from '../../lib/contract/rows.ts';
import type { ActivityLog, Catalog, ShopDirectory } from '../../rpc/ports.ts';
import { bookmarkRowOf, likeRowOf, normalizeEmail, pageOfMarks, SESSION_TTL_MS, tokenSubject } from './logic.ts';
import { newToken, type UserRepository } from './repository.ts';

/**
 * The user service's use cases, shared by its Thrift handler and its HTTP
 * edge: accounts, sessions, likes (products hydrated by the product service)
 * and bookmarks (shops from the shop service). Counters that live in other
 * services (like_count, follower_count) are adjusted through their APIs.
 */
export interface UserServiceDeps {
  repo: UserRepository;
  catalog: Catalog;
  shops: ShopDirectory;
  activity: ActivityLog;
  logger: Logger;
  clock?: () => Date;
}

export type AddResult = 'created' | 'exists';

export class UserService {
  readonly deps: UserServiceDeps;
  private dummyHash: Promise<string> | undefined;
  constructor(deps: UserServiceDeps) {
    this.deps = deps;
  }

  private now(): Date {
    return (this.deps.clock ?? (() => new Date()))();
  }

  async signUp(input: { email: string; password: string; name: string; gender?: UserRow['gender']; birthYear?: number | null }): Promise<UserRow> {
    const id = await this.deps.repo.insertUser({
      email: normalizeEmail(input.email), passwordHash: await hashPassword(input.password), name: input.name,
      gender: input.gender ?? null, birthYear: input.birthYear ?? null,
    });
    if (id === 'duplicate') throw new AppError('CONFLICT', 'A user with this email already exists');
    return (await this.deps.repo.getUser(id))!;
  }

  /** Unknown email still costs one scrypt, so timing does not reveal which emails exist. */
  async login(email: string, password: string): Promise<{ token: string; expiresAt: string; user: UserRow }> {
    const creds = await this.deps.repo.credentials(normalizeEmail(email));
    let ok = false;
    if (!creds) {
      this.dummyHash ??= hashPassword('not-a-real-password');
      await verifyPassword(password, await this.dummyHash);
    } else ok = await verifyPassword(password, creds.password_hash);
    if (!creds || !ok) throw new AppError('INVALID_CREDENTIALS', 'Email or password is wrong', { status: 401 });
    const userId = Number(creds.id);
    const token = newToken(userId);
    const expiresAt = await this.deps.repo.insertSession(userId, token, this.now(), SESSION_TTL_MS);
    return { token, expiresAt, user: (await this.deps.repo.getUser(userId))! };
  }

  /** The user id of a live session, or null. */
  async verify(token: string): Promise<number | null> {
    const subject = tokenSubject(token);
    if (subject === null) return null;
    const s = await this.deps.repo.liveSession(token, this.now());
    return s && s.userId === subject ? subject : null;
  }

  async getUser(id: number): Promise<UserRow | undefined> {
    return this.deps.repo.getUser(id);
  }

  async addLike(userId: number, productId: number): Promise<{ result: AddResult; row: LikeRow }> {
    const { repo, catalog } = this.deps;
    const status = (await catalog.statuses([productId])).get(productId);
    if (status === undefined || status === 'hidden') throw new AppError('NOT_FOUND', `Product ${productId} not found`);
    const created = await repo.addMark('like', userId, productId);
    if (created) {
      try {
        await catalog.applyCounters([{ productId, likeDelta: 1 }]);
      } catch (err) {
        await repo.removeMark('like', userId, productId); // keep likes and like_count in step
        throw err;
      }
      await this.logBestEffort({ type: 'like', userId, productId, shopId: null }, productId);
    }
    const row = await this.likeRow(userId, productId);
    if (!row) throw new AppError('NOT_FOUND', `Product ${productId} not found`);
    return { result: created ? 'created' : 'exists', row };
  }

  private async logBestEffort(e: Parameters<ActivityLog['write']>[0], productId: number): Promise<void> {
    try {
      const [p] = await this.deps.catalog.getMany([productId], { includeHidden: true });
      await this.deps.activity.write({ ...e, shopId: p ? Number(p.row.shop_id) : null });
    } catch (err) {
      this.deps.logger.warn({ err, type: e.type }, 'could not write event log');
    }
  }

  private async likeRow(userId: number, productId: number): Promise<LikeRow | undefined> {
    const mark = (await this.deps.repo.marks('like', userId)).find((m) => m.targetId === productId);
    if (!mark) return undefined;
    const [p] = await this.deps.catalog.getMany([productId], { includeHidden: true });
    return p ? likeRowOf(mark, p) : undefined;
  }

  /**
   * The counter moves first and the mark goes second, so a failed counter
   * call leaves the like in place (the client's error is then true); a mark
   * that vanished meanwhile or a failed delete puts the counter back.
   */
  async removeLike(userId: number, productId: number): Promise<boolean> {
    const { repo, catalog } = this.deps;
    if (!(await repo.hasMark('like', userId, productId))) return false;
    await catalog.applyCounters([{ productId, likeDelta: -1 }]);
    return this.removeMarkOrRestore(() => repo.removeMark('like', userId, productId), () => catalog.applyCounters([{ productId, likeDelta: 1 }]));
  }

  private async removeMarkOrRestore(remove: () => Promise<boolean>, restoreCounter: () => Promise<unknown>): Promise<boolean> {
    let removed: boolean;
    try {
      removed = await remove();
    } catch (err) {
      await restoreCounter().catch((e: unknown) => this.deps.logger.error({ err: e }, 'could not restore a counter after a failed delete'));
      throw err;
    }
    if (!removed) await restoreCounter();
    return removed;
  }

  async listLikes(userId: number, paging: { page: number; size: number }): Promise<{ rows: LikeRow[]; total: number }> {
    const marks = await this.deps.repo.marks('like', userId);
    if (marks.length === 0) return { rows: [], total: 0 };
    const statuses = await this.deps.catalog.statuses(marks.map((m) => m.targetId));
    const { page, total } = pageOfMarks(marks, (id) => { const s = statuses.get(id); return s !== undefined && s !== 'hidden'; }, paging);
    const products = new Map((await this.deps.catalog.getMany(page.map((m) => m.targetId), { includeHidden: false })).map((p) => [Number(p.row.id), p]));
    return { rows: page.flatMap((m) => { const p = products.get(m.targetId); return p ? [likeRowOf(m, p)] : []; }), total };
  }

  /**
   * One page of the user's marks whose target is still visible (liked products not hidden, bookmarked shops
   * with an active contract), most recent first, without hydrating them (the Thrift listLikes/listBookmarks).
   */
  async visibleMarks(kind: 'like' | 'bookmark', userId: number, paging: { page: number; size: number }): Promise<{ marks: { targetId: number; createdAt: string }[]; total: number }> {
    const marks = await this.deps.repo.marks(kind, userId);
    if (marks.length === 0) return { marks: [], total: 0 };
    let visible: (id: number) => boolean;
    if (kind === 'like') {
      const statuses = await this.deps.catalog.statuses(marks.map((m) => m.targetId));
      visible = (id) => { const st = statuses.get(id); return st !== undefined && st !== 'hidden'; };
    } else {
      const shops = new Map((await this.deps.shops.getMany(marks.map((m) => m.targetId))).map((x) => [Number(x.id), x]));
      visible = (id) => shops.get(id)?.contract_status === 'active';
    }
    const { page, total } = pageOfMarks(marks, visible, paging);
    return { marks: page, total };
  }

  async addBookmark(userId: number, shopId: number): Promise<{ result: AddResult; row: BookmarkRow }> {
    const { repo, shops } = this.deps;
    const shop = await shops.get(shopId);
    if (!shop || shop.contract_status !== 'active') throw new AppError('NOT_FOUND', `Shop ${shopId} not found`);
    const created = await repo.addMark('bookmark', userId, shopId);
    if (created) {
      try {
        await shops.adjustFollowers(shopId, 1);
      } catch (err) {
        await repo.removeMark('bookmark', userId, shopId);
        throw err;
      }
    }
    const mark = (await repo.marks('bookmark', userId)).find((m) => m.targetId === shopId);
    const fresh = await shops.get(shopId);
    if (!mark || !fresh) throw new AppError('NOT_FOUND', `Shop ${shopId} not found`);
    return { result: created ? 'created' : 'exists', row: bookmarkRowOf(mark, fresh) };
  }

  /** Same order as removeLike: follower count first, then the mark. */
  async removeBookmark(userId: number, shopId: number): Promise<boolean> {
    const { repo, shops } = this.deps;
    if (!(await repo.hasMark('bookmark', userId, shopId))) return false;
    await shops.adjustFollowers(shopId, -1);
    return this.removeMarkOrRestore(() => repo.removeMark('bookmark', userId, shopId), () => shops.adjustFollowers(shopId, 1));
  }

  async listBookmarks(userId: number, paging: { page: number; size: number }): Promise<{ rows: BookmarkRow[]; total: number }> {
    const marks = await this.deps.repo.marks('bookmark', userId);
    if (marks.length === 0) return { rows: [], total: 0 };
    const shops = new Map((await this.deps.shops.getMany(marks.map((m) => m.targetId))).map((s) => [Number(s.id), s]));
    const { page, total } = pageOfMarks(marks, (id) => shops.get(id)?.contract_status === 'active', paging);
    return { rows: page.map((m) => bookmarkRowOf(m, shops.get(m.targetId)!)), total };
  }
}
