import type { Router } from 'express';
import { AppError } from '../../../lib/errors.ts';
import { admin, session } from '../../../lib/contract/user.ts';
import { checkCredentials } from '../../models/auth.ts';
import { systemClock } from '../../models/db.ts';
import { createStaffSession } from '../../models/sessions.ts';
import { findAdminCredentials, getAdmin } from '../../models/staff.ts';
import type { AppDeps } from '../../http/deps.ts';
import { loginBody } from '../../../lib/contract/schemas/common.ts';
import { parseInput } from '../../../lib/contract/validate.ts';

export function sessionRoutes(r: Router, deps: AppDeps): void {
  const clock = deps.clock ?? systemClock;
  r.post('/admin/sessions', async (req, res) => {
    const body = parseInput(loginBody, req.body, 'body');
    const id = await checkCredentials(await findAdminCredentials(deps.knex, body.email), body.password);
    if (id === null) throw new AppError('INVALID_CREDENTIALS', 'Email or password is wrong', { status: 401 });
    const token = await createStaffSession(deps.knex, 'admin', id, clock());
    res.json(session(token, 'admin', admin((await getAdmin(deps.knex, id))!)));
  });
}
