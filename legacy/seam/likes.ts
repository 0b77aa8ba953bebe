import type { LikeRow } from '../contract/rows.ts';
import * as models from '../models/likes.ts';
import type { Counted, Db, Knex, Paging } from '../models/db.ts';
import { addMark, getLikeRow, listLikeRows, markApi, removeMark } from './marks.ts';

/** legacy/models/likes.ts behind the seam: the user service owns likes once the registry says so. */
export * from '../models/likes.ts';

export async function addLike(knex: Knex, userId: number, productId: number): Promise<models.AddResult> {
  const api = markApi(knex);
  return api ? addMark(api, 'like', userId, productId) : models.addLike(knex, userId, productId);
}

export async function removeLike(knex: Knex, userId: number, productId: number): Promise<boolean> {
  const api = markApi(knex);
  return api ? removeMark(api, 'like', userId, productId) : models.removeLike(knex, userId, productId);
}

export async function listLikes(db: Db, userId: number, paging: Paging): Promise<Counted<LikeRow>> {
  const api = markApi(db);
  return api ? listLikeRows(api, userId, paging) : models.listLikes(db, userId, paging);
}

export async function getLike(db: Db, userId: number, productId: number): Promise<LikeRow | undefined> {
  const api = markApi(db);
  return api ? getLikeRow(api, userId, productId) : models.getLike(db, userId, productId);
}
