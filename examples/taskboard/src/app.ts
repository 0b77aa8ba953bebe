import express, { type Express } from 'express';
import type { Repos } from './db/index.ts';
import { requireAuth } from './http/auth.ts';
import { HttpError, errorHandler, routeNotFound, type Logger } from './http/errors.ts';
import { authRoutes } from './routes/auth.ts';
import { projectRoutes } from './routes/projects.ts';
import { searchRoutes } from './routes/search.ts';
import { taskRoutes } from './routes/tasks.ts';

export interface AppOptions {
  jwtSecret: string;
  tokenTtlSeconds: number;
  /** scrypt N for new password hashes */
  scryptCost?: number;
  log?: Logger;
}

export function createApp(repos: Repos, opts: AppOptions): Express {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} taskboard ${line}\n`));
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.json({ limit: '100kb' }));

  app.get('/health', async (_req, res) => {
    try {
      await repos.ping();
    } catch (err) {
      log(`health: database unreachable: ${(err as Error).message}`);
      throw new HttpError(503, 'database unreachable');
    }
    res.json({ status: 'ok' });
  });

  app.use(authRoutes(repos, opts));
  app.use(requireAuth(opts.jwtSecret));
  app.use(projectRoutes(repos));
  app.use(taskRoutes(repos));
  app.use(searchRoutes(repos));
  app.use(routeNotFound);
  app.use(errorHandler(log));
  return app;
}
