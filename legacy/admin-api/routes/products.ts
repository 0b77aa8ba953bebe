import type { Response, Router } from 'express';
import { AppError } from '../../../lib/errors.ts';
import { product } from '../../../lib/contract/product.ts';
import { bulkUpsertProducts } from '../../seam/product-bulk.ts';
import { deleteProduct, hideProduct, updateProduct } from '../../seam/product-writes.ts';
import { getProduct } from '../../seam/products.ts';
import { getAdmin } from '../../models/staff.ts';
import { staffId } from '../../http/auth.ts';
import type { AppDeps } from '../../http/deps.ts';
import { idParam, productPatch } from '../../../lib/contract/schemas/common.ts';
import { parseInput } from '../../../lib/contract/validate.ts';
import { bulkBody } from '../../../lib/contract/schemas/admin-api.ts';

export function productRoutes(r: Router, deps: AppDeps): void {
  const { knex } = deps;

  async function sendProduct(res: Response, id: number): Promise<void> {
    const found = await getProduct(knex, id);
    if (!found) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    res.json(product(found.row, found.shopName, found.images));
  }

  r.post('/admin/products/bulk', async (req, res) => {
    const body = parseInput(bulkBody, req.body, 'body');
    res.json(await bulkUpsertProducts(knex, body.items, 'body.items'));
  });

  r.get('/admin/products/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    await sendProduct(res, id);
  });

  r.patch('/admin/products/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const body = parseInput(productPatch, req.body, 'body');
    if (!(await updateProduct(knex, id, body))) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    await sendProduct(res, id);
  });

  r.post('/admin/products/:id/hide', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    if (!(await hideProduct(knex, id))) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    await sendProduct(res, id);
  });

  /** Deleting is for superusers; operators hide. */
  r.delete('/admin/products/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const me = await getAdmin(knex, staffId(res));
    if (me?.role !== 'superuser') throw new AppError('FORBIDDEN', 'Only a superuser may delete products; hide it instead');
    if (!(await deleteProduct(knex, id))) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    res.status(204).end();
  });
}
