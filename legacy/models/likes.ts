import type { LikeRow } from '../../lib/contract/rows.ts';
import { countOf, offset, type Counted, type Db, type Knex, type Paging } from './db.ts';
import { HIDDEN_STATUS, listColumns } from './products.ts';
import { transact } from '../../lib/db.ts';

export type AddResult = 'created' | 'exists' | 'not_found';

/**
 * Likes a product a shopper can see. One transaction: the like row, the
 * product's like_count (+1, without touching version/updated_at) and a `like`
 * log row. The product row lock serialises concurrent likes of one product.
 */
export async function addLike(knex: Knex, userId: number, productId: number): Promise<AddResult> {
  return transact(knex, async (trx) => {
    const product = await trx('products').where({ id: productId }).whereNot('status', HIDDEN_STATUS).forUpdate().first('id', 'shop_id');
    if (!product) return 'not_found';
    const existing = await trx('likes').where({ user_id: userId, product_id: productId }).first('id');
    if (existing) return 'exists';
    await trx('likes').insert({ user_id: userId, product_id: productId });
    await trx('products').where({ id: productId }).update({ like_count: trx.raw('like_count + 1'), updated_at: trx.raw('updated_at') });
    await trx('logs').insert({ type: 'like', user_id: userId, product_id: productId, shop_id: product.shop_id });
    return 'created';
  });
}

/** Removes a like; false when there was none. */
export async function removeLike(knex: Knex, userId: number, productId: number): Promise<boolean> {
  return transact(knex, async (trx) => {
    const product = await trx('products').where({ id: productId }).forUpdate().first('id');
    const n = await trx('likes').where({ user_id: userId, product_id: productId }).delete();
    if (n === 0) return false;
    if (product) {
      await trx('products').where({ id: productId })
        .update({ like_count: trx.raw('IF(like_count > 0, like_count - 1, 0)'), updated_at: trx.raw('updated_at') });
    }
    return true;
  });
}

/** The shopper's liked products (hidden ones left out), most recent like first. */
export async function listLikes(db: Db, userId: number, paging: Paging): Promise<Counted<LikeRow>> {
  const base = db('likes as l').join('products as p', 'p.id', 'l.product_id').where('l.user_id', userId).whereNot('p.status', HIDDEN_STATUS);
  const [rows, total] = await Promise.all([
    base.clone().join('shops as s', 's.id', 'p.shop_id').select([...listColumns(db), 'l.created_at as liked_at'])
      .orderBy([{ column: 'l.created_at', order: 'desc' }, { column: 'l.id', order: 'desc' }]).limit(paging.size).offset(offset(paging)),
    countOf(base),
  ]);
  return { rows, total };
}

/** One like with its product, as the list shows it. */
export async function getLike(db: Db, userId: number, productId: number): Promise<LikeRow | undefined> {
  return db('likes as l').join('products as p', 'p.id', 'l.product_id').join('shops as s', 's.id', 'p.shop_id')
    .where({ 'l.user_id': userId, 'l.product_id': productId }).first([...listColumns(db), 'l.created_at as liked_at']);
}
