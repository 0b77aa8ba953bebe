/**
 * Transactional outbox for product events. A product change and its event
 * row commit in ONE transaction (the caller's), so an event exists exactly
 * when the change does; the relay (relay.ts) publishes rows to BullMQ after
 * commit and marks them published — at-least-once, nothing lost when the
 * process dies between commit and publish.
 *
 * Usage, inside the transaction that changes the product:
 *
 *   await knex.transaction(async (trx) => {
 *     await trx('products').where({ id }).update({ ..., version: trx.raw('version + 1') });
 *     const { version } = await trx('products').first('version').where({ id });
 *     await recordProductChanged(trx, { productId: id, version, kind: 'updated' });
 *   });
 */
import type { Knex } from 'knex';

export const OUTBOX_TABLE = 'event_outbox';
export const PRODUCT_CHANGED = 'product.changed';
export const PRODUCT_EVENT_KINDS = ['created', 'updated', 'deleted', 'hidden', 'shown', 'stats'] as const;
export type ProductEventKind = (typeof PRODUCT_EVENT_KINDS)[number];

export interface ProductChange {
  /** Product id (number, or the decimal string Thrift carries). */
  productId: number | string;
  /** The product's version AFTER the change (for a delete: the last version, or higher). */
  version: number | string;
  kind: ProductEventKind;
  /** Optional context for consumers (e.g. shopId); keep it small. */
  meta?: Record<string, unknown>;
}

export interface OutboxRow {
  id: number;
  topic: string;
  aggregate_id: number;
  version: number;
  kind: string;
  payload: string | null;
  created_at: string;
}

function dbNow(): string {
  return new Date().toISOString().replace('T', ' ').replace('Z', '');
}

function positiveInt(name: string, v: number | string): number {
  const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new Error(`recordProductChanged: ${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

/** Records one product change inside the caller's transaction. Call it for every change, after the product row is written. */
export async function recordProductChanged(trx: Knex | Knex.Transaction, change: ProductChange): Promise<void> {
  await recordProductChanges(trx, [change]);
}

/** Bulk form (admin bulk upload, shop-closing saga): one row per product. */
export async function recordProductChanges(trx: Knex | Knex.Transaction, changes: ProductChange[]): Promise<void> {
  if (changes.length === 0) return;
  const now = dbNow();
  const rows = changes.map((c) => {
    if (!(PRODUCT_EVENT_KINDS as readonly string[]).includes(c.kind)) throw new Error(`recordProductChanged: unknown kind ${JSON.stringify(c.kind)}`);
    return {
      topic: PRODUCT_CHANGED,
      aggregate_id: positiveInt('productId', c.productId),
      version: positiveInt('version', c.version),
      kind: c.kind,
      payload: c.meta ? JSON.stringify(c.meta) : null,
      created_at: now,
    };
  });
  for (let i = 0; i < rows.length; i += 1000) await trx(OUTBOX_TABLE).insert(rows.slice(i, i + 1000));
}

/**
 * For write paths that know ids but not versions (legacy/models
 * product-writes.ts `productsChanged`, product-bulk.ts): reads each product's
 * version inside the same transaction (so it sees the write) and records one
 * event per product. A 'deleted' event records version + 1 when the row is
 * still there, and version 0 when it is already gone — consumers treat
 * "the product service no longer has it" as authoritative, so a deletion
 * needs no exact version. Other kinds refuse ids without a row.
 */
export async function recordProductsChangedByIds(trx: Knex | Knex.Transaction, ids: Array<number | string>, kind: ProductEventKind, meta?: Record<string, unknown>): Promise<void> {
  const unique = [...new Set(ids.map((id) => positiveInt('productId', id)))];
  if (unique.length === 0) return;
  const versions = new Map<number, number>();
  for (let i = 0; i < unique.length; i += 1000) {
    const rows = await trx('products').whereIn('id', unique.slice(i, i + 1000)).select('id', 'version');
    for (const r of rows as Array<{ id: number | string; version: number | string }>) versions.set(Number(r.id), Number(r.version));
  }
  const missing = unique.filter((id) => !versions.has(id));
  if (missing.length && kind !== 'deleted') throw new Error(`recordProductsChangedByIds: no product row for id(s) ${missing.slice(0, 5).join(', ')}`);
  const version = (id: number) => (versions.has(id) ? versions.get(id)! + (kind === 'deleted' ? 1 : 0) : 0);
  await recordProductChanges(trx, unique.map((id) => ({ productId: id, version: version(id), kind, ...(meta ? { meta } : {}) })));
}

/** DDL shared by the legacy migration (030) and the product service's database. */
export async function createOutboxTable(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS ${OUTBOX_TABLE} (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      topic VARCHAR(64) NOT NULL,
      aggregate_id BIGINT UNSIGNED NOT NULL,
      version INT UNSIGNED NOT NULL,
      kind VARCHAR(20) NOT NULL,
      payload JSON NULL,
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      published_at DATETIME(6) NULL,
      PRIMARY KEY (id),
      KEY ix_event_outbox_unpublished (published_at, id),
      KEY ix_event_outbox_aggregate (aggregate_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
}

export async function dropOutboxTable(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS ${OUTBOX_TABLE}`);
}
