import type { BookmarkRow, LikeRow } from '../contract/rows.ts';
import type { Counted, Db, Paging } from '../models/db.ts';
import type { AddResult } from '../models/likes.ts';
import { listRowOf } from '../../services/product/logic.ts';
import { productFromWire, shopFromWire, type WireProduct, type WireShop } from '../../services/kit/wire.ts';
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
