import type { Response, Router } from 'express';
import { AppError } from '../../../lib/errors.ts';
import { page } from '../../../lib/contract/paging.ts';
import { product, productListItem } from '../../../lib/contract/product.ts';
import { createProduct, updateProduct } from '../../seam/product-writes.ts';
import { getProduct, listShopProducts } from '../../seam/products.ts';
import type { AppDeps } from '../../http/deps.ts';
import { idParam, productCreate, productPatch } from '../../../lib/contract/schemas/common.ts';
import { parseInput } from '../../../lib/contract/validate.ts';
import { merchantProductQuery } from '../../../lib/contract/schemas/merchant-api.ts';
import { merchantShopId } from './shop.ts';

/** A merchant sees and edits only their own shop's products; anyone else's is a 404. */
export function productRoutes(r: Router, deps: AppDeps): void {
  const { knex } = deps;

  async function sendProduct(res: Response, id: number, status = 200): Promise<void> {
    const found = await getProduct(knex, id, { shopId: merchantShopId(res) });
    if (!found) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    res.status(status).json(product(found.row, found.shopName, found.images));
  }

  r.get('/merchant/products', async (req, res) => {
    const q = parseInput(merchantProductQuery, req.query, 'query');
    const { rows, total } = await listShopProducts(knex, merchantShopId(res), q, q);
    res.json(page(rows.map(productListItem), q, total));
  });

  r.post('/merchant/products', async (req, res) => {
    const body = parseInput(productCreate, req.body, 'body');
    const id = await createProduct(knex, merchantShopId(res), body);
    await sendProduct(res, id, 201);
  });

  r.get('/merchant/products/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    await sendProduct(res, id);
  });

  r.patch('/merchant/products/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const body = parseInput(productPatch, req.body, 'body');
    if (!(await updateProduct(knex, id, body, { shopId: merchantShopId(res) }))) throw new AppError('NOT_FOUND', `Product ${id} not found`);
    await sendProduct(res, id);
  });
}
