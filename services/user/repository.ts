import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from '../../lib/db.ts';
import type { UserRow } from '../../lib/contract/rows.ts';
import type { LiveDb } from '../common/live-db.ts';
import { countOf, escapeLike, isDuplicateKey, offsetOf, toDbDatetime, type Counted, type Paging } from '../common/sql.ts';

/** The user service's tables: users, sessions, likes, shop_bookmarks. Nothing else. */
const USER_COLUMNS = ['id', 'email', 'name', 'gender', 'birth_year', 'created_at'];

export interface Mark { targetId: number; createdAt: string }

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** `<userId>.<32 random bytes base64url>`: the facade reads the leading id as its sticky canary key. */
export function newToken(userId: number): string {
  return `${userId}.${randomBytes(32).toString('base64url')}`;
}

export class UserRepository {
  readonly db: LiveDb;
  constructor(db: LiveDb) {
    this.db = db;
  }

  private get k(): Knex {
    return this.db.current();
  }

  /** Inserts a user; 'duplicate' when the email is taken. */
  async insertUser(u: { email: string; passwordHash: string; name: string; gender: UserRow['gender']; birthYear: number | null }): Promise<number | 'duplicate'> {
    try {
      const [id] = await this.k('users').insert({ email: u.email, password_hash: u.passwordHash, name: u.name, gender: u.gender, birth_year: u.birthYear });
      return Number(id);
    } catch (err) {
      if (isDuplicateKey(err)) return 'duplicate';
      throw err;
    }
  }

  async getUser(id: number): Promise<UserRow | undefined> {
    return this.k('users').where({ id }).first(USER_COLUMNS);
  }

  async getUsers(ids: number[]): Promise<UserRow[]> {
    if (ids.length === 0) return [];
    return this.k('users').whereIn('id', ids).select(USER_COLUMNS).orderBy('id');
  }

  /**
   * The admin users list, on the user tables' current database: the same query as legacy's listUsers
   * (legacy/models/users.ts) — a copy on purpose, the service owns its queries.
   */
  async listUsers(q: string | undefined, paging: Paging): Promise<Counted<UserRow>> {
    const base = this.k('users');
    if (q) {
      const like = `%${escapeLike(q)}%`;
      base.where((w) => w.where('email', 'like', like).orWhere('name', 'like', like));
    }
    const [rows, total] = await Promise.all([
      base.clone().select(USER_COLUMNS).orderBy('id', 'desc').limit(paging.size).offset(offsetOf(paging)),
      countOf(base),
    ]);
    return { rows, total };
  }

  async credentials(email: string): Promise<{ id: number; password_hash: string } | undefined> {
    return this.k('users').where({ email }).first('id', 'password_hash');
  }

  async insertSession(userId: number, token: string, now: Date, ttlMs: number): Promise<string> {
    const expires = new Date(now.getTime() + ttlMs);
    await this.k('sessions').insert({ token_hash: hashToken(token), user_id: userId, created_at: toDbDatetime(now), expires_at: toDbDatetime(expires) });
    return expires.toISOString();
  }

  /** The session's user id and expiry when the token is live. */
  async liveSession(token: string, now: Date): Promise<{ userId: number; expiresAt: string } | undefined> {
    const row = await this.k('sessions').where({ token_hash: hashToken(token) }).andWhere('expires_at', '>', toDbDatetime(now)).first('user_id', 'expires_at');
    return row ? { userId: Number(row.user_id), expiresAt: String(row.expires_at) } : undefined;
  }

  async deleteSession(token: string): Promise<void> {
    await this.k('sessions').where({ token_hash: hashToken(token) }).delete();
  }

  // Likes and bookmarks share one shape: (user_id, <target>_id, created_at).
  private markTable(kind: 'like' | 'bookmark'): { table: string; col: string } {
    return kind === 'like' ? { table: 'likes', col: 'product_id' } : { table: 'shop_bookmarks', col: 'shop_id' };
  }

