import type { Router } from 'express';
import { AppError } from '../../../lib/errors.ts';
import { session, user } from '../../../lib/contract/user.ts';
import { systemClock } from '../../models/db.ts';
import { createUser, getUser, loginUser } from '../../seam/users.ts';
import { requireUser, userId } from '../../http/auth.ts';
import type { AppDeps } from '../../http/deps.ts';
import { loginBody } from '../../../lib/contract/schemas/common.ts';
import { parseInput } from '../../../lib/contract/validate.ts';
import { signUpBody } from '../../../lib/contract/schemas/user-api.ts';

export function accountRoutes(r: Router, deps: AppDeps): void {
  const { knex } = deps;
  const clock = deps.clock ?? systemClock;

  r.post('/api/users', async (req, res) => {
    const body = parseInput(signUpBody, req.body, 'body');
    const row = await createUser(knex, body);
    res.status(201).json(user(row));
  });

  r.post('/api/sessions', async (req, res) => {
    const body = parseInput(loginBody, req.body, 'body');
    const login = await loginUser(knex, body.email, body.password, clock());
    if (login === null) throw new AppError('INVALID_CREDENTIALS', 'Email or password is wrong', { status: 401 });
    res.json(session(login.token, 'user', user((await getUser(knex, login.userId))!)));
  });

  r.get('/api/me', requireUser(deps), async (_req, res) => {
    const row = await getUser(knex, userId(res));
    if (!row) throw new AppError('UNAUTHENTICATED', 'The user no longer exists');
    res.json(user(row));
  });
}
