import type { Repos } from '../db/index.ts';
import type { Role } from '../db/projects.ts';
import { forbidden, notFound } from './errors.ts';
import { UUID } from './validate.ts';

/** The caller's role in the project; a project the caller cannot see does not exist for them (404). */
export async function memberRole(repos: Repos, projectId: string, userId: string): Promise<Role> {
  if (!UUID.test(projectId)) throw notFound('project not found');
  const role = await repos.projects.roleOf(projectId, userId);
  if (!role) throw notFound('project not found');
  return role;
}

export function requireRole(role: Role, allowed: Role[], what: string): void {
  if (!allowed.includes(role)) throw forbidden(`only ${allowed.join(' or ')} may ${what}`);
}

/** The task's project id, if the caller is a member of it; 404 otherwise. */
export async function taskAccess(repos: Repos, taskId: string, userId: string): Promise<{ projectId: string; role: Role }> {
  if (!UUID.test(taskId)) throw notFound('task not found');
  const projectId = await repos.tasks.projectOf(taskId);
  if (!projectId) throw notFound('task not found');
  const role = await repos.projects.roleOf(projectId, userId);
  if (!role) throw notFound('task not found');
  return { projectId, role };
}
