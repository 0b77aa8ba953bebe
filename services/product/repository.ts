import { transact, type Knex } from '../../lib/db.ts';
import { recordProductChanges } from '../../lib/events/outbox.ts';
import type { ProductImageRow, ProductRow } from '../../lib/contract/rows.ts';
import type { LiveDb } from '../common/live-db.ts';
import { countOf, escapeLike, offsetOf, type Counted, type Paging } from '../common/sql.ts';
import { SORTS, type ProductSort, type PublicFilter, type StatusChange } from './logic.ts';

/**
 * The product service's tables: products, product_images, categories. No
 * join to shops: shop names come from the shop service (one batch call).
 */
export const PRODUCT_COLUMNS = ['id', 'shop_id', 'category_id', 'external_id', 'name', 'description', 'price', 'sale_price', 'currency',
  'status', 'attributes', 'like_count', 'view_count', 'popularity_score', 'version', 'discount_rate', 'created_at', 'updated_at'];

/** A list row without the shop name (the caller adds it from the shop service). */
export interface ProductListRowOwn {
  id: number;
  shop_id: number;
  category_id: number | null;
  name: string;
  price: string;
  sale_price: string | null;
  discount_rate: string;
  currency: string;
  status: ProductRow['status'];
  like_count: number;
  image_url: string | null;
  created_at: string;
}

export interface ProductWithImages { row: ProductRow; images: ProductImageRow[] }

function listColumns(k: Knex): (string | Knex.Raw)[] {
  return ['p.id', 'p.shop_id', 'p.category_id', 'p.name', 'p.price', 'p.sale_price', 'p.discount_rate', 'p.currency', 'p.status',
    'p.like_count', 'p.created_at',
    k.raw('(SELECT i.url FROM product_images i WHERE i.product_id = p.id ORDER BY i.position, i.id LIMIT 1) AS image_url')];
}

export class ProductRepository {
  readonly db: LiveDb;
  constructor(db: LiveDb) {
    this.db = db;
  }

  private get k(): Knex {
    return this.db.current();
  }

  private async pageOf(base: Knex.QueryBuilder, sort: ProductSort, paging: Paging): Promise<Counted<ProductListRowOwn>> {
    const q = base.clone().select(listColumns(this.k));
    for (const [col, dir] of SORTS[sort]) q.orderBy(`p.${col}`, dir);
    const [rows, total] = await Promise.all([q.limit(paging.size).offset(offsetOf(paging)), countOf(base)]);
    return { rows, total };
  }

  /** Listed (active) products with filters, sorted and paged. */
  async listPublic(filter: PublicFilter, sort: ProductSort, paging: Paging): Promise<Counted<ProductListRowOwn>> {
    const base = this.k('products as p').where('p.status', 'active');
    if (filter.shopId !== undefined) base.where('p.shop_id', filter.shopId);
    if (filter.categoryId !== undefined) base.where('p.category_id', filter.categoryId);
    if (filter.minPrice !== undefined) base.where('p.price', '>=', filter.minPrice);
    if (filter.maxPrice !== undefined) base.where('p.price', '<=', filter.maxPrice);
    // legacy's search (GET /api/search): listed products whose name contains q
    if (filter.q) base.where('p.name', 'like', `%${escapeLike(filter.q)}%`);
    return this.pageOf(base, sort, paging);
  }

  /** One shop's catalogue in any status, newest first (merchant/admin views). */
  async listByShop(shopId: number, filter: { status?: ProductRow['status']; q?: string }, paging: Paging): Promise<Counted<ProductListRowOwn>> {
    const base = this.k('products as p').where('p.shop_id', shopId);
    if (filter.status) base.where('p.status', filter.status);
    if (filter.q) base.where('p.name', 'like', `%${escapeLike(filter.q)}%`);
    return this.pageOf(base, 'newest', paging);
  }

