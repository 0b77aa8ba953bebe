import type { BookmarkRow, LikeRow } from '../../lib/contract/rows.ts';
import type { Counted, Db, Knex, Paging } from '../models/db.ts';
import type { AddResult } from '../models/likes.ts';
import { listRowOf } from '../../lib/contract/product.ts';
import { productFromWire, shopFromWire, type WireProduct, type WireShop } from '../../rpc/wire.ts';
import { viaService } from './context.ts';

/**
 * Likes and bookmarks through the user service (it owns the marks and keeps
 * like_count / follower_count in step through the product and shop
 * services); rows are hydrated here the way legacy's joins built them.
 */
type Ctx = undefined;
interface MarkApi {
  user: {
    addLike(ctx: Ctx, userId: string, productId: string): Promise<{ changed: boolean }>;
    removeLike(ctx: Ctx, userId: string, productId: string): Promise<{ changed: boolean }>;
    listLikes(ctx: Ctx, userId: string, page: { limit: number; offset: number }): Promise<MarkPage>;
    addBookmark(ctx: Ctx, userId: string, shopId: string): Promise<{ changed: boolean }>;
    removeBookmark(ctx: Ctx, userId: string, shopId: string): Promise<{ changed: boolean }>;
    listBookmarks(ctx: Ctx, userId: string, page: { limit: number; offset: number }): Promise<MarkPage>;
  };
  product: { getMany(ctx: Ctx, ids: string[], view: object): Promise<WireProduct[]> };
  shop: { getMany(ctx: Ctx, ids: string[]): Promise<WireShop[]> };
}
interface MarkPage { items: { targetId: string; createdAt: string }[]; page: { total?: number | null } }

export function markApi(db: unknown): MarkApi | undefined {
  return viaService(db, 'user') as unknown as MarkApi | undefined;
}

const PAGE = 100;
const isNotFound = (err: unknown) => (err as { code?: string })?.code === 'NOT_FOUND';

export async function addMark(api: MarkApi, kind: 'like' | 'bookmark', userId: number, targetId: number): Promise<AddResult> {
  try {
    const r = kind === 'like' ? await api.user.addLike(undefined, String(userId), String(targetId)) : await api.user.addBookmark(undefined, String(userId), String(targetId));
    return r.changed ? 'created' : 'exists';
  } catch (err) {
    if (isNotFound(err)) return 'not_found';
    throw err;
  }
}

export async function removeMark(api: MarkApi, kind: 'like' | 'bookmark', userId: number, targetId: number): Promise<boolean> {
  const r = kind === 'like' ? await api.user.removeLike(undefined, String(userId), String(targetId)) : await api.user.removeBookmark(undefined, String(userId), String(targetId));
  return r.changed;
}

async function marks(api: MarkApi, kind: 'like' | 'bookmark', userId: number, paging: Paging): Promise<MarkPage> {
  const page = { limit: paging.size, offset: (paging.page - 1) * paging.size };
  return kind === 'like' ? api.user.listLikes(undefined, String(userId), page) : api.user.listBookmarks(undefined, String(userId), page);
}

async function likeRows(api: MarkApi, items: MarkPage['items']): Promise<LikeRow[]> {
  if (items.length === 0) return [];
  const products = new Map((await api.product.getMany(undefined, items.map((m) => m.targetId), { withImages: true, withShop: true, includeHidden: true })).map((p) => [p.id, p]));
  return items.flatMap((m) => {
    const p = products.get(m.targetId);
    if (!p) return [];
    const { row, images, shopName } = productFromWire(p);
    return [{ ...listRowOf(row, images, shopName ?? ''), liked_at: m.createdAt }];
  });
}

async function bookmarkRows(api: MarkApi, items: MarkPage['items']): Promise<BookmarkRow[]> {
  if (items.length === 0) return [];
  const shops = new Map((await api.shop.getMany(undefined, items.map((m) => m.targetId))).map((s) => [s.id, s]));
  return items.flatMap((m) => {
    const s = shops.get(m.targetId);
    return s ? [{ ...shopFromWire(s), bookmarked_at: m.createdAt }] : [];
  });
}

export async function listLikeRows(api: MarkApi, userId: number, paging: Paging): Promise<Counted<LikeRow>> {
  const page = await marks(api, 'like', userId, paging);
  return { rows: await likeRows(api, page.items), total: Number(page.page.total ?? 0) };
}

