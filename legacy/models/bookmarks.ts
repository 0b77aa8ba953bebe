import type { BookmarkRow } from '../../lib/contract/rows.ts';
import { countOf, offset, type Counted, type Db, type Knex, type Paging } from './db.ts';
import type { AddResult } from './likes.ts';
import { PUBLIC_CONTRACT_STATUS, shopColumns } from './shops.ts';
import { transact } from '../../lib/db.ts';

const SHOP_COLUMNS = shopColumns('s');

/** Bookmarks a public shop; keeps shops.follower_count in step in the same transaction. */
export async function addBookmark(knex: Knex, userId: number, shopId: number): Promise<AddResult> {
  return transact(knex, async (trx) => {
    const shop = await trx('shops').where({ id: shopId, contract_status: PUBLIC_CONTRACT_STATUS }).forUpdate().first('id');
    if (!shop) return 'not_found';
    if (await trx('shop_bookmarks').where({ user_id: userId, shop_id: shopId }).first('id')) return 'exists';
    await trx('shop_bookmarks').insert({ user_id: userId, shop_id: shopId });
    await trx('shops').where({ id: shopId }).update({ follower_count: trx.raw('follower_count + 1'), updated_at: trx.raw('updated_at') });
    return 'created';
  });
}

export async function removeBookmark(knex: Knex, userId: number, shopId: number): Promise<boolean> {
  return transact(knex, async (trx) => {
    const shop = await trx('shops').where({ id: shopId }).forUpdate().first('id');
    const n = await trx('shop_bookmarks').where({ user_id: userId, shop_id: shopId }).delete();
    if (n === 0) return false;
    if (shop) {
      await trx('shops').where({ id: shopId })
        .update({ follower_count: trx.raw('IF(follower_count > 0, follower_count - 1, 0)'), updated_at: trx.raw('updated_at') });
    }
    return true;
  });
}

/** Bookmarked shops that are still public, most recent first. */
export async function listBookmarks(db: Db, userId: number, paging: Paging): Promise<Counted<BookmarkRow>> {
  const base = db('shop_bookmarks as b').join('shops as s', 's.id', 'b.shop_id').where('b.user_id', userId).where('s.contract_status', PUBLIC_CONTRACT_STATUS);
  const [rows, total] = await Promise.all([
    base.clone().select([...SHOP_COLUMNS, 'b.created_at as bookmarked_at'])
      .orderBy([{ column: 'b.created_at', order: 'desc' }, { column: 'b.id', order: 'desc' }]).limit(paging.size).offset(offset(paging)),
    countOf(base),
  ]);
  return { rows, total };
}

export async function getBookmark(db: Db, userId: number, shopId: number): Promise<BookmarkRow | undefined> {
  return db('shop_bookmarks as b').join('shops as s', 's.id', 'b.shop_id').where({ 'b.user_id': userId, 'b.shop_id': shopId })
    .first([...SHOP_COLUMNS, 'b.created_at as bookmarked_at']);
}
