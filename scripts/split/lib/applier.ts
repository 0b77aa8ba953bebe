import type { Knex } from '../../../lib/db.ts';
import { execChecked, toolTransaction } from './context.ts';
import { ENUM_ERROR_SQL_MODE, EXACT_SQL_MODE, exactBinding, exactPlaceholder, familyOf, isEnumErrorValue } from './exact.ts';
import type { Faults } from './faults.ts';
import type { Link } from './link.ts';
import { isSplitError, SplitError } from './errors.ts';
import { describeKey, keyIn, keySelect } from './keys.ts';
import { maskSecretsInText } from '../../../lib/mask.ts';
import { changelogTable, columnList, consumeSql, poisonDdl, poisonTable, qq, selectList, type TableShape } from './sql.ts';

/**
 * Applies captured changes idempotently. A changelog row only names a key
 * (its key text, keys.ts); the applier re-reads the *current* rows of the
 * batch's keys on the source and makes the target equal to them: the target's
 * rows for those keys are deleted and the source's written, in one
 * transaction. Replaying a batch is therefore harmless, the order of changes
 * does not matter, and a key-changing UPDATE (logged as old key + new key) —
 * including 'abc' → 'ABC' in a case-insensitive collation, which the server
 * considers the same key — leaves the target holding the new bytes.
 *
 * Changelog rows are consumed by deleting exactly the sequence numbers read
 * (never a range): a transaction that took a lower sequence number but commits
 * later is still there for the next batch (no auto-increment gap loss).
 * Same server: target writes and the changelog delete commit in ONE
 * transaction. Different servers: target commit first, then the delete; a
 * crash in between replays the batch, which is idempotent.
 *
 * A poison row — one the target refuses (a value out of range in strict mode,
 * a warning, a constraint) — does not wedge the backlog: a failing batch is
 * retried key by key, the keys that still fail are parked in
 * `_split_<svc>_poison` with the server's error (shown by status) and retried
 * every DEFAULT_POISON_RETRY_MS; everything else flows on.
 */
export interface ApplyResult {
  changes: number;
  rows: number;
  /** Key texts made current on the target, per table. */
  keys: Map<string, Set<string>>;
  /** Keys parked as poison by this batch. */
  poisoned: number;
}

/**
 * While a table is still being copied, changes to keys inside its not-yet-copied
 * range are consumed without being applied: the copier will read those rows
 * later, with their current values (Spirit's low-watermark optimisation).
 * Returns the keys (of `keys`) to skip.
 */
export type SkipKeys = (table: string, keys: string[]) => Promise<Set<string>>;

export const DEFAULT_POISON_RETRY_MS = 2000;

/**
 * Server errors about a row's values — the only ones a row is parked for. Anything
 * else (connection, locks, a missing table, a privilege, a fence, a bug in a
 * statement) fails loudly instead of parking every key.
 */
const ROW_ERRNOS = new Set([
  1048, // column cannot be null
  1062, // duplicate entry (a unique key the source does not have)
  1264, // out of range (e.g. a VIRTUAL column computed under strict mode)
  1265, // data truncated
  1292, // incorrect date/time/number value
  1366, // incorrect string value
  1367, // illegal value
  1406, // data too long
  1411, // incorrect value for a function
  1690, // value out of range in an expression
  3140, 4038, // invalid JSON
  4025, // CHECK constraint failed
]);

export function isRowError(err: unknown): boolean {
  if (isSplitError(err)) return err.code === 'INSERT_WARNING';
  const errno = (err as { errno?: number }).errno;
  return typeof errno === 'number' && ROW_ERRNOS.has(errno);
}

/** The server's own message (knex's message repeats the whole statement, row values included). */
export function errorText(err: unknown): string {
  const e = err as { errno?: number; message?: string; sqlMessage?: string };
  return maskSecretsInText(`${e.errno ? `${e.errno}: ` : ''}${e.sqlMessage ?? e.message ?? String(err)}`).slice(0, 500);
}

