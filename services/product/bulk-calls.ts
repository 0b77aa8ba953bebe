/**
 * The Thrift side of the crawler upload (thrift/product.thrift bulkUpsert and
 * bulkUpsertItems) over the same BulkUploader the HTTP edge uses. Wire items
 * are checked with legacy's own bulk schema (lib/contract/schemas/admin-api.ts), so
 * a Thrift caller gets exactly the refusals an HTTP client gets.
 *
 * - bulkUpsertItems: legacy's contract (all or nothing, items across shops,
 *   one transaction): what legacy's POST /admin/products/bulk does, so the
 *   seam can hand a whole upload over in one call.
 * - bulkUpsert(shopId, items): the IDL's per-item contract for one shop: items
 *   with problems come back `failed` with their first error, the rest are
 *   written in one upsert.
 */
import { AppError } from '../../lib/errors.ts';
import type { FieldError } from '../../lib/contract/error.ts';
import { bulkBody, bulkItem } from '../../lib/contract/schemas/admin-api.ts';
import { fieldErrors } from '../../lib/contract/error.ts';
import { MAX_BULK_ITEMS, type BulkItem, type BulkResult } from '../../lib/contract/bulk.ts';
import type { BulkUploader } from './bulk.ts';

export interface WireBulkItem {
  shopId?: string | null; categoryId?: number | null; externalId?: string | null; name?: string | null; description?: string | null;
  price?: string | null; salePrice?: string | null; currency?: string | null; status?: string | null; attributesJson?: string | null; imageUrls?: string[] | null;
}

export interface WireBulkResult {
  created: number; updated: number; unchanged: number; failed: number;
  items: { externalId: string; outcome: string; id?: string; errorCode?: string; errorMessage?: string }[];
}

/** A wire item as the JSON an HTTP client would have sent (absent/null fields left out; ids as numbers). */
export function bulkJsonOf(w: WireBulkItem, shopId?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const sid = shopId ?? w.shopId;
  if (sid != null) out.shopId = /^\d{1,15}$/.test(sid) ? Number(sid) : sid;
  const copy = ['externalId', 'name', 'description', 'price', 'salePrice', 'currency', 'categoryId', 'status'] as const;
  for (const k of copy) if (w[k] != null) out[k] = w[k];
  if (w.attributesJson != null) {
    // text that is not JSON stays text, and the schema refuses it like a string sent over HTTP
    try { out.attributes = JSON.parse(w.attributesJson); } catch { out.attributes = w.attributesJson; }
  }
  if (w.imageUrls != null) out.images = w.imageUrls;
  return out;
}

function toWire(r: BulkResult, failed: Map<number, FieldError>, externalIds: string[]): WireBulkResult {
  const written = new Map(r.items.map((i) => [i.index, i]));
  const out: WireBulkResult = { created: r.created, updated: r.updated, unchanged: r.unchanged, failed: failed.size, items: [] };
  externalIds.forEach((externalId, index) => {
    const f = failed.get(index);
    if (f) out.items.push({ externalId, outcome: 'failed', errorCode: 'VALIDATION_FAILED', errorMessage: `${f.field}: ${f.message}` });
    else {
      const w = written.get(index)!;
      out.items.push({ externalId, outcome: w.result, id: String(w.id) });
    }
  });
  return out;
}

function checkCount(items: unknown): asserts items is WireBulkItem[] {
  if (!Array.isArray(items) || items.length < 1 || items.length > MAX_BULK_ITEMS) throw new AppError('VALIDATION_FAILED', `items: 1..${MAX_BULK_ITEMS} per call`);
}

/** Legacy's all-or-nothing upload across shops. Errors name `items.<index>.<field>`. */
export async function bulkUpsertItems(bulk: BulkUploader, items: WireBulkItem[]): Promise<WireBulkResult> {
  checkCount(items);
  const r = bulkBody.safeParse({ items: items.map((w) => bulkJsonOf(w)) });
  if (!r.success) throw new AppError('VALIDATION_FAILED', undefined, { details: fieldErrors(r.error.issues, 'body').map((e) => ({ ...e, field: e.field.replace(/^body\./, '') })) });
  const result = await bulk.upsert(r.data.items as BulkItem[], 'items');
  return toWire(result, new Map(), r.data.items.map((i) => i.externalId));
}

/** The per-item call for one shop: bad items come back failed, the others are written together. */
export async function bulkUpsertForShop(bulk: BulkUploader, shopId: string, items: WireBulkItem[]): Promise<WireBulkResult> {
  checkCount(items);
  const failed = new Map<number, FieldError>();
  const parsed = new Map<number, BulkItem>();
  items.forEach((w, index) => {
    const r = bulkItem.safeParse(bulkJsonOf(w, shopId));
    if (r.success) parsed.set(index, r.data as BulkItem);
    else failed.set(index, fieldErrors(r.error.issues, 'body').map((e) => ({ ...e, field: e.field.replace(/^body/, `items.${index}`) }))[0]!);
  });
  const candidates = [...parsed.entries()];
  for (const e of await bulk.problems(candidates.map(([, it]) => it), 'items')) {
    const m = /^items\.(\d+)/.exec(e.field);
    if (!m) continue;
    const index = candidates[Number(m[1])]![0];
    if (!failed.has(index)) failed.set(index, { ...e, field: e.field.replace(/^items\.\d+/, `items.${index}`) });
  }
  const good = candidates.filter(([index]) => !failed.has(index));
  const written = good.length > 0 ? await bulk.write(good.map(([, it]) => it)) : { created: 0, updated: 0, unchanged: 0, items: [] };
  const reindexed: BulkResult = { ...written, items: written.items.map((i) => ({ ...i, index: good[i.index]![0] })) };
  return toWire(reindexed, failed, items.map((w) => w.externalId ?? ''));
}
