import type { FieldError } from '../../lib/contract/error.ts';
import type { BulkItem, BulkOutcome, BulkResult } from '../models/product-bulk.ts';

/**
 * Pure mapping between legacy's crawler bulk upload (legacy/models/product-bulk.ts,
 * the contract of POST /admin/products/bulk) and the product service's
 * `bulkUpsertItems(ctx, list<ProductInput>) -> BulkUpsertResult`
 * (thrift/product.thrift), which keeps legacy's contract: all or nothing,
 * items across shops, one transaction.
 *
 * An item is the full crawled state: an absent optional means what it means
 * in legacy (description/salePrice/category NULL, attributes {}, currency KRW,
 * status active). `imageUrls` absent keeps the stored images; [] removes them.
 */
export interface WireBulkInput {
  shopId: string; categoryId?: number; externalId: string; name: string; description?: string; price: string; salePrice?: string;
  currency?: string; status?: string; attributesJson?: string; imageUrls?: string[];
}

export interface WireBulkItemResult { externalId: string; outcome: string; id?: string | null; errorCode?: string | null; errorMessage?: string | null }
export interface WireBulkResult { created: number; updated: number; unchanged: number; failed?: number | null; items: WireBulkItemResult[] }

const OUTCOMES: readonly string[] = ['created', 'updated', 'unchanged'] satisfies BulkOutcome[];

export function bulkItemToWire(it: BulkItem): WireBulkInput {
  return {
    shopId: String(it.shopId), categoryId: it.categoryId ?? undefined, externalId: it.externalId, name: it.name, description: it.description ?? undefined,
    price: it.price, salePrice: it.salePrice ?? undefined, currency: it.currency, status: it.status,
    attributesJson: it.attributes === undefined ? undefined : JSON.stringify(it.attributes), imageUrls: it.images,
  };
}

/**
 * The service's answer → legacy's result. An answer that does not line up
 * with the request (count, external ids, outcomes, ids) is a protocol error,
 * never guessed at.
 */
export function bulkResultFromWire(sent: BulkItem[], res: WireBulkResult): BulkResult {
  if (!Array.isArray(res?.items) || res.items.length !== sent.length) throw new Error(`bulkUpsertItems answered ${res?.items?.length} items for ${sent.length}`);
  const out: BulkResult = { created: 0, updated: 0, unchanged: 0, items: [] };
  res.items.forEach((r, index) => {
    const it = sent[index]!;
    if (r.externalId !== it.externalId) throw new Error(`bulkUpsertItems item ${index} is ${r.externalId}, sent ${it.externalId}`);
    if (!OUTCOMES.includes(r.outcome) || r.id == null) throw new Error(`bulkUpsertItems item ${index}: outcome ${r.outcome}, id ${r.id}`);
    const result = r.outcome as BulkOutcome;
    out[result] += 1;
    out.items.push({ index, id: Number(r.id), shopId: it.shopId, externalId: it.externalId, result });
  });
  return out;
}

const ITEM_REF = /(^|[\s(])items(?=\.\d)/g;

/**
 * Field errors the service names `items.<i>…` renamed to the caller's prefix
 * (`body.items.<i>…`), in the field and where a message points at another
 * item ("duplicates items.0").
 */
export function renameItemFields(details: unknown, prefix: string): unknown {
  if (!Array.isArray(details)) return details;
  return details.map((d: FieldError) => {
    if (typeof d?.field !== 'string' || !/^items(\.|$)/.test(d.field)) return d;
    const message = typeof d.message === 'string' ? d.message.replace(ITEM_REF, `$1${prefix}`) : d.message;
    return { ...d, field: prefix + d.field.slice('items'.length), message };
  });
}
