import type { LikeRow } from '../../lib/contract/rows.ts';
import * as models from '../models/likes.ts';
import type { Counted, Db, Knex, Paging } from '../models/db.ts';
import { addLocalMark, addMark, catalogApi, getLikeRow, getLocalLikeRow, listLikeRows, listLocalLikeRows, markApi, removeLocalMark, removeMark } from './marks.ts';

/** legacy/models/likes.ts behind the seam: the user service owns likes once the registry says so. */
export * from '../models/likes.ts';

export async function addLike(knex: Knex, userId: number, productId: number): Promise<models.AddResult> {
  const api = markApi(knex);
  if (api) return addMark(api, 'like', userId, productId);
  const catalog = catalogApi(knex, 'product'); // marks still here, counters with the product service
  return catalog ? addLocalMark(knex, catalog, 'like', userId, productId) : models.addLike(knex, userId, productId);
}

export async function removeLike(knex: Knex, userId: number, productId: number): Promise<boolean> {
  const api = markApi(knex);
  if (api) return removeMark(api, 'like', userId, productId);
  const catalog = catalogApi(knex, 'product');
  return catalog ? removeLocalMark(knex, catalog, 'like', userId, productId) : models.removeLike(knex, userId, productId);
}

export async function listLikes(db: Db, userId: number, paging: Paging): Promise<Counted<LikeRow>> {
  const api = markApi(db);
  if (api) return listLikeRows(api, userId, paging);
  const catalog = catalogApi(db, 'product'); // likes still here, products already moved: never join the old copy
  return catalog ? listLocalLikeRows(db, catalog, userId, paging) : models.listLikes(db, userId, paging);
}

export async function getLike(db: Db, userId: number, productId: number): Promise<LikeRow | undefined> {
  const api = markApi(db);
  if (api) return getLikeRow(api, userId, productId);
  const catalog = catalogApi(db, 'product');
  return catalog ? getLocalLikeRow(db, catalog, userId, productId) : models.getLike(db, userId, productId);
}
