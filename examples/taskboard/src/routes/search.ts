import { Router } from 'express';
import type { Repos } from '../db/index.ts';
import { userIdOf } from '../http/auth.ts';
import { badRequest } from '../http/errors.ts';
import { queryInt } from '../http/validate.ts';

export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 50;

export function searchRoutes(repos: Repos): Router {
  const r = Router();
  r.get('/search', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    if (q.length < 2 || q.length > 100) throw badRequest('validation failed', [{ field: 'q', problem: 'must be 2 to 100 characters' }]);
    const limit = queryInt(typeof req.query.limit === 'string' ? req.query.limit : undefined, 'limit', DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT);
    res.json({ query: q, items: await repos.search.tasks(userIdOf(res), q, limit) });
  });
  return r;
}
