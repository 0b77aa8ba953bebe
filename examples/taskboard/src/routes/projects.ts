import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Repos } from '../db/index.ts';
import { ROLES, type Role } from '../db/projects.ts';
import { isDuplicateKey, sqlNow } from '../db/rows.ts';
import { memberRole, requireRole } from '../http/access.ts';
import { userIdOf } from '../http/auth.ts';
import { badRequest, conflict, forbidden, notFound } from '../http/errors.ts';
import { Check, EMAIL, UUID } from '../http/validate.ts';

const ASSIGNABLE: Role[] = ROLES.filter((r) => r !== 'owner');

export function projectRoutes(repos: Repos): Router {
  const r = Router();

  const detail = (projectId: string, userId: string) => repos.projects.summaryFor(projectId, userId);

  r.get('/projects', async (_req, res) => {
    res.json({ items: await repos.projects.listForUser(userIdOf(res)) });
  });

  r.post('/projects', async (req, res) => {
    const c = new Check(req.body);
    const name = c.string('name', { required: true, max: 120 });
    const description = c.string('description', { max: 5000, min: 0, nullable: true });
    c.done();
    const id = randomUUID();
    await repos.projects.createWithOwner({ id, name: name!, description: description ?? null, ownerId: userIdOf(res), now: sqlNow() });
    res.status(201).json(await detail(id, userIdOf(res)));
  });

  r.get('/projects/:projectId', async (req, res) => {
    await memberRole(repos, req.params.projectId, userIdOf(res));
    res.json(await detail(req.params.projectId, userIdOf(res)));
  });

  r.patch('/projects/:projectId', async (req, res) => {
    const role = await memberRole(repos, req.params.projectId, userIdOf(res));
    const c = new Check(req.body);
    const name = c.string('name', { max: 120 });
    const description = c.string('description', { max: 5000, min: 0, nullable: true });
    c.done();
    if (name === undefined && description === undefined) throw badRequest('validation failed', [{ field: '(body)', problem: 'nothing to change' }]);
    requireRole(role, ['owner', 'admin'], 'edit the project');
    await repos.projects.update(req.params.projectId, { ...(name !== undefined ? { name: name! } : {}), ...(description !== undefined ? { description } : {}) }, sqlNow());
    res.json(await detail(req.params.projectId, userIdOf(res)));
  });

  r.delete('/projects/:projectId', async (req, res) => {
    const role = await memberRole(repos, req.params.projectId, userIdOf(res));
    requireRole(role, ['owner'], 'delete the project');
    await repos.projects.remove(req.params.projectId);
    res.status(204).end();
  });

  r.get('/projects/:projectId/members', async (req, res) => {
    await memberRole(repos, req.params.projectId, userIdOf(res));
    res.json({ items: await repos.projects.members(req.params.projectId) });
  });

  r.post('/projects/:projectId/members', async (req, res) => {
    const role = await memberRole(repos, req.params.projectId, userIdOf(res));
    const c = new Check(req.body);
    const email = c.string('email', { required: true, max: 254, pattern: EMAIL });
    const newRole = c.oneOf('role', ASSIGNABLE) ?? 'member';
    c.done();
    requireRole(role, ['owner', 'admin'], 'add members');
    const user = await repos.users.findByEmail(email!);
    if (!user) throw notFound('no user with that email');
    try {
      await repos.projects.addMember(req.params.projectId, user.id, newRole, sqlNow());
    } catch (err) {
      if (isDuplicateKey(err)) throw conflict('already a member of this project');
      throw err;
    }
    const members = await repos.projects.members(req.params.projectId);
    res.status(201).json(members.find((m) => m.userId === user.id));
  });

  r.delete('/projects/:projectId/members/:userId', async (req, res) => {
    const me = userIdOf(res);
    const role = await memberRole(repos, req.params.projectId, me);
    const target = req.params.userId;
    if (!UUID.test(target)) throw notFound('member not found');
    const leaving = target.toLowerCase() === me.toLowerCase();
    if (!leaving && role !== 'owner' && role !== 'admin') throw forbidden('only owner or admin may remove members');
    const targetRole = await repos.projects.roleOf(req.params.projectId, target);
    if (!targetRole) throw notFound('member not found');
    if (targetRole === 'owner') throw conflict('the owner cannot be removed from the project');
    await repos.projects.removeMember(req.params.projectId, target, sqlNow());
    res.status(204).end();
  });

  return r;
}
