import { AppError, isAppError } from '../../lib/errors.ts';
import * as models from '../models/product-bulk.ts';
import type { Knex } from '../models/db.ts';
import { bulkItemToWire, reindexDetails, runResultFromWire, shopRuns, totals, type ShopRun, type WireBulkInput, type WireBulkResult } from './bulk-wire.ts';
import { viaService } from './context.ts';

/**
 * legacy/models/product-bulk.ts behind the seam: while the product service
 * owns products the crawler upload goes to its `bulkUpsert`, one call per run
 * of consecutive items of one shop (see shopRuns), with the same answer.
 *
 * Legacy's contract is all-or-nothing; the service's call is per shop. So
 * everything legacy refuses before writing (duplicate keys, unknown shops,
 * unknown categories) is checked here first, against the owners of shops
 * (shop service or legacy's table, per the registry) and categories (the
 * product service), and refused with legacy's exact error before any call.
 * What can still differ: a failure after some runs were written (service
 * down, a shop closed meanwhile) leaves those runs written, and the error
 * says so. Uploads are full crawled states, so repeating the call converges.
 */
export * from '../models/product-bulk.ts';

type BulkApi = {
  product: {
    bulkUpsert(ctx: undefined, shopId: string, items: WireBulkInput[]): Promise<WireBulkResult>;
    listCategories(ctx: undefined): Promise<{ id: number }[]>;
  };
  shop: { getMany(ctx: undefined, ids: string[]): Promise<{ id: string }[]> };
};

const SHOP_BATCH = 500;

async function knownShops(knex: Knex, ids: number[]): Promise<Set<number>> {
  const api = viaService(knex, 'shop') as unknown as BulkApi | undefined;
  if (!api) return new Set((await knex('shops').whereIn('id', ids).select('id')).map((r: { id: number }) => Number(r.id)));
  const found = new Set<number>();
  for (let i = 0; i < ids.length; i += SHOP_BATCH) {
    for (const s of await api.shop.getMany(undefined, ids.slice(i, i + SHOP_BATCH).map(String))) found.add(Number(s.id));
  }
  return found;
}

const earlierWritten = (run: ShopRun) => (run.start > 0 ? `; items 0..${run.start - 1} (other shops) were already written` : '');

/** The error of a run the service refused, its fields renamed to the whole request; says what earlier runs already wrote. */
function runFailed(err: unknown, run: ShopRun, prefix: string): unknown {
  if (!isAppError(err)) return err;
  return new AppError(err.code, `${err.message}${earlierWritten(run)}`, { status: err.status, details: reindexDetails(err.details, run, prefix), cause: err });
}

export async function bulkUpsertProducts(knex: Knex, items: models.BulkItem[], fieldPrefix = 'items'): Promise<models.BulkResult> {
  const api = viaService(knex, 'product') as unknown as BulkApi | undefined;
  if (!api) return models.bulkUpsertProducts(knex, items, fieldPrefix);
  const [shops, categories] = await Promise.all([
    knownShops(knex, [...new Set(items.map((i) => i.shopId))]),
    items.some((i) => i.categoryId != null) ? api.product.listCategories(undefined).then((cs) => new Set(cs.map((c) => Number(c.id)))) : new Set<number>(),
  ]);
  const invalid = models.bulkErrors(items, shops, categories, fieldPrefix);
  if (invalid) throw invalid;
  const done: models.BulkResult['items'] = [];
  for (const run of shopRuns(items)) {
    let answer: WireBulkResult;
    try {
      answer = await api.product.bulkUpsert(undefined, String(run.shopId), run.items.map(bulkItemToWire));
    } catch (err) {
      throw runFailed(err, run, fieldPrefix);
    }
    const out = runResultFromWire(run, answer, fieldPrefix);
    done.push(...out.items);
    if (out.failures.length > 0) {
      const rest = `; the other items of ${run.start}..${run.start + run.items.length - 1} were written${earlierWritten(run)}`;
      throw new AppError(out.errorCode ?? 'VALIDATION_FAILED', `${out.failures.length} item(s) refused by the product service${rest}`, { details: out.failures });
    }
  }
  return totals(done);
}
