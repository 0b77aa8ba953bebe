import { AppError } from '../../lib/errors.ts';
import { transact, type Knex } from '../../lib/db.ts';
import { recordProductChanges, type ProductEventKind } from '../../lib/events/outbox.ts';
import type { LiveDb } from '../common/live-db.ts';
import { isDuplicateKey, isForeignKeyViolation } from '../common/sql.ts';
import { checkSalePrice, productColumns, type ProductFields } from './logic.ts';

/**
 * Content writes to products (admin and merchant edits): each in one
 * transaction that bumps `version` and `updated_at` (as legacy does) and
 * records a product event in the outbox (lib/events) for the search indexer.
 */
export class ProductWriter {
  readonly db: LiveDb;
  constructor(db: LiveDb) {
    this.db = db;
  }

  private async changed(trx: Knex.Transaction, ids: number[], kind: ProductEventKind): Promise<void> {
    const versions = await trx('products').whereIn('id', ids).select('id', 'version');
    await recordProductChanges(trx, versions.map((v) => ({ productId: Number(v.id), version: Number(v.version), kind })));
  }

  private static mapWriteError(err: unknown): never {
    if (isDuplicateKey(err)) throw new AppError('CONFLICT', 'This shop already has a product with that externalId');
    if (isForeignKeyViolation(err)) throw new AppError('VALIDATION_FAILED', undefined, { details: [{ field: 'body.categoryId', message: 'unknown category' }] });
    throw err;
  }

  private static async replaceImages(trx: Knex.Transaction, productId: number, urls: string[]): Promise<void> {
    await trx('product_images').where({ product_id: productId }).delete();
    if (urls.length > 0) await trx('product_images').insert(urls.map((url, position) => ({ product_id: productId, url, position })));
  }

  async create(shopId: number, f: ProductFields & { externalId: string; name: string; price: string }): Promise<number> {
    checkSalePrice(f.price, f.salePrice);
    return transact(this.db.current(), async (trx) => {
      let id = 0;
      try {
        [id] = await trx('products').insert({ shop_id: shopId, ...productColumns(f) });
      } catch (err) {
        ProductWriter.mapWriteError(err);
      }
      if (f.images) await ProductWriter.replaceImages(trx, Number(id), f.images);
      await this.changed(trx, [Number(id)], 'created');
      return Number(id);
    });
  }

  /** Partial update; false when there is no such product (in that shop, when `shopId` is given). */
  async update(id: number, f: ProductFields, opts: { shopId?: number } = {}): Promise<boolean> {
    return transact(this.db.current(), async (trx) => {
      const q = trx('products').where({ id }).forUpdate().first('id', 'price', 'sale_price');
      if (opts.shopId !== undefined) q.andWhere('shop_id', opts.shopId);
      const current = await q;
      if (!current) return false;
      checkSalePrice(f.price ?? current.price, f.salePrice === undefined ? current.sale_price : f.salePrice);
      try {
        await trx('products').where({ id }).update({ ...productColumns(f), ...bump(trx) });
      } catch (err) {
        ProductWriter.mapWriteError(err);
      }
      if (f.images) await ProductWriter.replaceImages(trx, id, f.images);
      await this.changed(trx, [id], 'updated');
      return true;
    });
  }

  async hide(id: number): Promise<boolean> {
    return transact(this.db.current(), async (trx) => {
      const n = await trx('products').where({ id }).update({ status: 'hidden', ...bump(trx) });
      if (Number(n) === 0) return false;
      await this.changed(trx, [id], 'hidden');
      return true;
    });
  }

  /**
   * Deletes a product and its images. Before the split its likes go with it
   * (FK cascade in the shared DB). After it, the 'deleted' event recorded
   * here is what removes them: the relay also puts it on the user service's
   * queue and that service's likes cleanup worker (services/user/
   * likes-cleanup.ts) deletes the likes in whichever database holds them.
   * Until it has run, like lists leave the product out (the product service
   * no longer returns it).
   */
  async delete(id: number): Promise<boolean> {
    return transact(this.db.current(), async (trx) => {
      const row = await trx('products').where({ id }).forUpdate().first('version');
      if (!row) return false;
      await trx('products').where({ id }).delete();
      // the event carries a version above the last one, so no older event can resurrect the document
      await recordProductChanges(trx, [{ productId: id, version: Number(row.version) + 1, kind: 'deleted' }]);
      return true;
    });
  }
}

/** version + 1 and updated_at now, as every content write does (legacy's bump, copied: the service owns its writes). */
function bump(db: Knex | Knex.Transaction): Record<string, Knex.Raw> {
  return { version: db.raw('version + 1'), updated_at: db.raw('CURRENT_TIMESTAMP(6)') };
}
