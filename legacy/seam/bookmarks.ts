import type { BookmarkRow } from '../../lib/contract/rows.ts';
import * as models from '../models/bookmarks.ts';
import type { AddResult } from '../models/likes.ts';
import type { Counted, Db, Knex, Paging } from '../models/db.ts';
import { addLocalMark, addMark, catalogApi, getBookmarkRow, getLocalBookmarkRow, listBookmarkRows, listLocalBookmarkRows, markApi, removeLocalMark, removeMark } from './marks.ts';

/** legacy/models/bookmarks.ts behind the seam: the user service owns bookmarks once the registry says so. */
export * from '../models/bookmarks.ts';

export async function addBookmark(knex: Knex, userId: number, shopId: number): Promise<AddResult> {
  const api = markApi(knex);
  if (api) return addMark(api, 'bookmark', userId, shopId);
  const catalog = catalogApi(knex, 'shop'); // marks still here, counters with the shop service
  return catalog ? addLocalMark(knex, catalog, 'bookmark', userId, shopId) : models.addBookmark(knex, userId, shopId);
}

export async function removeBookmark(knex: Knex, userId: number, shopId: number): Promise<boolean> {
  const api = markApi(knex);
  if (api) return removeMark(api, 'bookmark', userId, shopId);
  const catalog = catalogApi(knex, 'shop');
  return catalog ? removeLocalMark(knex, catalog, 'bookmark', userId, shopId) : models.removeBookmark(knex, userId, shopId);
}

export async function listBookmarks(db: Db, userId: number, paging: Paging): Promise<Counted<BookmarkRow>> {
  const api = markApi(db);
  if (api) return listBookmarkRows(api, userId, paging);
  const catalog = catalogApi(db, 'shop'); // bookmarks still here, shops already moved: never join the old copy
  return catalog ? listLocalBookmarkRows(db, catalog, userId, paging) : models.listBookmarks(db, userId, paging);
}

export async function getBookmark(db: Db, userId: number, shopId: number): Promise<BookmarkRow | undefined> {
  const api = markApi(db);
  if (api) return getBookmarkRow(api, userId, shopId);
  const catalog = catalogApi(db, 'shop');
  return catalog ? getLocalBookmarkRow(db, catalog, userId, shopId) : models.getBookmark(db, userId, shopId);
}
