import { Router, type Express } from 'express';
import { createBaseApp } from '../http/app.ts';
import type { AppDeps } from '../http/deps.ts';
import { accountRoutes } from './routes/account.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { meRoutes } from './routes/me.ts';

/** The shopping app's API (default :3001). */
export function createUserApp(deps: AppDeps): Express {
  const router = Router();
  accountRoutes(router, deps);
  catalogRoutes(router, deps);
  meRoutes(router, deps);
  return createBaseApp({ name: 'legacy-user-api', logger: deps.logger, router });
}
