import { Router, type Express, type RequestHandler } from 'express';
import { AppError } from '../../lib/errors.ts';
import { createBaseApp } from '../http/app.ts';
import { requireStaff, staffId } from '../http/auth.ts';
import type { AppDeps } from '../http/deps.ts';
import { getMerchant } from '../seam/users.ts';
import { productRoutes } from './routes/products.ts';
import { sessionRoutes } from './routes/session.ts';
import { shopRoutes } from './routes/shop.ts';

/** After staff auth: the merchant's shop id into res.locals.shopId. */
function merchantShop(deps: AppDeps): RequestHandler {
  return async (_req, res, next) => {
    const m = await getMerchant(deps.knex, staffId(res));
    if (!m) throw new AppError('UNAUTHENTICATED', 'The merchant no longer exists');
    res.locals.shopId = Number(m.shop_id);
    next();
  };
}

/** The merchant (shop owner) web API (default :3003). Everything but sign-in needs a merchant session. */
export function createMerchantApp(deps: AppDeps): Express {
  const router = Router();
  sessionRoutes(router, deps);
  router.use('/merchant', requireStaff(deps, 'merchant'), merchantShop(deps));
  shopRoutes(router, deps);
  productRoutes(router, deps);
  return createBaseApp({ name: 'legacy-merchant-api', logger: deps.logger, router });
}
