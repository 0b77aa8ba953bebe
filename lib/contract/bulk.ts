import { AppError } from '../errors.ts';
import type { FieldError } from './error.ts';

/**
 * The bulk upload contract (admin POST /admin/api/products/bulk and the product service's bulk calls): the item
 * and result shapes and the pure rules that decide the answer before and after the upsert — one error per bad
 * field (duplicates, then unknown references, in item order) and the created/updated/unchanged outcome. Both
 * legacy's upsert and the product service's import these; each side runs its own SQL.
 */
export { MAX_BULK_ITEMS } from './schemas/admin-api.ts';

export interface BulkItem {
  shopId: number;
  externalId: string;
  name: string;
  description?: string | null;
  price: string;
  salePrice?: string | null;
  currency?: string;
  categoryId?: number | null;
  status?: 'active' | 'sold_out';
  attributes?: Record<string, unknown>;
  images?: string[];
}

export type BulkOutcome = 'created' | 'updated' | 'unchanged';
export interface BulkResult {
  created: number;
  updated: number;
  unchanged: number;
  items: { index: number; id: number; shopId: number; externalId: string; result: BulkOutcome }[];
}

/** The identity of an item: shop + external id. */
export const bulkKey = (shopId: number, externalId: string) => `${shopId}\u0000${externalId}`;

/** Pure: an error for every item repeating an earlier item's (shopId, externalId). */
export function duplicateKeyErrors(items: Pick<BulkItem, 'shopId' | 'externalId'>[], prefix = 'items'): FieldError[] {
  const seen = new Map<string, number>();
  const errors: FieldError[] = [];
  items.forEach((it, index) => {
    const k = bulkKey(it.shopId, it.externalId);
    const first = seen.get(k);
    if (first !== undefined) errors.push({ field: `${prefix}.${index}.externalId`, message: `duplicates ${prefix}.${first} (same shopId and externalId)` });
    else seen.set(k, index);
  });
  return errors;
}

/** Pure: does the stored image list (ordered) equal the sent one? */
export function sameImages(stored: string[], sent: string[]): boolean {
  return stored.length === sent.length && stored.every((u, i) => u === sent[i]);
}

/** Pure: outcome per item from versions before and after the upsert. */
export function classify(before: Map<string, { version: number }>, after: Map<string, { version: number }>, k: string): BulkOutcome {
  const prev = before.get(k);
  const now = after.get(k);
  if (prev === undefined) return 'created';
  return now !== undefined && now.version > prev.version ? 'updated' : 'unchanged';
}

/**
 * Pure: an error for every item naming a shop or category not among the known
 * ids (shop first, then category, in item order). Where the ids come from is
 * the caller's business: legacy's tables here, the services behind the seam.
 */
export function referenceErrorsFrom(items: Pick<BulkItem, 'shopId' | 'categoryId'>[], shops: Set<number>, categories: Set<number>, prefix = 'items'): FieldError[] {
  const errors: FieldError[] = [];
  items.forEach((it, index) => {
    if (!shops.has(it.shopId)) errors.push({ field: `${prefix}.${index}.shopId`, message: `unknown shop ${it.shopId}` });
    if (it.categoryId != null && !categories.has(it.categoryId)) errors.push({ field: `${prefix}.${index}.categoryId`, message: `unknown category ${it.categoryId}` });
  });
  return errors;
}

/** Pure: the one error of a bulk call refused before anything is written (duplicates, then unknown references), or undefined. */
export function bulkErrors(items: BulkItem[], shops: Set<number>, categories: Set<number>, prefix = 'items'): AppError | undefined {
  const errors = [...duplicateKeyErrors(items, prefix), ...referenceErrorsFrom(items, shops, categories, prefix)];
  return errors.length > 0 ? new AppError('VALIDATION_FAILED', `${errors.length} item field(s) failed validation; nothing was written`, { details: errors }) : undefined;
}

