import type { Response, Router } from 'express';
import { AppError } from '../../../lib/errors.ts';
import { page } from '../../../lib/contract/paging.ts';
import { product, productListItem } from '../../../lib/contract/product.ts';
import { shop } from '../../../lib/contract/shop.ts';
import { writeLog, type LogEvent } from '../../models/logs.ts';
import { getVisibleProduct, listPublicProducts, searchProductsByName } from '../../seam/products.ts';
import { getPublicShop, listShops, PUBLIC_CONTRACT_STATUS } from '../../seam/shops.ts';
import { optionalUser, optionalUserId } from '../../http/auth.ts';
import type { AppDeps } from '../../http/deps.ts';
import { idParam } from '../../../lib/contract/schemas/common.ts';
import { parseInput } from '../../../lib/contract/validate.ts';
import { clickBody, pageOnlyQuery, productListQuery, searchQuery } from '../../../lib/contract/schemas/user-api.ts';

export function catalogRoutes(r: Router, deps: AppDeps): void {
  const { knex, logger } = deps;

  /** Event logging must not fail the shopper's request: a failed insert is logged and dropped. */
  async function log(res: Response, e: LogEvent): Promise<void> {
    try {
      await writeLog(knex, e);
    } catch (err) {
      logger.warn({ err, requestId: res.locals.requestId, type: e.type }, 'could not write event log');
    }
  }

  r.get('/api/products', async (req, res) => {
    const q = parseInput(productListQuery, req.query, 'query');
    const { rows, total } = await listPublicProducts(knex, q, q.sort, q);
    res.json(page(rows.map(productListItem), q, total));
  });

  r.get('/api/products/:id', optionalUser(deps), async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const found = await getVisibleProduct(knex, id);
    if (!found) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    await log(res, { type: 'view', userId: optionalUserId(res), productId: id, shopId: Number(found.row.shop_id) });
    res.json(product(found.row, found.shopName, found.images));
  });

  r.post('/api/products/:id/clicks', optionalUser(deps), async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const body = parseInput(clickBody, req.body, 'body');
    const found = await getVisibleProduct(knex, id);
    if (!found) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    await log(res, { type: 'click', userId: optionalUserId(res), productId: id, shopId: Number(found.row.shop_id), meta: body.source ? { source: body.source } : null });
    res.status(204).end();
  });

  r.get('/api/shops', async (req, res) => {
    const q = parseInput(pageOnlyQuery, req.query, 'query');
    const { rows, total } = await listShops(knex, { contractStatus: PUBLIC_CONTRACT_STATUS }, q);
    res.json(page(rows.map(shop), q, total));
  });

  r.get('/api/shops/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const row = await getPublicShop(knex, id);
    if (!row) throw new AppError('NOT_FOUND', `Shop ${id} not found`);
    res.json(shop(row));
  });

  r.get('/api/search', optionalUser(deps), async (req, res) => {
    const q = parseInput(searchQuery, req.query, 'query');
    const { rows, total } = await searchProductsByName(knex, q.q, q);
    await log(res, { type: 'search', userId: optionalUserId(res), query: q.q, meta: { total, page: q.page } });
    res.json(page(rows.map(productListItem), q, total));
  });
}
