import { Router, type Express, type Response } from 'express';
import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { page } from '../../lib/contract/paging.ts';
import { product, productListItem } from '../../lib/contract/product.ts';
import { idParam, productCreate, productPatch } from '../../lib/contract/schemas/common.ts';
import { parseInput } from '../../lib/contract/validate.ts';
import { merchantProductQuery } from '../../lib/contract/schemas/merchant-api.ts';
import { bulkBody } from '../../lib/contract/schemas/admin-api.ts';
import { clickBody, productListQuery } from '../../lib/contract/schemas/user-api.ts';
import { createEdgeApp, optionalUser, optionalUserIdOf } from '../common/http-edge.ts';
import type { ActivityLog, SessionVerifier, ShopDirectory } from '../../rpc/ports.ts';
import { merchantShop, merchantShopIdOf, requireStaff, staffIdOf, type StaffVerifier } from '../common/staff-auth.ts';
import { distinctShopIds, visibleToShoppers, withShopNames } from './logic.ts';
import type { ProductRepository } from './repository.ts';
import type { ProductWriter } from './writes.ts';
import type { BulkUploader } from './bulk.ts';

/**
 * The product service's legacy-compatible REST edge (the facade routes
 * products.list, products.get, products.click here). Shapes come from the
 * legacy presenters and input schemas (pure modules), so answers are
 * byte-identical; shop names come from the shop service in one batch call
 * per page, sessions are verified by the user service.
 */
/** The legacy admin API accepts crawler uploads up to 5 MB on this path (1 MB elsewhere). */
export const BULK_BODY_LIMIT = '5mb';

export interface ProductEdgeDeps {
  repo: ProductRepository;
  shops: ShopDirectory;
  sessions: SessionVerifier;
  activity: ActivityLog;
  writer: ProductWriter;
  bulk: BulkUploader;
  /** Admin/merchant tokens (legacy staff_sessions) and admin roles (legacy admins). */
  staff: StaffVerifier & { adminRole(id: number): Promise<'operator' | 'superuser' | undefined> };
  logger: Logger;
  health?: () => Promise<Record<string, string>>;
}

export function createProductEdge(deps: ProductEdgeDeps): Express {
  const { repo, shops, sessions, activity, logger } = deps;
  const r = Router();

  /** Logging must not fail the shopper's request (legacy behaviour): a failed write is logged and dropped. */
  async function log(res: Response, e: Parameters<ActivityLog['write']>[0]): Promise<void> {
    try {
      await activity.write(e);
    } catch (err) {
      logger.warn({ err, requestId: res.locals.requestId, type: e.type }, 'could not write event log');
    }
  }

  async function shopName(shopId: number): Promise<string> {
    const [s] = await shops.getMany([shopId]);
    if (!s) throw new AppError('INTERNAL', `shop ${shopId} unknown to the shop service`);
    return s.name;
  }

  async function visible(id: number) {
    const found = await repo.get(id);
    return found && visibleToShoppers(found.row.status) ? found : undefined;
  }

  r.get('/api/products', async (req, res) => {
    const q = parseInput(productListQuery, req.query, 'query');
    const { rows, total } = await repo.listPublic(q, q.sort, q);
    const ids = distinctShopIds(rows);
    const names = new Map((ids.length ? await shops.getMany(ids) : []).map((s) => [Number(s.id), s.name]));
    res.json(page(withShopNames(rows, names).map(productListItem), q, total));
  });

  r.get('/api/products/:id', optionalUser(sessions), async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const found = await visible(id);
    if (!found) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    const name = await shopName(Number(found.row.shop_id));
    await log(res, { type: 'view', userId: optionalUserIdOf(res), productId: id, shopId: Number(found.row.shop_id) });
    res.json(product(found.row, name, found.images));
  });

  r.post('/api/products/:id/clicks', optionalUser(sessions), async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const body = parseInput(clickBody, req.body, 'body');
    const found = await visible(id);
    if (!found) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    await log(res, { type: 'click', userId: optionalUserIdOf(res), productId: id, shopId: Number(found.row.shop_id), meta: body.source ? { source: body.source } : null });
    res.status(204).end();
  });

  // ---- admin product routes (legacy admin API shapes) ----
  r.use('/admin', requireStaff(deps.staff, 'admin'));

  async function sendProduct(res: Response, id: number, opts: { shopId?: number; status?: number } = {}): Promise<void> {
    const found = await repo.get(id);
    if (!found || (opts.shopId !== undefined && Number(found.row.shop_id) !== opts.shopId)) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    res.status(opts.status ?? 200).json(product(found.row, await shopName(Number(found.row.shop_id)), found.images));
  }

  r.post('/admin/products/bulk', async (req, res) => {
    const body = parseInput(bulkBody, req.body, 'body');
    res.json(await deps.bulk.upsert(body.items, 'body.items'));
  });

  r.get('/admin/products/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    await sendProduct(res, id);
  });

  r.patch('/admin/products/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const body = parseInput(productPatch, req.body, 'body');
    if (!(await deps.writer.update(id, body))) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    await sendProduct(res, id);
  });

  r.post('/admin/products/:id/hide', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    if (!(await deps.writer.hide(id))) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    await sendProduct(res, id);
  });

  r.delete('/admin/products/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    if ((await deps.staff.adminRole(staffIdOf(res))) !== 'superuser') throw new AppError('FORBIDDEN', 'Only a superuser may delete products; hide it instead');
    if (!(await deps.writer.delete(id))) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    res.status(204).end();
  });

  // ---- merchant product routes (own shop only; anyone else's product is a 404) ----
  r.use('/merchant', requireStaff(deps.staff, 'merchant'), merchantShop((id) => shops.getMerchant(id)));

  r.get('/merchant/products', async (req, res) => {
    const q = parseInput(merchantProductQuery, req.query, 'query');
    const { rows, total } = await repo.listByShop(merchantShopIdOf(res), q, q);
    const name = rows.length ? await shopName(merchantShopIdOf(res)) : '';
    res.json(page(withShopNames(rows, new Map([[merchantShopIdOf(res), name]])).map(productListItem), q, total));
  });

  r.post('/merchant/products', async (req, res) => {
    const body = parseInput(productCreate, req.body, 'body');
    const id = await deps.writer.create(merchantShopIdOf(res), body);
    await sendProduct(res, id, { shopId: merchantShopIdOf(res), status: 201 });
  });

  r.get('/merchant/products/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    await sendProduct(res, id, { shopId: merchantShopIdOf(res) });
  });

  r.patch('/merchant/products/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const body = parseInput(productPatch, req.body, 'body');
    if (!(await deps.writer.update(id, body, { shopId: merchantShopIdOf(res) }))) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    await sendProduct(res, id, { shopId: merchantShopIdOf(res) });
  });

  return createEdgeApp({ name: 'product-service', logger, router: r, health: deps.health, largeBodies: [{ path: '/admin/products/bulk', limit: BULK_BODY_LIMIT }] });
}
