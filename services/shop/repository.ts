import { AppError } from '../../lib/errors.ts';
import type { Knex } from '../../lib/db.ts';
import type { ShopRow, StaffRow } from '../../lib/contract/rows.ts';
import type { LiveDb } from '../common/live-db.ts';
import { countOf, escapeLike, isDuplicateKey, offsetOf, type Counted, type Paging } from '../common/sql.ts';
import type { ShopFilter, ShopPatch } from './logic.ts';

/** The shop service's tables: shops, merchants (and its saga_log). Nothing else. */
export const SHOP_COLUMNS = ['id', 'name', 'slug', 'url', 'description', 'contract_status', 'status', 'commission_rate', 'follower_count', 'created_at', 'updated_at'];
const MERCHANT_COLUMNS = ['id', 'email', 'name', 'shop_id', 'created_at'];

function toColumns(p: ShopPatch): Record<string, unknown> {
  const cols: Record<string, unknown> = {};
  if (p.name !== undefined) cols.name = p.name;
  if (p.slug !== undefined) cols.slug = p.slug;
  if (p.url !== undefined) cols.url = p.url;
  if (p.description !== undefined) cols.description = p.description;
  if (p.contractStatus !== undefined) cols.contract_status = p.contractStatus;
  if (p.status !== undefined) cols.status = p.status;
  if (p.commissionRate !== undefined) cols.commission_rate = p.commissionRate;
  return cols;
}

export class ShopRepository {
  readonly db: LiveDb;
  constructor(db: LiveDb) {
    this.db = db;
  }

  private get k(): Knex {
    return this.db.current();
  }

  async get(id: number): Promise<ShopRow | undefined> {
    return this.k('shops').where({ id }).first(SHOP_COLUMNS);
  }

  async getMany(ids: number[]): Promise<ShopRow[]> {
    if (ids.length === 0) return [];
    return this.k('shops').whereIn('id', ids).select(SHOP_COLUMNS).orderBy('id', 'asc');
  }

  /**
   * The shops list, on the shop tables' current database: the same query as legacy's listShops
   * (legacy/models/shops.ts) — a copy on purpose, the service owns its queries; byte-equal answers are checked
   * by the parity suite.
   */
  async list(filter: ShopFilter, paging: Paging): Promise<Counted<ShopRow>> {
    const base = this.k('shops');
    if (filter.contractStatus) base.where('contract_status', filter.contractStatus);
    if (filter.status) base.where('status', filter.status);
    if (filter.q) {
      const like = `%${escapeLike(filter.q)}%`;
      base.where((w) => w.where('name', 'like', like).orWhere('slug', 'like', like));
    }
    const [rows, total] = await Promise.all([
      base.clone().select(SHOP_COLUMNS).orderBy('id', 'asc').limit(paging.size).offset(offsetOf(paging)),
      countOf(base),
    ]);
    return { rows, total };
  }

  async create(p: ShopPatch & { name: string; slug: string }): Promise<ShopRow> {
    try {
      const [id] = await this.k('shops').insert(toColumns(p));
      return (await this.get(Number(id)))!;
    } catch (err) {
      if (isDuplicateKey(err)) throw new AppError('CONFLICT', `A shop with slug '${p.slug}' already exists`);
      throw err;
    }
  }

  /** Partial update; undefined when the shop does not exist. */
  async update(id: number, p: ShopPatch): Promise<ShopRow | undefined> {
    const cols = toColumns(p);
    if (Object.keys(cols).length > 0) {
      try {
        await this.k('shops').where({ id }).update(cols);
      } catch (err) {
        if (isDuplicateKey(err)) throw new AppError('CONFLICT', `A shop with slug '${p.slug}' already exists`);
        throw err;
      }
    }
    return this.get(id);
  }

  /** Sets status only when it is currently `from` (compare-and-set); true when it changed. */
  async setStatusIf(id: number, from: ShopRow['status'], to: ShopRow['status']): Promise<boolean> {
    const n = await this.k('shops').where({ id, status: from }).update({ status: to });
    return Number(n) > 0;
  }

  async getMerchant(id: number): Promise<StaffRow | undefined> {
    return this.k('merchants').where({ id }).first(MERCHANT_COLUMNS);
  }

  /** follower_count += delta, floored at 0; updated_at untouched (a counter is not an edit), as legacy does. */
  async adjustFollowers(id: number, delta: number): Promise<void> {
    if (delta === 0) return;
    const k = this.k;
    await k('shops').where({ id }).update({
      follower_count: k.raw('IF(CAST(follower_count AS SIGNED) + ? > 0, CAST(follower_count AS SIGNED) + ?, 0)', [delta, delta]),
      updated_at: k.raw('updated_at'),
    });
  }
}