  async get(id: number): Promise<ProductWithImages | undefined> {
    const row = (await this.k('products').where({ id }).first(PRODUCT_COLUMNS)) as ProductRow | undefined;
    if (!row) return undefined;
    const images = await this.k('product_images').where({ product_id: id }).orderBy([{ column: 'position' }, { column: 'id' }]).select('id', 'url', 'position');
    return { row, images };
  }

  /** Rows for ids (any status), in id order, with their images when asked. */
  async getMany(ids: number[], withImages: boolean): Promise<ProductWithImages[]> {
    if (ids.length === 0) return [];
    const rows = (await this.k('products').whereIn('id', ids).select(PRODUCT_COLUMNS).orderBy('id')) as ProductRow[];
    const byProduct = new Map<number, ProductImageRow[]>();
    if (withImages && rows.length > 0) {
      const imgs = await this.k('product_images').whereIn('product_id', rows.map((r) => r.id))
        .orderBy([{ column: 'product_id' }, { column: 'position' }, { column: 'id' }]).select('id', 'product_id', 'url', 'position');
      for (const i of imgs) {
        const list = byProduct.get(Number(i.product_id)) ?? [];
        list.push(i);
        byProduct.set(Number(i.product_id), list);
      }
    }
    return rows.map((row) => ({ row, images: byProduct.get(Number(row.id)) ?? [] }));
  }

  async previewHideByShop(shopId: number): Promise<StatusChange[]> {
    const rows = await this.k('products').where({ shop_id: shopId }).whereNot('status', 'hidden').select('id', 'status').orderBy('id');
    return rows.map((r) => ({ id: Number(r.id), fromStatus: r.status, toStatus: 'hidden' as const }));
  }

