import { Router, type Express } from 'express';
import { createBaseApp } from '../http/app.ts';
import { requireStaff } from '../http/auth.ts';
import type { AppDeps } from '../http/deps.ts';
import { productRoutes } from './routes/products.ts';
import { reportRoutes } from './routes/reports.ts';
import { sessionRoutes } from './routes/session.ts';
import { shopRoutes } from './routes/shops.ts';

export const BULK_BODY_LIMIT = '5mb';

/** The admin web API (default :3002). Everything but sign-in needs an admin session. */
export function createAdminApp(deps: AppDeps): Express {
  const router = Router();
  sessionRoutes(router, deps);
  router.use('/admin', requireStaff(deps, 'admin'));
  shopRoutes(router, deps);
  productRoutes(router, deps);
  reportRoutes(router, deps);
  return createBaseApp({
    name: 'legacy-admin-api',
    logger: deps.logger,
    router,
    largeBodies: [{ path: '/admin/products/bulk', limit: BULK_BODY_LIMIT }],
  });
}