/**
 * The batch's tables in the link's order (the manifest's, parents before
 * children), whatever order their changes came in. A batch is one target
 * transaction; written child first, it would hold a lock on the child while
 * it asks for the parent's metadata lock — which a re-add ALTER of the
 * parent holds exclusively at its commit, waiting for that very child lock
 * (deferred-indexes.ts READD_LOCK_WAIT_S). Pure.
 */
export function inTableOrder<T>(byTable: Map<string, T>, order: Iterable<string>): Map<string, T> {
  const out = new Map<string, T>();
  for (const t of order) if (byTable.has(t)) out.set(t, byTable.get(t)!);
  for (const [t, v] of byTable) if (!out.has(t)) out.set(t, v);
  return out;
}

export async function applyBatch(link: Link, limit: number, faults: Faults, skip?: SkipKeys): Promise<ApplyResult> {
  const cl = changelogTable(link.service);
  const [rows] = await link.from.knex.raw(`SELECT seq, tbl, pk FROM ${qq(link.from.db, cl)} ORDER BY seq LIMIT ${Math.max(1, Math.floor(limit))}`);
  const batch = rows as Array<{ seq: string; tbl: string; pk: string }>;
  if (!batch.length) return { changes: 0, rows: 0, keys: new Map(), poisoned: 0 };
  const seen = new Map<string, Set<string>>();
  for (const r of batch) {
    if (!link.shapes.has(r.tbl)) continue; // not ours (should not happen): consumed and ignored
    let s = seen.get(r.tbl);
    if (!s) seen.set(r.tbl, (s = new Set()));
    s.add(String(r.pk));
  }
  const byTable = inTableOrder(seen, link.shapes.keys());
  if (skip) {
    for (const [t, keys] of byTable) {
      const skipped = await skip(t, [...keys]);
      for (const k of skipped) keys.delete(k);
      if (!keys.size) byTable.delete(t);
    }
  }
  const consume = consumeSql(link.from.db, cl, batch.map((r) => String(r.seq)));
  let touched = 0;
  if (!byTable.size) {
    await link.from.knex.raw(consume);
    return { changes: batch.length, rows: 0, keys: byTable, poisoned: 0 };
  }
  try {
    if (link.sql) {
      await toolTransaction(link.from.knex, async (tx) => {
        for (const [t, keys] of byTable) touched += await applySameServer(tx, link, link.shapes.get(t)!, [...keys]);
        faults.hit('mid-apply');
        await tx.raw(consume);
      });
    } else {
      const current = new Map<string, Array<Record<string, unknown>>>();
      for (const [t, keys] of byTable) current.set(t, await readCurrent(link, link.shapes.get(t)!, [...keys]));
      await toolTransaction(link.to.knex, async (tx) => {
        for (const [t, keys] of byTable) touched += await applyRows(tx, link.to.db, link.shapes.get(t)!, [...keys], current.get(t)!);
      });
      faults.hit('mid-apply');
      await link.from.knex.raw(consume);
    }
  } catch (err) {
    if (!isRowError(err)) throw err;
    // one key (or a few) poisons the batch: apply key by key, park those that still fail
    const failed: Array<{ table: string; key: string; error: string }> = [];
    for (const [t, keys] of byTable) {
      for (const k of [...keys]) {
        try {
          touched += await applyKeys(link, link.shapes.get(t)!, [k]);
        } catch (e) {
          if (!isRowError(e)) throw e;
          failed.push({ table: t, key: k, error: errorText(e) });
          keys.delete(k);
        }
      }
    }
    if (failed.length) await link.from.knex.raw(poisonDdl(link.service));
    await toolTransaction(link.from.knex, async (tx) => {
      if (failed.length) await park(tx, link, failed);
      faults.hit('mid-apply');
      await tx.raw(consume);
    });
    faults.hit('after-apply');
    return { changes: batch.length, rows: touched, keys: byTable, poisoned: failed.length };
  }
  faults.hit('after-apply');
  return { changes: batch.length, rows: touched, keys: byTable, poisoned: 0 };
}