export async function listBookmarkRows(api: MarkApi, userId: number, paging: Paging): Promise<Counted<BookmarkRow>> {
  const page = await marks(api, 'bookmark', userId, paging);
  return { rows: await bookmarkRows(api, page.items), total: Number(page.page.total ?? 0) };
}

/** One mark with its timestamp: the IDL has no single-mark read, so this pages through the user's marks (newest first). */
async function findMark(api: MarkApi, kind: 'like' | 'bookmark', userId: number, targetId: number): Promise<MarkPage['items'][number] | undefined> {
  for (let p = 1; ; p++) {
    const page = await marks(api, kind, userId, { page: p, size: PAGE });
    const hit = page.items.find((m) => m.targetId === String(targetId));
    if (hit) return hit;
    if (page.items.length < PAGE) return undefined;
  }
}

export async function getLikeRow(api: MarkApi, userId: number, productId: number): Promise<LikeRow | undefined> {
  const m = await findMark(api, 'like', userId, productId);
  return m ? (await likeRows(api, [m]))[0] : undefined;
}

export async function getBookmarkRow(api: MarkApi, userId: number, shopId: number): Promise<BookmarkRow | undefined> {
  const m = await findMark(api, 'bookmark', userId, shopId);
  return m ? (await bookmarkRows(api, [m]))[0] : undefined;
}

export type { Db };

/**
 * The marks are still legacy's (the user domain is not split yet) but the
 * products or shops they point at already live with their services: legacy's
 * join would read the old copy of a moved table. Page the marks here and
 * hydrate them from the owning service instead — the same filtering, order
 * and total as the join (newest first; hidden products and shops without an
 * active contract left out).
 */
type CatalogApi = Pick<MarkApi, 'product' | 'shop'>;

export function catalogApi(db: unknown, domain: 'product' | 'shop'): CatalogApi | undefined {
  return viaService(db, domain) as unknown as CatalogApi | undefined;
}

const HYDRATE_BATCH = 200;

