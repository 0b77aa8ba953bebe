import type { Router } from 'express';
import { AppError } from '../../../lib/errors.ts';
import { bookmark, like } from '../../../lib/contract/activity.ts';
import { page } from '../../../lib/contract/paging.ts';
import { addBookmark, getBookmark, listBookmarks, removeBookmark } from '../../seam/bookmarks.ts';
import { addLike, getLike, listLikes, removeLike } from '../../seam/likes.ts';
import { requireUser, userId } from '../../http/auth.ts';
import type { AppDeps } from '../../http/deps.ts';
import { parseInput } from '../../../lib/contract/validate.ts';
import { bookmarkBody, likeBody, pageOnlyQuery, productIdParam, shopIdParam } from '../../../lib/contract/schemas/user-api.ts';

/** The shopper's likes and shop bookmarks. POST is idempotent: 201 when new, 200 when it already existed. */
export function meRoutes(r: Router, deps: AppDeps): void {
  const { knex } = deps;
  const auth = requireUser(deps);

  r.post('/api/me/likes', auth, async (req, res) => {
    const { productId } = parseInput(likeBody, req.body, 'body');
    const result = await addLike(knex, userId(res), productId);
    if (result === 'not_found') throw new AppError('NOT_FOUND', `Product ${productId} not found`);
    const row = await getLike(knex, userId(res), productId);
    if (!row) throw new AppError('NOT_FOUND', `Product ${productId} not found`);
    res.status(result === 'created' ? 201 : 200).json(like(row));
  });

  r.delete('/api/me/likes/:productId', auth, async (req, res) => {
    const { productId } = parseInput(productIdParam, req.params, 'params');
    if (!(await removeLike(knex, userId(res), productId))) throw new AppError('NOT_FOUND', `You have not liked product ${productId}`);
    res.status(204).end();
  });

  r.get('/api/me/likes', auth, async (req, res) => {
    const q = parseInput(pageOnlyQuery, req.query, 'query');
    const { rows, total } = await listLikes(knex, userId(res), q);
    res.json(page(rows.map(like), q, total));
  });

  r.post('/api/me/bookmarks', auth, async (req, res) => {
    const { shopId } = parseInput(bookmarkBody, req.body, 'body');
    const result = await addBookmark(knex, userId(res), shopId);
    if (result === 'not_found') throw new AppError('NOT_FOUND', `Shop ${shopId} not found`);
    const row = await getBookmark(knex, userId(res), shopId);
    if (!row) throw new AppError('NOT_FOUND', `Shop ${shopId} not found`);
    res.status(result === 'created' ? 201 : 200).json(bookmark(row));
  });

  r.delete('/api/me/bookmarks/:shopId', auth, async (req, res) => {
    const { shopId } = parseInput(shopIdParam, req.params, 'params');
    if (!(await removeBookmark(knex, userId(res), shopId))) throw new AppError('NOT_FOUND', `You have not bookmarked shop ${shopId}`);
    res.status(204).end();
  });

  r.get('/api/me/bookmarks', auth, async (req, res) => {
    const q = parseInput(pageOnlyQuery, req.query, 'query');
    const { rows, total } = await listBookmarks(knex, userId(res), q);
    res.json(page(rows.map(bookmark), q, total));
  });
}
