import type { Knex } from '../../../lib/db.ts';
import { execChecked, toolTransaction } from './context.ts';
import { SplitError } from './errors.ts';
import { ENUM_ERROR_SQL_MODE, EXACT_SQL_MODE, exactBinding, exactPlaceholder, familyOf, isEnumErrorValue } from './exact.ts';
import type { Faults } from './faults.ts';
import type { Link } from './link.ts';
import { changelogTable, columnList, consumeSql, pkList, q, qq, selectList, type TableShape } from './sql.ts';

/**
 * Applies captured changes idempotently. A changelog row only names a primary
 * key; the applier re-reads that row's *current* state on the source and makes
 * the target equal to it (REPLACE when present, DELETE when gone). Replaying a
 * batch is therefore harmless, the order of changes does not matter, and a
 * PK-changing UPDATE (logged as old key + new key) becomes delete + upsert.
 *
 * Changelog rows are consumed by deleting exactly the sequence numbers read
 * (never a range): a transaction that took a lower sequence number but commits
 * later is still there for the next batch (no auto-increment gap loss).
 * Same server: target writes and the changelog delete commit in ONE
 * transaction. Different servers: target commit first, then the delete; a
 * crash in between replays the batch, which is idempotent.
 */
export interface ApplyResult {
  changes: number;
  rows: number;
  /** Primary keys made current on the target, per table. */
  keys: Map<string, Set<string>>;
}

/**
 * While a table is still being copied, changes to keys inside its not-yet-copied
 * range are consumed without being applied: the copier will read those rows
 * later, with their current values (Spirit's low-watermark optimisation).
 */
export type SkipKey = (table: string, pk: string) => boolean;

export async function applyBatch(link: Link, limit: number, faults: Faults, skip?: SkipKey): Promise<ApplyResult> {
  const cl = changelogTable(link.service);
  const [rows] = await link.from.knex.raw(`SELECT seq, tbl, pk FROM ${qq(link.from.db, cl)} ORDER BY seq LIMIT ${Math.max(1, Math.floor(limit))}`);
  const batch = rows as Array<{ seq: string; tbl: string; pk: string }>;
  if (!batch.length) return { changes: 0, rows: 0, keys: new Map() };
  const byTable = new Map<string, Set<string>>();
  for (const r of batch) {
    if (!link.shapes.has(r.tbl)) continue; // not ours (should not happen): consumed and ignored
    if (skip?.(r.tbl, String(r.pk))) continue;
    let s = byTable.get(r.tbl);
    if (!s) byTable.set(r.tbl, (s = new Set()));
    s.add(String(r.pk));
  }
  const consume = consumeSql(link.from.db, cl, batch.map((r) => String(r.seq)));
  let touched = 0;
  if (!byTable.size) {
    await link.from.knex.raw(consume);
    return { changes: batch.length, rows: 0, keys: byTable };
  }
  if (link.sql) {
    await toolTransaction(link.from.knex, async (tx) => {
      for (const [t, pks] of byTable) touched += await applySameServer(tx, link, link.shapes.get(t)!, [...pks]);
      faults.hit('mid-apply');
      await tx.raw(consume);
    });
  } else {
    const current = new Map<string, Array<Record<string, unknown>>>();
    for (const [t, pks] of byTable) {
      const shape = link.shapes.get(t)!;
      const [found] = await link.from.knex.raw(`SELECT ${selectList(shape)} FROM ${qq(link.from.db, t)} WHERE ${q(shape.pk)} IN (${pkList(pks)})`);
      current.set(t, found as Array<Record<string, unknown>>);
    }
    await toolTransaction(link.to.knex, async (tx) => {
      for (const [t, pks] of byTable) touched += await applyRows(tx, link.to.db, link.shapes.get(t)!, [...pks], current.get(t)!);
    });
    faults.hit('mid-apply');
    await link.from.knex.raw(consume);
  }
  faults.hit('after-apply');
  return { changes: batch.length, rows: touched, keys: byTable };
}

async function applySameServer(tx: Knex.Transaction, link: Link, shape: TableShape, pks: string[]): Promise<number> {
  const list = pkList(pks);
  const pk = q(shape.pk);
  // consistent (non-locking) reads only: a long transaction holding a row must not stall the applier
  const [present] = await tx.raw(`SELECT ${pk} AS k FROM ${qq(link.from.db, shape.name)} WHERE ${pk} IN (${list})`);
  const have = new Set((present as Array<{ k: string }>).map((r) => String(r.k)));
  const gone = pks.filter((p) => !have.has(p));
  let n = 0;
  if (have.size) {
    n += (await execChecked(tx,
      `REPLACE INTO ${qq(link.to.db, shape.name)} (${columnList(shape)}) SELECT ${columnList(shape)} FROM ${qq(link.from.db, shape.name)} WHERE ${pk} IN (${pkList(have)})`)).affectedRows;
  }
  // a row deleted after the read above is still in the changelog under a newer sequence number
  if (gone.length) n += (await execChecked(tx, `DELETE FROM ${qq(link.to.db, shape.name)} WHERE ${pk} IN (${pkList(gone)})`)).affectedRows;
  return n;
}