  async hasMark(kind: 'like' | 'bookmark', userId: number, targetId: number): Promise<boolean> {
    const t = this.markTable(kind);
    return !!(await this.k(t.table).where({ user_id: userId, [t.col]: targetId }).first('id'));
  }

  /**
   * true when inserted, false when it existed already. Looks first, so a
   * repeated like does not burn an auto-increment id (InnoDB spends one on a
   * failed INSERT) — ids stay the same as legacy's.
   */
  async addMark(kind: 'like' | 'bookmark', userId: number, targetId: number): Promise<boolean> {
    const t = this.markTable(kind);
    if (await this.hasMark(kind, userId, targetId)) return false;
    try {
      await this.k(t.table).insert({ user_id: userId, [t.col]: targetId });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async removeMark(kind: 'like' | 'bookmark', userId: number, targetId: number): Promise<boolean> {
    const t = this.markTable(kind);
    return Number(await this.k(t.table).where({ user_id: userId, [t.col]: targetId }).delete()) > 0;
  }

  /** Every mark of the user, most recent first (created_at, then id) — filtered and paged by the caller. */
  async marks(kind: 'like' | 'bookmark', userId: number): Promise<Mark[]> {
    const t = this.markTable(kind);
    const rows = await this.k(t.table).where({ user_id: userId }).select(`${t.col} as target_id`, 'created_at')
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
    return rows.map((r: { target_id: number; created_at: string }) => ({ targetId: Number(r.target_id), createdAt: r.created_at }));
  }

  async markCounts(kind: 'like' | 'bookmark', targetIds: number[]): Promise<Map<number, number>> {
    const t = this.markTable(kind);
    const out = new Map<number, number>(targetIds.map((id) => [id, 0]));
    if (targetIds.length === 0) return out;
    const rows = await this.k(t.table).whereIn(t.col, targetIds).groupBy(t.col).select(`${t.col} as target_id`).count({ n: '*' });
    for (const r of rows as { target_id: number; n: number }[]) out.set(Number(r.target_id), Number(r.n));
    return out;
  }

  /**
   * Likes created in [from, to) (DATETIME(6) texts, UTC) per product and UTC day, for the products with an id above
   * `afterId` (and among `productIds` when given): the first `limit + 1` such products, so the caller can tell
   * whether more follow; all days of a product are returned together. Ascending by product, then day.
   */
  async likesByDay(from: string, to: string, filter: { productIds?: number[]; afterId: number; limit: number }): Promise<{ productId: number; day: string; count: number }[]> {
    if (filter.productIds && filter.productIds.length === 0) return [];
    const inWindow = (q: Knex.QueryBuilder) => {
      q.where('created_at', '>=', from).andWhere('created_at', '<', to).andWhere('product_id', '>', filter.afterId);
      if (filter.productIds) q.whereIn('product_id', filter.productIds);
      return q;
    };
    const products = (await inWindow(this.k('likes')).distinct('product_id').orderBy('product_id').limit(filter.limit + 1)).map((r: { product_id: number }) => Number(r.product_id));
    if (products.length === 0) return [];
    const rows = await inWindow(this.k('likes')).whereIn('product_id', products)
      .groupBy('product_id', 'day').orderBy([{ column: 'product_id' }, { column: 'day' }])
      .select('product_id', this.k.raw("DATE_FORMAT(created_at, '%Y-%m-%d') AS day")).count({ n: '*' });
    return (rows as unknown as { product_id: number; day: string; n: number | string }[]).map((r) => ({ productId: Number(r.product_id), day: String(r.day), count: Number(r.n) }));
  }

  /** Deletes every like of these products (deleted by the product service); how many went. Idempotent. */
  async forgetProducts(productIds: number[]): Promise<number> {
    let n = 0;
    const ids = [...new Set(productIds)];
    for (let i = 0; i < ids.length; i += 1000) n += Number(await this.k('likes').whereIn('product_id', ids.slice(i, i + 1000)).delete());
    return n;
  }
}
