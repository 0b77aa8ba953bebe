import type { Router } from 'express';
import { AppError } from '../../../lib/errors.ts';
import { page } from '../../../lib/contract/paging.ts';
import { shopAdmin } from '../../../lib/contract/shop.ts';
import { createShop, listShops, updateShop } from '../../seam/shops.ts';
import type { AppDeps } from '../../http/deps.ts';
import { idParam } from '../../../lib/contract/schemas/common.ts';
import { parseInput } from '../../../lib/contract/validate.ts';
import { shopCreate, shopListQuery, shopPatch } from '../../../lib/contract/schemas/admin-api.ts';

export function shopRoutes(r: Router, deps: AppDeps): void {
  const { knex } = deps;

  r.get('/admin/shops', async (req, res) => {
    const q = parseInput(shopListQuery, req.query, 'query');
    const { rows, total } = await listShops(knex, q, q);
    res.json(page(rows.map(shopAdmin), q, total));
  });

  r.post('/admin/shops', async (req, res) => {
    const body = parseInput(shopCreate, req.body, 'body');
    res.status(201).json(shopAdmin(await createShop(knex, body)));
  });

  r.patch('/admin/shops/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params, 'params');
    const body = parseInput(shopPatch, req.body, 'body');
    const row = await updateShop(knex, id, body);
    if (!row) throw new AppError('NOT_FOUND', `Shop ${id} not found`);
    res.json(shopAdmin(row));
  });
}
