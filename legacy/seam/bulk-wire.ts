import type { FieldError } from '../contract/error.ts';
import type { BulkItem, BulkOutcome, BulkResult } from '../models/product-bulk.ts';

/**
 * Pure mapping between legacy's crawler bulk upload (legacy/models/product-bulk.ts,
 * the contract of POST /admin/products/bulk) and the product service's
 * `bulkUpsert(ctx, shopId, list<ProductInput>) -> BulkUpsertResult`
 * (thrift/product.thrift). Both directions live here so the seam (to the
 * wire) and the product handler (from the wire) share one mapping.
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

/** The handler's side: one ProductInput of a bulkUpsert for `shopId` → legacy's BulkItem (null/absent both mean "not sent"). */
export function bulkItemFromWire(shopId: number, w: { [K in keyof WireBulkInput]?: WireBulkInput[K] | null }): BulkItem {
  return {
    shopId, externalId: w.externalId ?? '', name: w.name ?? '', description: w.description ?? null, price: w.price ?? '', salePrice: w.salePrice ?? null,
    currency: w.currency ?? undefined, categoryId: w.categoryId ?? null, status: (w.status ?? undefined) as BulkItem['status'],
    attributes: w.attributesJson == null ? undefined : JSON.parse(w.attributesJson) as Record<string, unknown>, images: w.imageUrls ?? undefined,
  };
}

/** The handler's side: legacy's result of one shop's batch → BulkUpsertResult (items in input order). */
export function bulkResultToWire(r: BulkResult): WireBulkResult {
  return {
    created: r.created, updated: r.updated, unchanged: r.unchanged, failed: 0,
    items: r.items.map((i) => ({ externalId: i.externalId, outcome: i.result, id: String(i.id) })),
  };
}

export interface ShopRun { start: number; shopId: number; items: BulkItem[] }

/**
 * Consecutive items of one shop, in request order: one bulkUpsert each. Not a
 * plain group-by: legacy inserts the whole request with one INSERT, so new
 * products get ids in request order; calls in request order keep that.
 * A crawler upload is normally one shop, so one call.
 */
export function shopRuns(items: BulkItem[]): ShopRun[] {
  const runs: ShopRun[] = [];
  items.forEach((it, index) => {
    const last = runs.at(-1);
    if (last && last.shopId === it.shopId) last.items.push(it);
    else runs.push({ start: index, shopId: it.shopId, items: [it] });
  });
  return runs;
}

export interface RunOutcome { items: BulkResult['items']; failures: FieldError[]; errorCode?: string }

/**
 * One run's BulkUpsertResult → legacy's result items, indexed in the whole
 * request; items the service reports failed become field errors
 * (`<prefix>.<index>`). An answer that does not line up with the run (count,
 * external ids, outcomes) is a protocol error, never guessed at.
 */
export function runResultFromWire(run: ShopRun, res: WireBulkResult, prefix: string): RunOutcome {
  if (!Array.isArray(res?.items) || res.items.length !== run.items.length) throw new Error(`bulkUpsert answered ${res?.items?.length} items for ${run.items.length}`);
  const out: RunOutcome = { items: [], failures: [] };
  res.items.forEach((r, k) => {
    const sent = run.items[k];
    const index = run.start + k;
    if (r.externalId !== sent.externalId) throw new Error(`bulkUpsert item ${k} is ${r.externalId}, sent ${sent.externalId}`);
    if (r.outcome === 'failed') {
      out.errorCode ??= r.errorCode ?? 'VALIDATION_FAILED';
      out.failures.push({ field: `${prefix}.${index}`, message: r.errorMessage ?? 'failed' });
      return;
    }
    if (!OUTCOMES.includes(r.outcome) || r.id == null) throw new Error(`bulkUpsert item ${k}: outcome ${r.outcome}, id ${r.id}`);
    out.items.push({ index, id: Number(r.id), shopId: run.shopId, externalId: sent.externalId, result: r.outcome as BulkOutcome });
  });
  return out;
}

/** Field errors a service reported for one run (`items.<k>…`) renamed to the whole request (`<prefix>.<start + k>…`). */
export function reindexDetails(details: unknown, run: ShopRun, prefix: string): unknown {
  if (!Array.isArray(details)) return details;
  return details.map((d: FieldError) => {
    const m = typeof d?.field === 'string' ? /^(?:body\.)?items\.(\d+)(.*)$/.exec(d.field) : null;
    return m ? { ...d, field: `${prefix}.${run.start + Number(m[1])}${m[2]}` } : d;
  });
}

/** Legacy's totals from the per-item outcomes. */
export function totals(items: BulkResult['items']): BulkResult {
  const r: BulkResult = { created: 0, updated: 0, unchanged: 0, items };
  for (const i of items) r[i.result] += 1;
  return r;
}
