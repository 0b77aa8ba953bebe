import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Repos } from '../db/index.ts';
import { isDuplicateKey, sqlNow } from '../db/rows.ts';
import { STATUSES, type Status } from '../db/tasks.ts';
import { memberRole, taskAccess } from '../http/access.ts';
import { userIdOf } from '../http/auth.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';
import { Check, COLOR, DATE, LABEL_ID, UUID, isRealDate, queryInt } from '../http/validate.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
const MAX_PAGE = 10_000;

function one(v: unknown): string | undefined {
  return typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined;
}

export function taskRoutes(repos: Repos): Router {
  const r = Router();

  /** Reads the writable task fields; assignee must be a member of the project. */
  async function taskFields(body: unknown, projectId: string, creating: boolean) {
    const c = new Check(body);
    const title = c.string('title', { required: creating, max: 200 });
    const description = c.string('description', { min: 0, max: 10_000, nullable: true });
    const status = c.oneOf('status', STATUSES);
    const priority = c.int('priority', { min: 1, max: 5 });
    const dueDate = c.string('dueDate', { max: 10, pattern: DATE, nullable: true });
    const assigneeId = c.string('assigneeId', { max: 36, pattern: UUID, nullable: true });
    c.done();
    if (typeof dueDate === 'string' && !isRealDate(dueDate)) throw badRequest('validation failed', [{ field: 'dueDate', problem: 'is not a calendar date' }]);
    let assignee: string | null | undefined = assigneeId;
    if (typeof assigneeId === 'string') {
      if (!(await repos.projects.roleOf(projectId, assigneeId))) throw badRequest('validation failed', [{ field: 'assigneeId', problem: 'is not a member of this project' }]);
      assignee = (await repos.users.findById(assigneeId))!.id;
    }
    return { title, description, status, priority, dueDate, assigneeId: assignee };
  }

  r.get('/projects/:projectId/tasks', async (req, res) => {
    const me = userIdOf(res);
    await memberRole(repos, req.params.projectId, me);
    const status = one(req.query.status);
    if (status !== undefined && status !== '' && !STATUSES.includes(status as Status)) {
      throw badRequest('validation failed', [{ field: 'status', problem: `must be one of ${STATUSES.join(', ')}` }]);
    }
    const a = one(req.query.assignee);
    let assignee: string | null | undefined;
    if (a === undefined || a === '') assignee = undefined;
    else if (a === 'me') assignee = me;
    else if (a === 'none') assignee = null;
    else if (UUID.test(a)) assignee = a;
    else throw badRequest('validation failed', [{ field: 'assignee', problem: 'must be a user id, "me" or "none"' }]);
    const page = queryInt(one(req.query.page), 'page', 1, MAX_PAGE);
    const pageSize = queryInt(one(req.query.pageSize), 'pageSize', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const { items, total } = await repos.tasks.list({ projectId: req.params.projectId, status: (status || undefined) as Status | undefined, assignee, page, pageSize });
    res.json({ items, page, pageSize, total });
  });

  r.post('/projects/:projectId/tasks', async (req, res) => {
    const me = userIdOf(res);
    await memberRole(repos, req.params.projectId, me);
    const project = (await repos.projects.get(req.params.projectId))!;
    const f = await taskFields(req.body, project.id, true);
    const id = randomUUID();
    await repos.tasks.create({
      id, projectId: project.id, title: f.title!, description: f.description ?? null, status: f.status ?? 'todo', priority: f.priority ?? 3,
      dueDate: f.dueDate ?? null, assigneeId: f.assigneeId ?? null, createdBy: me, now: sqlNow(),
    });
    res.status(201).json(await repos.tasks.get(id));
  });

  r.get('/tasks/:taskId', async (req, res) => {
    await taskAccess(repos, req.params.taskId, userIdOf(res));
    res.json(await repos.tasks.get(req.params.taskId));
  });

  r.patch('/tasks/:taskId', async (req, res) => {
    const { projectId } = await taskAccess(repos, req.params.taskId, userIdOf(res));
    const f = await taskFields(req.body, projectId, false);
    const patch = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined));
    if (Object.keys(patch).length === 0) throw badRequest('validation failed', [{ field: '(body)', problem: 'nothing to change' }]);
    await repos.tasks.update(req.params.taskId, patch, sqlNow());
    res.json(await repos.tasks.get(req.params.taskId));
  });

  r.delete('/tasks/:taskId', async (req, res) => {
    await taskAccess(repos, req.params.taskId, userIdOf(res));
    await repos.tasks.remove(req.params.taskId);
    res.status(204).end();
  });

  r.get('/tasks/:taskId/comments', async (req, res) => {
    await taskAccess(repos, req.params.taskId, userIdOf(res));
    const page = queryInt(one(req.query.page), 'page', 1, MAX_PAGE);
    const pageSize = queryInt(one(req.query.pageSize), 'pageSize', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    res.json({ items: await repos.comments.list(req.params.taskId, pageSize, (page - 1) * pageSize), page, pageSize });
  });

  r.post('/tasks/:taskId/comments', async (req, res) => {
    await taskAccess(repos, req.params.taskId, userIdOf(res));
    const c = new Check(req.body);
    const body = c.string('body', { required: true, max: 10_000 });
    c.done();
    const task = (await repos.tasks.get(req.params.taskId))!;
    res.status(201).json(await repos.comments.add({ taskId: task.id, authorId: userIdOf(res), body: body!, now: sqlNow() }));
  });

  r.get('/projects/:projectId/labels', async (req, res) => {
    await memberRole(repos, req.params.projectId, userIdOf(res));
    res.json({ items: await repos.labels.listForProject(req.params.projectId) });
  });

  r.post('/projects/:projectId/labels', async (req, res) => {
    await memberRole(repos, req.params.projectId, userIdOf(res));
    const project = (await repos.projects.get(req.params.projectId))!;
    const c = new Check(req.body);
    const name = c.string('name', { required: true, max: 40 });
    const color = c.string('color', { max: 7, pattern: COLOR });
    c.done();
    let id: string;
    try {
      id = await repos.labels.create({ projectId: project.id, name: name!, color: (color ?? '#888888').toLowerCase(), now: sqlNow() });
    } catch (err) {
      if (isDuplicateKey(err)) throw conflict('the project has a label with that name');
      throw err;
    }
    res.status(201).json(await repos.labels.get(id));
  });

  async function labelOfTask(taskIdParam: string, labelIdParam: string, userId: string) {
    const { projectId } = await taskAccess(repos, taskIdParam, userId);
    if (!LABEL_ID.test(labelIdParam)) throw notFound('label not found');
    const label = await repos.labels.get(labelIdParam);
    if (!label || label.projectId.toLowerCase() !== projectId.toLowerCase()) throw notFound('label not found');
    const task = (await repos.tasks.get(taskIdParam))!;
    return { projectId, task, label };
  }

  r.put('/tasks/:taskId/labels/:labelId', async (req, res) => {
    const { projectId, task, label } = await labelOfTask(req.params.taskId, req.params.labelId, userIdOf(res));
    const added = await repos.labels.attach(projectId, task.id, label.id, sqlNow());
    res.status(added ? 201 : 200).json(await repos.tasks.get(task.id));
  });

  r.delete('/tasks/:taskId/labels/:labelId', async (req, res) => {
    const { projectId, task, label } = await labelOfTask(req.params.taskId, req.params.labelId, userIdOf(res));
    if (!(await repos.labels.detach(projectId, task.id, label.id))) throw notFound('the task does not have that label');
    res.status(204).end();
  });

  return r;
}
