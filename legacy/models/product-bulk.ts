import { existingCategoryIds } from './categories.ts';
import type { Knex } from './db.ts';
import { productsChanged } from './product-writes.ts';
import { transact } from '../../lib/db.ts';
import { bulkErrors, bulkKey as key, classify, sameImages, type BulkItem, type BulkResult } from '../../lib/contract/bulk.ts';

/**
 * Crawler upload: up to 1,000 products per call, keyed by (shopId, externalId).
 * Every item is validated first (shape at the HTTP edge, references here); any
 * bad item rejects the whole call with one error per bad field. Then one
 * multi-row INSERT ... ON DUPLICATE KEY UPDATE runs in a transaction.
 *
 * An item is the full crawled state: omitted optional fields are written as
 * NULL / {} / 'KRW'. `status` is 'active' or 'sold_out'; a product an admin
 * hid stays hidden. `version` (and `updated_at`) move only when content
 * really changed, including the image list when `images` is sent.
 */
export {
  MAX_BULK_ITEMS, bulkErrors, classify, duplicateKeyErrors, referenceErrorsFrom, sameImages, type BulkItem, type BulkOutcome, type BulkResult,
} from '../../lib/contract/bulk.ts';

/** The items' shop and category ids that exist in legacy's tables. */
async function knownReferences(knex: Knex, items: BulkItem[]): Promise<[Set<number>, Set<number>]> {
  const shopIds = [...new Set(items.map((i) => i.shopId))];
  const shops = new Set((await knex('shops').whereIn('id', shopIds).select('id')).map((r: { id: number }) => Number(r.id)));
  const cats = await existingCategoryIds(knex, items.flatMap((i) => (i.categoryId == null ? [] : [i.categoryId])));
  return [shops, cats];
}

const TEXT_COLS = ['name', 'description', 'currency', 'attributes'];
const OTHER_COLS = ['price', 'sale_price', 'category_id'];
const STATUS_EXPR = "IF(status = 'hidden', status, VALUES(status))";
const UNCHANGED = [
  ...TEXT_COLS.map((c) => `BINARY ${c} <=> BINARY VALUES(${c})`),
  ...OTHER_COLS.map((c) => `${c} <=> VALUES(${c})`),
  `status <=> ${STATUS_EXPR}`,
].join(' AND ');
// Assignments run left to right: version and updated_at compare against the old values first.
const ON_DUPLICATE = [
  `version = IF(${UNCHANGED}, version, version + 1)`,
  `updated_at = IF(${UNCHANGED}, updated_at, CURRENT_TIMESTAMP(6))`,
  ...[...TEXT_COLS, ...OTHER_COLS].map((c) => `${c} = VALUES(${c})`),
  `status = ${STATUS_EXPR}`,
].join(', ');

function toRow(it: BulkItem) {
  return {
    shop_id: it.shopId,
    external_id: it.externalId,
    name: it.name,
    description: it.description ?? null,
    price: it.price,
    sale_price: it.salePrice ?? null,
    currency: it.currency ?? 'KRW',
    category_id: it.categoryId ?? null,
    status: it.status ?? 'active',
    attributes: JSON.stringify(it.attributes ?? {}),
  };
}

async function versionsByKey(trx: Knex.Transaction, keys: [number, string][], lock: boolean): Promise<Map<string, { id: number; version: number }>> {
  const q = trx('products').whereIn(['shop_id', 'external_id'], keys).select('id', 'shop_id', 'external_id', 'version');
  if (lock) q.forUpdate();
  const rows = (await q) as { id: number; shop_id: number; external_id: string; version: number }[];
  return new Map(rows.map((r) => [key(Number(r.shop_id), r.external_id), { id: Number(r.id), version: Number(r.version) }]));
}

type Versions = Map<string, { id: number; version: number }>;

async function storedImages(trx: Knex.Transaction, productIds: number[]): Promise<Map<number, string[]>> {
  const stored = new Map<number, string[]>();
  if (productIds.length === 0) return stored;
  const rows = (await trx('product_images').whereIn('product_id', productIds).orderBy(['product_id', 'position', 'id'])
    .select('product_id', 'url')) as { product_id: number; url: string }[];
  for (const r of rows) {
    const list = stored.get(Number(r.product_id)) ?? [];
    list.push(r.url);
    stored.set(Number(r.product_id), list);
  }
  return stored;
}

