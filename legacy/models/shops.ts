import { AppError } from '../../lib/errors.ts';
import type { ShopRow } from '../../lib/contract/rows.ts';
import { countOf, escapeLike, isDuplicateKey, offset, type Counted, type Db, type Paging } from './db.ts';

const SHOP_COLUMNS = ['id', 'name', 'slug', 'url', 'description', 'contract_status', 'status', 'commission_rate', 'follower_count', 'created_at', 'updated_at'];

/** The columns of a ShopRow, qualified with a table alias for joins. */
export function shopColumns(alias: string): string[] {
  return SHOP_COLUMNS.map((c) => `${alias}.${c}`);
}

/** Shoppers see shops whose contract is active (open or closed). */
export const PUBLIC_CONTRACT_STATUS = 'active';

export interface ShopFilter { contractStatus?: ShopRow['contract_status']; status?: ShopRow['status']; q?: string }

export interface ShopInput {
  name?: string;
  slug?: string;
  url?: string | null;
  description?: string | null;
  contractStatus?: ShopRow['contract_status'];
  status?: ShopRow['status'];
  commissionRate?: string;
}

function toColumns(input: ShopInput): Record<string, unknown> {
  const cols: Record<string, unknown> = {};
  if (input.name !== undefined) cols.name = input.name;
  if (input.slug !== undefined) cols.slug = input.slug;
  if (input.url !== undefined) cols.url = input.url;
  if (input.description !== undefined) cols.description = input.description;
  if (input.contractStatus !== undefined) cols.contract_status = input.contractStatus;
  if (input.status !== undefined) cols.status = input.status;
  if (input.commissionRate !== undefined) cols.commission_rate = input.commissionRate;
  return cols;
}

export async function getShop(db: Db, id: number): Promise<ShopRow | undefined> {
  return db('shops').where({ id }).first(SHOP_COLUMNS);
}

export async function getPublicShop(db: Db, id: number): Promise<ShopRow | undefined> {
  return db('shops').where({ id, contract_status: PUBLIC_CONTRACT_STATUS }).first(SHOP_COLUMNS);
}

export async function listShops(db: Db, filter: ShopFilter, paging: Paging): Promise<Counted<ShopRow>> {
  const base = db('shops');
  if (filter.contractStatus) base.where('contract_status', filter.contractStatus);
  if (filter.status) base.where('status', filter.status);
  if (filter.q) {
    const like = `%${escapeLike(filter.q)}%`;
    base.where((w) => w.where('name', 'like', like).orWhere('slug', 'like', like));
  }
  const [rows, total] = await Promise.all([
    base.clone().select(SHOP_COLUMNS).orderBy('id', 'asc').limit(paging.size).offset(offset(paging)),
    countOf(base),
  ]);
  return { rows, total };
}

export async function createShop(db: Db, input: ShopInput & { name: string; slug: string }): Promise<ShopRow> {
  try {
    const [id] = await db('shops').insert(toColumns(input));
    return (await getShop(db, Number(id)))!;
  } catch (err) {
    if (isDuplicateKey(err)) throw new AppError('CONFLICT', `A shop with slug '${input.slug}' already exists`);
    throw err;
  }
}

/** Applies a partial update; undefined when the shop does not exist. */
export async function updateShop(db: Db, id: number, input: ShopInput): Promise<ShopRow | undefined> {
  const cols = toColumns(input);
  if (Object.keys(cols).length > 0) {
    try {
      await db('shops').where({ id }).update(cols);
    } catch (err) {
      if (isDuplicateKey(err)) throw new AppError('CONFLICT', `A shop with slug '${input.slug}' already exists`);
      throw err;
    }
  }
  return getShop(db, id);
}
