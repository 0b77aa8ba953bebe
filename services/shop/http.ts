import { Router, type Express, type RequestHandler } from 'express';
import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { page } from '../../lib/contract/paging.ts';
import { shop, shopAdmin } from '../../lib/contract/shop.ts';
import { idParam } from '../../lib/contract/schemas/common.ts';
import { parseInput } from '../../lib/contract/validate.ts';
import { shopCreate, shopListQuery, shopPatch } from '../../lib/contract/schemas/admin-api.ts';
import { merchantShopPatch, statsQuery, statsWindow } from '../../lib/contract/schemas/merchant-api.ts';
import { pageOnlyQuery } from '../../lib/contract/schemas/user-api.ts';
import { createEdgeApp } from '../common/http-edge.ts';
import { gatherMerchantStats, type MerchantStatsSources } from '../../rpc/merchant-stats.ts';
import { merchantShop, merchantShopIdOf, requireStaff, type StaffVerifier } from '../common/staff-auth.ts';
import type { CloseShopOutcome } from './close-shop.ts';
import { PUBLIC_CONTRACT_STATUS } from './logic.ts';
import type { ShopRepository } from './repository.ts';

/**
 * The shop service's legacy-compatible REST edge: shops.list, shops.get
 * (shapes from the legacy presenters), admin and merchant shop routes,
 * merchant stats (assembled from the product service, the user service and
 * the legacy-owned log: rpc/merchant-stats.ts), and the admin
 * "close shop" saga (a new route, served only here).
 */
export interface ShopEdgeDeps {
  repo: ShopRepository;
  staff: StaffVerifier;
  closeShop: (shopId: number) => Promise<CloseShopOutcome>;
  /** Where GET /merchant/stats gets its parts (no table of another service is read). */
  stats: MerchantStatsSources;
  /** "Today" of the default stats window (tests pin it). */
  clock?: () => Date;
  logger: Logger;
  health?: () => Promise<Record<string, string>>;
}

export function createShopEdge(deps: ShopEdgeDeps): Express {
  const { repo, logger } = deps;
  const r = Router();

  r.get('/api/shops', async (req, res) => {
    const q = parseInput(pageOnlyQuery, req.query, 'query');
    const { rows, total } = await repo.list({ contractStatus: PUBLIC_CONTRACT_STATUS }, q);
    res.json(page(rows.map(shop), q, total));
  });

  r.get('/api/shops/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const row = await repo.get(id);
    if (!row || row.contract_status !== PUBLIC_CONTRACT_STATUS) throw new AppError('NOT_FOUND', `Shop ${id} not found`);
    res.json(shop(row));
  });

  // ---- admin shop routes (legacy admin API shapes) ----
  r.use('/admin', requireStaff(deps.staff, 'admin'));

  r.get('/admin/shops', async (req, res) => {
    const q = parseInput(shopListQuery, req.query, 'query');
    const { rows, total } = await repo.list(q, q);
    res.json(page(rows.map(shopAdmin), q, total));
  });

  r.post('/admin/shops', async (req, res) => {
    const body = parseInput(shopCreate, req.body, 'body');
    res.status(201).json(shopAdmin(await repo.create(body)));
  });

  r.patch('/admin/shops/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const body = parseInput(shopPatch, req.body, 'body');
    const row = await repo.update(id, body);
    if (!row) throw new AppError('NOT_FOUND', `Shop ${id} not found`);
    res.json(shopAdmin(row));
  });

  /** Close a shop across services (saga). 200 with the closed shop; 503 when it was compensated; 500 when compensation failed. */
  r.post('/admin/shops/:id/close', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    if (!(await repo.get(id))) throw new AppError('NOT_FOUND', `Shop ${id} not found`);
    const outcome = await deps.closeShop(id);
    if (outcome.status === 'completed') {
      res.json({ saga: { id: outcome.id, status: outcome.status, hiddenProducts: outcome.context.hidden?.length ?? 0 }, shop: shopAdmin((await repo.get(id))!) });
      return;
    }
    const code = outcome.status === 'compensated' ? 'SERVICE_UNAVAILABLE' : 'INTERNAL';
    throw new AppError(code, `Closing shop ${id} failed at "${outcome.failedStep}" and was ${outcome.status === 'compensated' ? 'rolled back' : 'NOT fully rolled back (saga ' + outcome.id + ' needs an operator)'}`,
      { details: { sagaId: outcome.id, status: outcome.status, failedStep: outcome.failedStep } });
  });

  // ---- merchant shop routes ----
  r.use('/merchant', requireStaff(deps.staff, 'merchant'), merchantShop((id) => repo.getMerchant(id)));

  r.get('/merchant/shop', async (_req, res) => {
    const row = await repo.get(merchantShopIdOf(res));
    if (!row) throw new AppError('NOT_FOUND', 'Your shop was not found');
    res.json(shopAdmin(row));
  });

  r.patch('/merchant/shop', async (req, res) => {
    const body = parseInput(merchantShopPatch, req.body, 'body');
    const row = await repo.update(merchantShopIdOf(res), body);
    if (!row) throw new AppError('NOT_FOUND', 'Your shop was not found');
    res.json(shopAdmin(row));
  });

  r.get('/merchant/stats', async (req, res) => {
    const q = parseInput(statsQuery, req.query, 'query');
    res.json(await gatherMerchantStats(deps.stats, merchantShopIdOf(res), statsWindow(q, (deps.clock ?? (() => new Date()))()), q));
  });

  return createEdgeApp({ name: 'shop-service', logger, router: r, health: deps.health });
}
