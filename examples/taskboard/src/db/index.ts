/**
 * The whole data layer: every query the application runs goes through these
 * repositories, each built on one knex handle. To point a table group at
 * another database, pass a different handle for that group.
 */
import type { Knex } from './connection.ts';
import { commentsRepo } from './comments.ts';
import { labelsRepo } from './labels.ts';
import { projectsRepo } from './projects.ts';
import { searchRepo } from './search.ts';
import { tasksRepo } from './tasks.ts';
import { usersRepo } from './users.ts';

export type RepoName = 'users' | 'projects' | 'tasks' | 'comments' | 'labels' | 'search';

export function createRepos(db: Knex | ((repo: RepoName) => Knex)) {
  const pick = typeof db === 'function' && !('client' in db) ? (db as (r: RepoName) => Knex) : () => db as Knex;
  return {
    users: usersRepo(pick('users')),
    projects: projectsRepo(pick('projects')),
    tasks: tasksRepo(pick('tasks')),
    comments: commentsRepo(pick('comments')),
    labels: labelsRepo(pick('labels')),
    search: searchRepo(pick('search')),
    async ping(): Promise<void> {
      await pick('users').raw('SELECT 1');
    },
  };
}

export type Repos = ReturnType<typeof createRepos>;
