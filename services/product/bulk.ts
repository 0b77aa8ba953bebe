import { AppError } from '../../lib/errors.ts';
import { recordProductChanges } from '../../lib/events/outbox.ts';
import type { FieldError } from '../../lib/contract/error.ts';
import { bulkErrors, duplicateKeyErrors, referenceErrorsFrom, type BulkItem, type BulkResult } from '../../lib/contract/bulk.ts';
import { writeBulk } from './bulk-upsert.ts';
import type { LiveDb } from '../common/live-db.ts';
import type { ShopDirectory } from '../../rpc/ports.ts';

/**
 * Crawler bulk upload on the product service, with the legacy contract
 * (all-or-nothing validation, one multi-row upsert keyed by shop + external
 * id, version/updated_at moved only by real changes, hidden stays hidden,
 * images replaced only when the sent list differs). What differs from the
 * monolith is where references are checked: shops through the shop service
 * (one batch call), categories in the product service's own table. The rules
 * (lib/contract/bulk.ts) and the upsert (bulk-upsert.ts, a copy of legacy's) are legacy's; the events carry exact
 * versions and created/updated kinds.
 */
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

  /** Legacy's upsert of already checked items, one event per changed product with its new version, in the same transaction. */
  async write(items: BulkItem[]): Promise<BulkResult> {
    return writeBulk(this.db.current(), items, (trx, changed) => recordProductChanges(trx, changed.map((c) => ({ productId: c.id, version: c.version, kind: c.result }))));
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