async function localMarks(db: Db, kind: 'like' | 'bookmark', userId: number, targetId?: number): Promise<MarkPage['items']> {
  const [table, column] = kind === 'like' ? ['likes', 'product_id'] : ['shop_bookmarks', 'shop_id'];
  const q = db(table).where({ user_id: userId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
    .select({ target: column, created_at: 'created_at' });
  if (targetId !== undefined) q.where(column, targetId);
  const rows = (await q) as Array<{ target: number | string; created_at: string }>;
  return rows.map((r) => ({ targetId: String(r.target), createdAt: r.created_at }));
}

async function inBatches<T>(ids: string[], load: (batch: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += HYDRATE_BATCH) out.push(...(await load(ids.slice(i, i + HYDRATE_BATCH))));
  return out;
}

async function localLikeRows(api: CatalogApi, marks: MarkPage['items'], paging?: Paging): Promise<Counted<LikeRow>> {
  const ids = [...new Set(marks.map((m) => m.targetId))];
  const products = new Map((await inBatches(ids, (b) => api.product.getMany(undefined, b, { withImages: true, withShop: true, includeHidden: true })))
    .map((p) => [p.id, productFromWire(p)]));
  const visible = marks.filter((m) => { const p = products.get(m.targetId); return p !== undefined && p.row.status !== 'hidden'; });
  const page = paging ? visible.slice((paging.page - 1) * paging.size, paging.page * paging.size) : visible;
  const rows = page.map((m) => { const { row, images, shopName } = products.get(m.targetId)!; return { ...listRowOf(row, images, shopName ?? ''), liked_at: m.createdAt }; });
  return { rows, total: visible.length };
}

async function localBookmarkRows(api: CatalogApi, marks: MarkPage['items'], paging?: Paging, publicOnly = true): Promise<Counted<BookmarkRow>> {
  const ids = [...new Set(marks.map((m) => m.targetId))];
  const shops = new Map((await inBatches(ids, (b) => api.shop.getMany(undefined, b))).map((s) => [s.id, shopFromWire(s)]));
  const visible = marks.filter((m) => { const s = shops.get(m.targetId); return s !== undefined && (!publicOnly || s.contract_status === 'active'); });
  const page = paging ? visible.slice((paging.page - 1) * paging.size, paging.page * paging.size) : visible;
  return { rows: page.map((m) => ({ ...shops.get(m.targetId)!, bookmarked_at: m.createdAt })), total: visible.length };
}

export async function listLocalLikeRows(db: Db, api: CatalogApi, userId: number, paging: Paging): Promise<Counted<LikeRow>> {
  return localLikeRows(api, await localMarks(db, 'like', userId), paging);
}

export async function getLocalLikeRow(db: Db, api: CatalogApi, userId: number, productId: number): Promise<LikeRow | undefined> {
  const marks = await localMarks(db, 'like', userId, productId);
  if (marks.length === 0) return undefined;
  const ids = [marks[0].targetId];
  const [p] = await api.product.getMany(undefined, ids, { withImages: true, withShop: true, includeHidden: true });
  if (!p) return undefined;
  const { row, images, shopName } = productFromWire(p);
  return { ...listRowOf(row, images, shopName ?? ''), liked_at: marks[0].createdAt };
}

export async function listLocalBookmarkRows(db: Db, api: CatalogApi, userId: number, paging: Paging): Promise<Counted<BookmarkRow>> {
  return localBookmarkRows(api, await localMarks(db, 'bookmark', userId), paging);
}

export async function getLocalBookmarkRow(db: Db, api: CatalogApi, userId: number, shopId: number): Promise<BookmarkRow | undefined> {
  const { rows } = await localBookmarkRows(api, await localMarks(db, 'bookmark', userId, shopId), undefined, false);
  return rows[0];
}

/**
 * Writes of the same split state: the marks stay in legacy, the counters they
 * keep (products.like_count, shops.follower_count) belong to the services. The
 * mark is written here and the counter moved through the owner's API — never
 * an UPDATE of the moved table's old copy. A counter call that fails undoes
 * the new mark; on removal the counter moves first, so a failure leaves the
 * mark (and the client's error) true.
 */
interface CounterApi {
  product: MarkApi['product'] & { applyCounters(ctx: Ctx, deltas: { productId: string; likeDelta?: number }[]): Promise<void> };
  shop: MarkApi['shop'] & { applyFollowerDeltas(ctx: Ctx, deltas: { shopId: string; delta: number }[]): Promise<void> };
}

const isDuplicate = (err: unknown) => (err as { code?: string })?.code === 'ER_DUP_ENTRY';

export async function addLocalMark(knex: Knex, api: CatalogApi, kind: 'like' | 'bookmark', userId: number, targetId: number): Promise<AddResult> {
  const counters = api as unknown as CounterApi;
  const [table, column] = kind === 'like' ? ['likes', 'product_id'] : ['shop_bookmarks', 'shop_id'];
  let shopId: number | null = null;
  if (kind === 'like') {
    const [p] = await counters.product.getMany(undefined, [String(targetId)], { includeHidden: true });
    const product = p ? productFromWire(p).row : undefined;
    if (!product || product.status === 'hidden') return 'not_found';
    shopId = Number(product.shop_id);
  } else {
    const [s] = await counters.shop.getMany(undefined, [String(targetId)]);
    if (!s || shopFromWire(s).contract_status !== 'active') return 'not_found';
  }
  if (await knex(table).where({ user_id: userId, [column]: targetId }).first('id')) return 'exists';
  try {
    await knex(table).insert({ user_id: userId, [column]: targetId });
  } catch (err) {
    if (isDuplicate(err)) return 'exists';
    throw err;
  }
  try {
    if (kind === 'like') await counters.product.applyCounters(undefined, [{ productId: String(targetId), likeDelta: 1 }]);
    else await counters.shop.applyFollowerDeltas(undefined, [{ shopId: String(targetId), delta: 1 }]);
  } catch (err) {
    await knex(table).where({ user_id: userId, [column]: targetId }).delete();
    throw err;
  }
  if (kind === 'like') await knex('logs').insert({ type: 'like', user_id: userId, product_id: targetId, shop_id: shopId });
  return 'created';
}

export async function removeLocalMark(knex: Knex, api: CatalogApi, kind: 'like' | 'bookmark', userId: number, targetId: number): Promise<boolean> {
  const counters = api as unknown as CounterApi;
  const [table, column] = kind === 'like' ? ['likes', 'product_id'] : ['shop_bookmarks', 'shop_id'];
  if (!(await knex(table).where({ user_id: userId, [column]: targetId }).first('id'))) return false;
  const move = (delta: number) => kind === 'like'
    ? counters.product.applyCounters(undefined, [{ productId: String(targetId), likeDelta: delta }])
    : counters.shop.applyFollowerDeltas(undefined, [{ shopId: String(targetId), delta }]);
  await move(-1);
  let removed = 0;
  try {
    removed = await knex(table).where({ user_id: userId, [column]: targetId }).delete();
  } catch (err) {
    await move(1).catch(() => undefined);
    throw err;
  }
  if (removed === 0) await move(1);
  return removed > 0;
}