/** Current source rows of `keys`, each carrying its key text under KEY_ALIAS. */
async function readCurrent(link: Link, shape: TableShape, keys: string[]): Promise<Array<Record<string, unknown>>> {
  const [found] = await link.from.knex.raw(`SELECT ${keySelect(shape.key)}, ${selectList(shape)} FROM ${qq(link.from.db, shape.name)} WHERE ${keyIn(shape.key, keys)}`);
  return found as Array<Record<string, unknown>>;
}

/** Makes the target's rows of `keys` equal to the source's, in a transaction of its own. */
export async function applyKeys(link: Link, shape: TableShape, keys: string[]): Promise<number> {
  if (link.sql) return toolTransaction(link.from.knex, (tx) => applySameServer(tx, link, shape, keys));
  const rows = await readCurrent(link, shape, keys);
  return toolTransaction(link.to.knex, (tx) => applyRows(tx, link.to.db, shape, keys, rows));
}

async function applySameServer(tx: Knex.Transaction, link: Link, shape: TableShape, keys: string[]): Promise<number> {
  const inList = keyIn(shape.key, keys);
  // the target's rows of these keys (under the server's key equality) go; the source's current rows come.
  // The source read is a consistent (non-locking) read: a long transaction holding a row must not stall the
  // applier; a row changed after it is still in the changelog under a newer sequence number.
  await execChecked(tx, `DELETE FROM ${qq(link.to.db, shape.name)} WHERE ${inList}`);
  const r = await execChecked(tx, `REPLACE INTO ${qq(link.to.db, shape.name)} (${columnList(shape)}) SELECT ${columnList(shape)} FROM ${qq(link.from.db, shape.name)} WHERE ${inList}`);
  return r.records ?? r.affectedRows;
}

/** Makes `keys` on the target equal to `rows` (the source's current rows for those keys). */
export async function applyRows(tx: Knex.Transaction, db: string, shape: TableShape, keys: string[], rows: Array<Record<string, unknown>>): Promise<number> {
  await execChecked(tx, `DELETE FROM ${qq(db, shape.name)} WHERE ${keyIn(shape.key, keys)}`);
  if (rows.length) await replaceRows(tx, db, shape, rows);
  return rows.length;
}

/** Parks keys the target refuses (their own transaction); they are retried by retryPoison. */
export async function parkKeys(link: Link, failed: Array<{ table: string; key: string; error: string }>): Promise<void> {
  if (!failed.length) return;
  await link.from.knex.raw(poisonDdl(link.service));
  await toolTransaction(link.from.knex, (tx) => park(tx, link, failed));
}

async function park(tx: Knex.Transaction, link: Link, failed: Array<{ table: string; key: string; error: string }>): Promise<void> {
  for (const f of failed) {
    const shape = link.shapes.get(f.table);
    link.log?.warn({ direction: link.direction, table: f.table, key: shape ? describeKey(shape.key, f.key) : f.key, error: f.error }, 'row refused by the other side; parked as poison and retried');
    await tx.raw(
      `INSERT INTO ${qq(link.from.db, poisonTable(link.service))} (h, tbl, pk, error) VALUES (UNHEX(MD5(CONCAT(?, ':', ?))), ?, ?, ?)
       ON DUPLICATE KEY UPDATE error = VALUES(error), attempts = attempts + 1, last_seen = CURRENT_TIMESTAMP(6)`,
      [f.table, f.key, f.table, f.key, f.error]);
  }
}

export interface PoisonRow {
  table: string;
  key: string;
  error: string;
  attempts: number;
  firstSeen: string;
  lastSeen: string;
}

