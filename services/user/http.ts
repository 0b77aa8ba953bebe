import { Router, type Express } from 'express';
import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { bookmark, like } from '../../lib/contract/activity.ts';
import { page } from '../../lib/contract/paging.ts';
import { session, user } from '../../lib/contract/user.ts';
import { loginBody } from '../../lib/contract/schemas/common.ts';
import { parseInput } from '../../lib/contract/validate.ts';
import { bookmarkBody, likeBody, pageOnlyQuery, productIdParam, shopIdParam, signUpBody } from '../../lib/contract/schemas/user-api.ts';
import { createEdgeApp, requireUser, userIdOf } from '../common/http-edge.ts';
import type { UserService } from './service.ts';

/**
 * The user service's legacy-compatible REST edge: users.signup,
 * sessions.create, me.get, me.likes.*, me.bookmarks.* — shapes from the
 * legacy presenters and input schemas (pure modules).
 */
export function createUserEdge(deps: { service: UserService; logger: Logger; health?: () => Promise<Record<string, string>> }): Express {
  const { service } = deps;
  const r = Router();
  const auth = requireUser(service);

  r.post('/api/users', async (req, res) => {
    const body = parseInput(signUpBody, req.body, 'body');
    res.status(201).json(user(await service.signUp(body)));
  });

  r.post('/api/sessions', async (req, res) => {
    const body = parseInput(loginBody, req.body, 'body');
    const s = await service.login(body.email, body.password);
    res.json(session(s.token, 'user', user(s.user)));
  });

  r.get('/api/me', auth, async (_req, res) => {
    const row = await service.getUser(userIdOf(res));
    if (!row) throw new AppError('UNAUTHENTICATED', 'The user no longer exists');
    res.json(user(row));
  });

  r.post('/api/me/likes', auth, async (req, res) => {
    const { productId } = parseInput(likeBody, req.body, 'body');
    const { result, row } = await service.addLike(userIdOf(res), productId);
    res.status(result === 'created' ? 201 : 200).json(like(row));
  });

  r.delete('/api/me/likes/:productId', auth, async (req, res) => {
    const { productId } = parseInput(productIdParam, req.params, 'params');
    if (!(await service.removeLike(userIdOf(res), productId))) throw new AppError('NOT_FOUND', `You have not liked product ${productId}`);
    res.status(204).end();
  });

  r.get('/api/me/likes', auth, async (req, res) => {
    const q = parseInput(pageOnlyQuery, req.query, 'query');
    const { rows, total } = await service.listLikes(userIdOf(res), q);
    res.json(page(rows.map(like), q, total));
  });

  r.post('/api/me/bookmarks', auth, async (req, res) => {
    const { shopId } = parseInput(bookmarkBody, req.body, 'body');
    const { result, row } = await service.addBookmark(userIdOf(res), shopId);
    res.status(result === 'created' ? 201 : 200).json(bookmark(row));
  });

  r.delete('/api/me/bookmarks/:shopId', auth, async (req, res) => {
    const { shopId } = parseInput(shopIdParam, req.params, 'params');
    if (!(await service.removeBookmark(userIdOf(res), shopId))) throw new AppError('NOT_FOUND', `You have not bookmarked shop ${shopId}`);
    res.status(204).end();
  });

  r.get('/api/me/bookmarks', auth, async (req, res) => {
    const q = parseInput(pageOnlyQuery, req.query, 'query');
    const { rows, total } = await service.listBookmarks(userIdOf(res), q);
    res.json(page(rows.map(bookmark), q, total));
  });

  return createEdgeApp({ name: 'user-service', logger: deps.logger, router: r, health: deps.health });
}
