import { AppError, isAppError } from '../../lib/errors.ts';
import * as models from '../models/product-bulk.ts';
import type { Knex } from '../models/db.ts';
import { bulkItemToWire, bulkResultFromWire, renameItemFields, type WireBulkInput, type WireBulkResult } from './bulk-wire.ts';
import { viaService } from './context.ts';

/**
 * legacy/models/product-bulk.ts behind the seam: while the product service
 * owns products the crawler upload is one `bulkUpsertItems` call, which keeps
 * legacy's contract (all or nothing; unknown shops checked with the shop
 * owner, categories in the product tables; one upsert in one transaction, so
 * new products get legacy's ids). Its refusals come back as legacy's errors,
 * with the field names under the caller's prefix.
 */
export * from '../models/product-bulk.ts';

type BulkApi = { product: { bulkUpsertItems(ctx: undefined, items: WireBulkInput[]): Promise<WireBulkResult> } };

export async function bulkUpsertProducts(knex: Knex, items: models.BulkItem[], fieldPrefix = 'items'): Promise<models.BulkResult> {
  const api = viaService(knex, 'product') as unknown as BulkApi | undefined;
  if (!api) return models.bulkUpsertProducts(knex, items, fieldPrefix);
  let answer: WireBulkResult;
  try {
    answer = await api.product.bulkUpsertItems(undefined, items.map(bulkItemToWire));
  } catch (err) {
    if (!isAppError(err) || err.details === undefined) throw err;
    throw new AppError(err.code, err.message, { status: err.status, details: renameItemFields(err.details, fieldPrefix), cause: err });
  }
  return bulkResultFromWire(items, answer);
}