/** Parked poison rows on the `from` side of a direction (oldest first), and how many there are. */
export async function poisonRows(side: Link['from'], service: string, limit = 20): Promise<{ count: number; rows: PoisonRow[] }> {
  const [[exists]] = await side.knex.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [side.db, poisonTable(service)]);
  if (!Number(exists.n)) return { count: 0, rows: [] };
  const [[c]] = await side.knex.raw(`SELECT COUNT(*) AS n FROM ${qq(side.db, poisonTable(service))}`);
  const [rows] = await side.knex.raw(
    `SELECT tbl, pk, error, attempts, CAST(first_seen AS CHAR) AS f, CAST(last_seen AS CHAR) AS l FROM ${qq(side.db, poisonTable(service))} ORDER BY id LIMIT ${Math.max(1, Math.floor(limit))}`);
  return {
    count: Number(c.n),
    rows: (rows as Array<Record<string, string>>).map((r) => ({ table: r.tbl, key: r.pk, error: r.error, attempts: Number(r.attempts), firstSeen: r.f, lastSeen: r.l })),
  };
}

const lastPoisonRetry = new WeakMap<Link, number>();

/** Retries parked poison keys (at most `limit`); those that apply now leave the poison table. Returns how many did. */
export async function retryPoison(link: Link, limit: number, force = false): Promise<number> {
  const now = Date.now();
  if (!force && now - (lastPoisonRetry.get(link) ?? 0) < DEFAULT_POISON_RETRY_MS) return 0;
  lastPoisonRetry.set(link, now);
  const parked = await poisonRows(link.from, link.service, limit);
  let healed = 0;
  for (const p of parked.rows) {
    const shape = link.shapes.get(p.table);
    const where = `h = UNHEX(MD5(CONCAT(?, ':', ?)))`;
    try {
      if (shape) await applyKeys(link, shape, [p.key]);
      await link.from.knex.raw(`DELETE FROM ${qq(link.from.db, poisonTable(link.service))} WHERE ${where}`, [p.table, p.key]);
      healed++;
    } catch (err) {
      if (!isRowError(err)) throw err;
      await link.from.knex.raw(`UPDATE ${qq(link.from.db, poisonTable(link.service))} SET error = ?, attempts = attempts + 1, last_seen = CURRENT_TIMESTAMP(6) WHERE ${where}`,
        [errorText(err), p.table, p.key]);
    }
  }
  return healed;
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

/**
 * Applies batches until the changelog is empty (or `maxMs` passed). Returns the
 * number of changes applied (`onBatch` gets each batch and the performance.now() it started at). Parked poison keys are retried first (at most every
 * DEFAULT_POISON_RETRY_MS; always with `noPoison`). With `noPoison` (a final
 * catch-up before a flip) it fails while any key is parked.
 */
export async function drain(link: Link, limit: number, faults: Faults, opts: { maxMs?: number; signal?: AbortSignal; skip?: SkipKeys; onBatch?: (r: ApplyResult, startedAt: number) => Promise<void> | void; noPoison?: boolean } = {}): Promise<number> {
  const deadline = opts.maxMs === undefined ? Infinity : Date.now() + opts.maxMs;
  let total = 0;
  await retryPoison(link, limit, opts.noPoison);
  for (;;) {
    if (opts.signal?.aborted) return total;
    const startedAt = performance.now();
    const r = await applyBatch(link, limit, faults, opts.skip);
    total += r.changes;
    if (r.changes) await opts.onBatch?.(r, startedAt);
    if (r.changes < limit || Date.now() > deadline) break;
  }
  if (opts.noPoison) {
    const parked = await poisonRows(link.from, link.service, 3);
    if (parked.count) {
      const shown = parked.rows.map((p) => `${p.table} ${link.shapes.has(p.table) ? describeKey(link.shapes.get(p.table)!.key, p.key) : p.key}: ${p.error}`).join('; ');
      throw new SplitError('VERIFY_FAILED', `${parked.count} row(s) cannot be written to the other side (poison rows; see status): ${shown}`);
    }
  }
  return total;
}