  /** Hides every product of the shop that is not hidden yet, in one transaction; returns what changed. */
  async hideByShop(shopId: number): Promise<StatusChange[]> {
    return transact(this.k, async (trx) => {
      const rows = await trx('products').where({ shop_id: shopId }).whereNot('status', 'hidden').forUpdate().select('id', 'status').orderBy('id');
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.id);
      await trx('products').whereIn('id', ids).update({ status: 'hidden', version: trx.raw('version + 1') });
      await this.outbox(trx, ids, 'hidden', { shopId });
      return rows.map((r) => ({ id: Number(r.id), fromStatus: r.status, toStatus: 'hidden' as const }));
    });
  }

  /**
   * Undoes status changes: a product goes back to `fromStatus` only if it
   * still has `toStatus` (someone else's later change wins). Idempotent.
   */
  async restoreStatuses(changes: StatusChange[]): Promise<StatusChange[]> {
    if (changes.length === 0) return [];
    return transact(this.k, async (trx) => {
      const restored: StatusChange[] = [];
      for (const c of changes) {
        const n = await trx('products').where({ id: c.id, status: c.toStatus }).update({ status: c.fromStatus, version: trx.raw('version + 1') });
        if (Number(n) > 0) restored.push({ id: c.id, fromStatus: c.toStatus, toStatus: c.fromStatus });
      }
      await this.outbox(trx, restored.filter((r) => r.toStatus !== 'hidden').map((r) => r.id), 'shown', {});
      await this.outbox(trx, restored.filter((r) => r.toStatus === 'hidden').map((r) => r.id), 'hidden', {});
      return restored;
    });
  }

  /** Product events in the same transaction as the change (lib/events outbox), with each product's new version. */
  private async outbox(trx: Knex.Transaction, ids: number[], kind: 'hidden' | 'shown', meta: Record<string, unknown>): Promise<void> {
    if (ids.length === 0) return;
    const versions = await trx('products').whereIn('id', ids).select('id', 'version');
    await recordProductChanges(trx, versions.map((v) => ({ productId: Number(v.id), version: Number(v.version), kind, meta })));
  }

  /** Counter changes (likes from the user service, views from the edge); updated_at and version untouched, as legacy does. */
  async applyCounters(deltas: { productId: number; likeDelta?: number; viewDelta?: number }[]): Promise<void> {
    for (const d of deltas) {
      const cols: Record<string, Knex.Raw> = {};
      if (d.likeDelta) cols.like_count = this.k.raw('IF(CAST(like_count AS SIGNED) + ? > 0, CAST(like_count AS SIGNED) + ?, 0)', [d.likeDelta, d.likeDelta]);
      if (d.viewDelta) cols.view_count = this.k.raw('IF(CAST(view_count AS SIGNED) + ? > 0, CAST(view_count AS SIGNED) + ?, 0)', [d.viewDelta, d.viewDelta]);
      if (Object.keys(cols).length === 0) continue;
      await this.k('products').where({ id: d.productId }).update({ ...cols, updated_at: this.k.raw('updated_at') });
    }
  }

  /** Products with a popularity score above 0 and an id above `afterId`, ascending; `limit + 1` rows so the caller knows whether more follow. */
  async scoresAfter(afterId: number, limit: number): Promise<{ id: number; score: number }[]> {
    const rows = await this.k('products').where('id', '>', afterId).andWhere('popularity_score', '>', 0)
      .orderBy('id').limit(limit + 1).select('id', 'popularity_score');
    return rows.map((r: { id: number; popularity_score: number }) => ({ id: Number(r.id), score: Number(r.popularity_score) }));
  }

  /** Every product id (any status) above `afterId`, ascending; `limit + 1` of them (see scoresAfter). */
  async idsAfter(afterId: number, limit: number): Promise<number[]> {
    return (await this.k('products').where('id', '>', afterId).orderBy('id').limit(limit + 1).select('id')).map((r: { id: number }) => Number(r.id));
  }

  /**
   * Sets popularity scores (the ranking job). A ranking is not an edit: version and updated_at stay (`updated_at =
   * updated_at` defeats ON UPDATE CURRENT_TIMESTAMP), as legacy's job writes them. Unknown ids are ignored. Products
   * whose score really changed get a `stats` event at their current (unchanged) version in the same transaction:
   * search documents carry the score and sort by it, the indexer's version guard accepts an equal version, so the
   * index follows the ranking without a reindex. Returns how many scores changed.
   */
  async setScores(scores: Map<number, number>): Promise<number> {
    if (scores.size === 0) return 0;
    return transact(this.k, async (trx) => {
      const current = (await trx('products').whereIn('id', [...scores.keys()]).orderBy('id').forUpdate().select('id', 'popularity_score', 'version')) as
        { id: number; popularity_score: number; version: number }[];
      const changed = current.filter((r) => Number(r.popularity_score) !== scores.get(Number(r.id)));
      for (let i = 0; i < changed.length; i += 500) {
        const c = changed.slice(i, i + 500).map((r) => [Number(r.id), scores.get(Number(r.id))!] as const);
        await trx.raw(`UPDATE products SET popularity_score = CASE id ${c.map(() => 'WHEN ? THEN ?').join(' ')} END, updated_at = updated_at WHERE id IN (${c.map(() => '?').join(',')})`,
          [...c.flat(), ...c.map(([id]) => id)]);
      }
      await recordProductChanges(trx, changed.map((r) => ({ productId: Number(r.id), version: Number(r.version), kind: 'stats' as const })));
      return changed.length;
    });
  }

  async categories(): Promise<{ id: number; parent_id: number | null; name: string; slug: string }[]> {
    return this.k('categories').select('id', 'parent_id', 'name', 'slug').orderBy('id');
  }

  async statsByShop(shopIds: number[]): Promise<{ shop_id: number; active: number; total: number; likes: number; views: number }[]> {
    if (shopIds.length === 0) return [];
    return this.k('products').whereIn('shop_id', shopIds).groupBy('shop_id')
      .select('shop_id', this.k.raw("SUM(status = 'active') AS active"), this.k.raw('COUNT(*) AS total'),
        this.k.raw('SUM(like_count) AS likes'), this.k.raw('SUM(view_count) AS views'));
  }
}
