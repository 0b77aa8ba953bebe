import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { signToken } from '../auth/jwt.ts';
import { checkPassword, hashPassword } from '../auth/password.ts';
import type { Repos } from '../db/index.ts';
import { isDuplicateKey, sqlNow } from '../db/rows.ts';
import { publicUser } from '../db/users.ts';
import { requireAuth, userIdOf } from '../http/auth.ts';
import { conflict, notFound, unauthorized } from '../http/errors.ts';
import { Check, EMAIL } from '../http/validate.ts';
import type { AppOptions } from '../app.ts';

export function authRoutes(repos: Repos, opts: AppOptions): Router {
  const r = Router();

  r.post('/auth/signup', async (req, res) => {
    const c = new Check(req.body);
    const email = c.string('email', { required: true, max: 254, pattern: EMAIL });
    const password = c.string('password', { required: true, min: 8, max: 200, trim: false });
    const name = c.string('name', { required: true, max: 100 });
    c.done();
    const id = randomUUID();
    const passwordHash = await hashPassword(password!, opts.scryptCost);
    try {
      await repos.users.create({ id, email: email!, name: name!, passwordHash, now: sqlNow() });
    } catch (err) {
      if (isDuplicateKey(err)) throw conflict('email already registered');
      throw err;
    }
    const user = (await repos.users.findById(id))!;
    res.status(201).json({ token: signToken(id, opts.jwtSecret, opts.tokenTtlSeconds), user: publicUser(user) });
  });

  r.post('/auth/login', async (req, res) => {
    const c = new Check(req.body);
    const email = c.string('email', { required: true, max: 254 });
    const password = c.string('password', { required: true, max: 200, trim: false });
    c.done();
    const user = await repos.users.findByEmail(email!);
    if (!user || !(await checkPassword(password!, user.passwordHash))) throw unauthorized('wrong email or password');
    res.json({ token: signToken(user.id, opts.jwtSecret, opts.tokenTtlSeconds), user: publicUser(user) });
  });

  r.get('/me', requireAuth(opts.jwtSecret), async (_req, res) => {
    const me = await repos.users.profile(userIdOf(res));
    if (!me) throw notFound('user not found');
    res.json(me);
  });

  return r;
}
