import { AppError } from '../../lib/errors.ts';
import { transact, type Knex } from '../../lib/db.ts';
import { recordProductChanges } from '../../lib/events/outbox.ts';
import type { FieldError } from '../../legacy/contract/error.ts';
import { bulkErrors, classify, duplicateKeyErrors, referenceErrorsFrom, sameImages, type BulkItem, type BulkResult } from '../../legacy/models/product-bulk.ts';
import type { LiveDb } from '../kit/live-db.ts';
import type { ShopDirectory } from '../kit/ports.ts';

/**
 * Crawler bulk upload on the product service, with the legacy contract
 * (all-or-nothing validation, one multi-row upsert keyed by shop + external
 * id, version/updated_at moved only by real changes, hidden stays hidden,
 * images replaced only when the sent list differs). What differs from the
 * monolith is where references are checked: shops through the shop service
 * (one batch call), categories in the product service's own table. The pure
 * rules (duplicate keys, image comparison, classification) are legacy's.
 */
const key = (shopId: number, externalId: string) => `${shopId}\u0000${externalId}`;

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

type Versions = Map<string, { id: number; version: number }>;

function toRow(it: BulkItem) {
  return {
    shop_id: it.shopId, external_id: it.externalId, name: it.name, description: it.description ?? null, price: it.price,
    sale_price: it.salePrice ?? null, currency: it.currency ?? 'KRW', category_id: it.categoryId ?? null, status: it.status ?? 'active',
    attributes: JSON.stringify(it.attributes ?? {}),
  };
}

async function versionsByKey(trx: Knex.Transaction, keys: [number, string][], lock: boolean): Promise<Versions> {
  const q = trx('products').whereIn(['shop_id', 'external_id'], keys).select('id', 'shop_id', 'external_id', 'version');
  if (lock) q.forUpdate();
  const rows = (await q) as { id: number; shop_id: number; external_id: string; version: number }[];
  return new Map(rows.map((r) => [key(Number(r.shop_id), r.external_id), { id: Number(r.id), version: Number(r.version) }]));
}

async function replaceChangedImages(trx: Knex.Transaction, items: BulkItem[], before: Versions, after: Versions): Promise<void> {
  const withImages = items.filter((i) => i.images !== undefined).map((i) => ({ k: key(i.shopId, i.externalId), images: i.images! }));
  if (withImages.length === 0) return;
  const ids = withImages.map((i) => after.get(i.k)!.id);
  const stored = new Map<number, string[]>();
  const rows = (await trx('product_images').whereIn('product_id', ids).orderBy(['product_id', 'position', 'id']).select('product_id', 'url')) as { product_id: number; url: string }[];
  for (const r of rows) stored.set(Number(r.product_id), [...(stored.get(Number(r.product_id)) ?? []), r.url]);
  const changed = withImages.filter((i) => !sameImages(stored.get(after.get(i.k)!.id) ?? [], i.images));
  if (changed.length === 0) return;
  await trx('product_images').whereIn('product_id', changed.map((i) => after.get(i.k)!.id)).delete();
  const inserts = changed.flatMap((i) => i.images.map((url, position) => ({ product_id: after.get(i.k)!.id, url, position })));
  if (inserts.length > 0) await trx('product_images').insert(inserts);
  const bump = changed.filter((i) => before.has(i.k) && classify(before, after, i.k) === 'unchanged');
  if (bump.length === 0) return;
  await trx('products').whereIn('id', bump.map((i) => after.get(i.k)!.id)).update({ version: trx.raw('version + 1'), updated_at: trx.raw('CURRENT_TIMESTAMP(6)') });
  for (const i of bump) {
    const a = after.get(i.k)!;
    after.set(i.k, { id: a.id, version: a.version + 1 });
  }
}

export class BulkUploader {
  readonly db: LiveDb;
  readonly shops: ShopDirectory;
  constructor(db: LiveDb, shops: ShopDirectory) {
    this.db = db;
    this.shops = shops;
  }

  /** The items' shop ids the shop service knows and category ids in the product tables. */
  private async references(items: BulkItem[]): Promise<[Set<number>, Set<number>]> {
    const known = new Set((await this.shops.getMany([...new Set(items.map((i) => i.shopId))])).map((s) => Number(s.id)));
    const catIds = [...new Set(items.flatMap((i) => (i.categoryId == null ? [] : [i.categoryId])))];
    const cats = new Set(catIds.length ? (await this.db.current()('categories').whereIn('id', catIds).select('id')).map((r: { id: number }) => Number(r.id)) : []);
    return [known, cats];
  }

  /** One upsert of already checked items in one transaction (run again if InnoDB picks it as a deadlock victim). */
  async write(items: BulkItem[]): Promise<BulkResult> {
    return transact(this.db.current(), async (trx) => {
      const keys = items.map((i) => [i.shopId, i.externalId] as [number, string]);
      const before = await versionsByKey(trx, keys, true);
      const insert = trx('products').insert(items.map(toRow)).toSQL().toNative();
      await trx.raw(`${insert.sql} ON DUPLICATE KEY UPDATE ${ON_DUPLICATE}`, insert.bindings as Knex.RawBinding[]);
      const after = await versionsByKey(trx, keys, false);
      await replaceChangedImages(trx, items, before, after);
      const result: BulkResult = { created: 0, updated: 0, unchanged: 0, items: [] };
      items.forEach((it, index) => {
        const k = key(it.shopId, it.externalId);
        const outcome = classify(before, after, k);
        result[outcome] += 1;
        result.items.push({ index, id: after.get(k)!.id, shopId: it.shopId, externalId: it.externalId, result: outcome });
      });
      const changed = result.items.filter((i) => i.result !== 'unchanged');
      // one event per changed product, with its new version, in the upsert's transaction
      await recordProductChanges(trx, changed.map((i) => {
        const v = after.get(key(i.shopId, i.externalId))!;
        return { productId: v.id, version: v.version, kind: i.result === 'created' ? 'created' as const : 'updated' as const };
      }));
      return result;
    });
  }

  /** What legacy refuses before writing: duplicate keys, unknown shops and categories (`<prefix>.<index>.<field>`). */
  async problems(items: BulkItem[], fieldPrefix = 'items'): Promise<FieldError[]> {
    return [...duplicateKeyErrors(items, fieldPrefix), ...referenceErrorsFrom(items, ...(await this.references(items)), fieldPrefix)];
  }

  /** Legacy's contract: all or nothing. `fieldPrefix` names the items in error details (the HTTP edge passes 'body.items'). */
  async upsert(items: BulkItem[], fieldPrefix = 'items'): Promise<BulkResult> {
    const invalid = bulkErrors(items, ...(await this.references(items)), fieldPrefix);
    if (invalid) throw invalid;
    return this.write(items);
  }
}