/** Makes `pks` on the target equal to `rows` (the source's current rows for those keys). */
export async function applyRows(tx: Knex.Transaction, db: string, shape: TableShape, pks: string[], rows: Array<Record<string, unknown>>): Promise<number> {
  let n = 0;
  const present = new Set(rows.map((r) => String(r[shape.pk])));
  const gone = pks.filter((p) => !present.has(p));
  if (gone.length) n += (await execChecked(tx, `DELETE FROM ${qq(db, shape.name)} WHERE ${q(shape.pk)} IN (${pkList(gone)})`)).affectedRows;
  if (rows.length) n += await replaceRows(tx, db, shape, rows);
  return n;
}

const ROWS_PER_STATEMENT = 500;
/** A statement's bound values stay under this many bytes (max_allowed_packet is 16 MiB by default; bytes travel as hex). */
export const MAX_STATEMENT_VALUE_BYTES = 4 << 20;

/**
 * Multi-row REPLACE of rows read with the exact select list (sql.ts
 * `selectList`): every value is bound in its exact write form (exact.ts), so
 * the target stores the source's bytes. A row holding an ENUM's '' error
 * value (index 0) cannot be written without the server's "Data truncated"
 * warning: such rows go one per statement, and exactly the expected warnings
 * (one per such ENUM column) are accepted; any other warning is fatal.
 */
export async function replaceRows(tx: Knex.Transaction, db: string, shape: TableShape, rows: Array<Record<string, unknown>>): Promise<number> {
  const cols = shape.columns;
  const head = `REPLACE INTO ${qq(db, shape.name)} (${columnList(shape)}) VALUES `;
  const tuple = `(${cols.map(exactPlaceholder).join(',')})`;
  const enums = cols.filter((c) => familyOf(c) === 'enum');
  let n = 0;
  let part: unknown[][] = [];
  let bytes = 0;
  const flush = async () => {
    if (!part.length) return;
    n += (await execChecked(tx, head + part.map(() => tuple).join(','), part.flat())).affectedRows;
    part = [];
    bytes = 0;
  };
  for (const r of rows) {
    const values = cols.map((c) => exactBinding(c, r[c.name]));
    const errorEnums = enums.filter((c) => isEnumErrorValue(c, r[c.name])).map((c) => c.name);
    if (errorEnums.length) {
      n += await replaceEnumErrorRow(tx, head + tuple, values, errorEnums);
      continue;
    }
    const size = values.reduce<number>((a, v) => a + (v === null ? 4 : Buffer.isBuffer(v) ? 2 * v.length + 3 : String(v).length + 2), 0);
    if (part.length && (part.length >= ROWS_PER_STATEMENT || bytes + size > MAX_STATEMENT_VALUE_BYTES)) await flush();
    part.push(values);
    bytes += size;
  }
  await flush();
  return n;
}

async function replaceEnumErrorRow(tx: Knex.Transaction, sql: string, values: unknown[], columns: string[]): Promise<number> {
  await tx.raw(`SET SESSION sql_mode = '${ENUM_ERROR_SQL_MODE}'`);
  try {
    const [res] = await tx.raw(sql, values as Knex.RawBinding[]);
    const header = res as { affectedRows?: number; warningStatus?: number };
    if (header.warningStatus) {
      // read before anything else runs on this session: the next statement clears the list
      const [w] = await tx.raw('SHOW WARNINGS');
      const warnings = w as Array<{ Level: string; Code: number; Message: string }>;
      const expected = new Set(columns.map((c) => `Data truncated for column '${c}' at row 1`));
      const unexpected = warnings.filter((x) => !(x.Level === 'Warning' && Number(x.Code) === 1265 && expected.has(x.Message)));
      if (unexpected.length || warnings.length !== columns.length || header.warningStatus !== columns.length) {
        const text = warnings.slice(0, 5).map((x) => `${x.Level} ${x.Code}: ${x.Message}`).join(' | ');
        throw new SplitError('INSERT_WARNING', `write produced ${header.warningStatus} warning(s), treated as fatal: ${text || 'see SHOW WARNINGS'}`);
      }
    }
    return header.affectedRows ?? 0;
  } finally {
    await tx.raw(`SET SESSION sql_mode = '${EXACT_SQL_MODE}'`);
  }
}

/** Applies batches until the changelog is empty (or `maxMs` passed). Returns the number of changes applied. */
export async function drain(link: Link, limit: number, faults: Faults, opts: { maxMs?: number; signal?: AbortSignal; skip?: SkipKey; onBatch?: (r: ApplyResult) => Promise<void> | void } = {}): Promise<number> {
  const deadline = opts.maxMs === undefined ? Infinity : Date.now() + opts.maxMs;
  let total = 0;
  for (;;) {
    if (opts.signal?.aborted) return total;
    const r = await applyBatch(link, limit, faults, opts.skip);
    total += r.changes;
    if (r.changes) await opts.onBatch?.(r);
    if (r.changes < limit || Date.now() > deadline) return total;
  }
}