/**
 * Replaces the images of items that sent a different list. An existing
 * product whose row the upsert left unchanged still gets one version bump
 * (recorded in `after`, so it is reported as updated).
 */
async function replaceChangedImages(trx: Knex.Transaction, items: BulkItem[], before: Versions, after: Versions): Promise<void> {
  const withImages = items.filter((i) => i.images !== undefined).map((i) => ({ k: key(i.shopId, i.externalId), images: i.images! }));
  const stored = await storedImages(trx, withImages.map((i) => after.get(i.k)!.id));
  const changed = withImages.filter((i) => !sameImages(stored.get(after.get(i.k)!.id) ?? [], i.images));
  if (changed.length === 0) return;
  await trx('product_images').whereIn('product_id', changed.map((i) => after.get(i.k)!.id)).delete();
  const rows = changed.flatMap((i) => i.images.map((url, position) => ({ product_id: after.get(i.k)!.id, url, position })));
  if (rows.length > 0) await trx('product_images').insert(rows);
  const bump = changed.filter((i) => before.has(i.k) && classify(before, after, i.k) === 'unchanged');
  if (bump.length === 0) return;
  await trx('products').whereIn('id', bump.map((i) => after.get(i.k)!.id))
    .update({ version: trx.raw('version + 1'), updated_at: trx.raw('CURRENT_TIMESTAMP(6)') });
  for (const i of bump) {
    const a = after.get(i.k)!;
    after.set(i.k, { id: a.id, version: a.version + 1 });
  }
}

/** A product the upsert created or changed, with its version after the upsert. */
export interface BulkChange { id: number; version: number; result: 'created' | 'updated' }

/**
 * The upsert of already checked items, in one transaction (run again if
 * InnoDB picks it as a deadlock victim): one multi-row INSERT … ON DUPLICATE
 * KEY UPDATE, changed images replaced, outcomes in request order. Events go
 * out through `recordEvents` in the same transaction — the caller decides how
 * (legacy by id, the product service with exact versions and kinds).
 */
export async function writeBulk(knex: Knex, items: BulkItem[], recordEvents: (trx: Knex.Transaction, changed: BulkChange[]) => Promise<void>): Promise<BulkResult> {
  return transact(knex, async (trx) => {
    const keys = items.map((i) => [i.shopId, i.externalId] as [number, string]);
    const before = await versionsByKey(trx, keys, true);
    const insert = trx('products').insert(items.map(toRow)).toSQL().toNative();
    await trx.raw(`${insert.sql} ON DUPLICATE KEY UPDATE ${ON_DUPLICATE}`, insert.bindings as Knex.RawBinding[]);
    const after = await versionsByKey(trx, keys, false);

    await replaceChangedImages(trx, items, before, after);

    const result: BulkResult = { created: 0, updated: 0, unchanged: 0, items: [] };
    const changed: BulkChange[] = [];
    items.forEach((it, index) => {
      const v = after.get(key(it.shopId, it.externalId))!;
      const outcome = classify(before, after, key(it.shopId, it.externalId));
      result[outcome] += 1;
      result.items.push({ index, id: v.id, shopId: it.shopId, externalId: it.externalId, result: outcome });
      if (outcome !== 'unchanged') changed.push({ id: v.id, version: v.version, result: outcome });
    });
    await recordEvents(trx, changed);
    return result;
  });
}

/** `fieldPrefix` names the items in error details (the HTTP edge passes 'body.items'). */
export async function bulkUpsertProducts(knex: Knex, items: BulkItem[], fieldPrefix = 'items'): Promise<BulkResult> {
  const invalid = bulkErrors(items, ...(await knownReferences(knex, items)), fieldPrefix);
  if (invalid) throw invalid;
  return writeBulk(knex, items, (trx, changed) => productsChanged(trx, changed.map((c) => c.id), 'updated'));
}
