import type { Knex } from '../../../lib/db.ts';
import type { Logger } from '../../../lib/logger.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { SplitError } from './errors.ts';
import { NO_FAULTS, type Faults } from './faults.ts';
import { foreignKeys, tableInfo, type ForeignKey, type TableInfo } from './introspect.ts';
import type { ResolvedService } from './manifest.ts';
import { DEFAULT_OPTIONS, type SplitOptions } from './options.ts';
import { NO_PROGRESS, type ProgressSink } from './progress.ts';
import { openSide, sameServer, type Side } from './side.ts';
import { acquireTableLocks } from './table-locks.ts';
import { keyOf } from './keys.ts';
import type { TableShape } from './sql.ts';
import { StateStore } from './state.ts';

export interface SplitContext {
  service: ResolvedService;
  source: Side;
  target: Side;
  sameServer: boolean;
  opts: SplitOptions;
  log: Logger;
  faults: Faults;
  progress: ProgressSink;
  signal: AbortSignal;
  store: StateStore;
  redisUrl?: string;
  ownershipChannel?: string;
  actor: string;
  dryRun: boolean;
}

export interface ContextInput {
  service: ResolvedService;
  opts?: SplitOptions;
  log?: Logger;
  faults?: Faults;
  progress?: ProgressSink;
  signal?: AbortSignal;
  redisUrl?: string;
  ownershipChannel?: string;
  actor?: string;
  dryRun?: boolean;
}

export function openContext(input: ContextInput): SplitContext {
  // the stream copy holds one connection per loader on each side, plus the state saves and the applier
  // (and one chunk-bound probe ahead per key-range segment: inflight.ts ChunkLane)
  const o = input.opts ?? DEFAULT_OPTIONS;
  const pool = Math.max(4, o.copyLoaders + o.copyWorkers + 2);
  const source = openSide(input.service.sourceDsn, pool);
  const target = openSide(input.service.targetDsn, pool);
  return {
    service: input.service,
    source,
    target,
    sameServer: sameServer(input.service.sourceDsn, input.service.targetDsn),
    opts: input.opts ?? DEFAULT_OPTIONS,
    log: input.log ?? silentLogger(),
    faults: input.faults ?? NO_FAULTS,
    progress: input.progress ?? NO_PROGRESS,
    signal: input.signal ?? new AbortController().signal,
    store: new StateStore(source.knex, source.db),
    redisUrl: input.redisUrl,
    ownershipChannel: input.ownershipChannel,
    actor: input.actor ?? 'split-db',
    dryRun: input.dryRun ?? false,
  };
}

export async function closeContext(ctx: SplitContext): Promise<void> {
  await Promise.allSettled([ctx.source.knex.destroy(), ctx.target.knex.destroy()]);
}

export function useSqlCopy(ctx: SplitContext): boolean {
  if (ctx.opts.copyMode === 'stream') return false;
  if (ctx.opts.copyMode === 'sql' && !ctx.sameServer) throw new SplitError('BAD_OPTION', 'copyMode sql needs source and target on the same server');
  return ctx.sameServer;
}

/** Moved tables as seen on one side, with their FK lists. */
export interface Catalog {
  infos: Map<string, TableInfo>;
  shapes: Map<string, TableShape>;
  /** Tables that exist but have no usable key: why, and what to add (keys.ts keyOf). */
  refusals: Map<string, string>;
  fks: ForeignKey[];
}

export async function readCatalog(side: Side, tables: string[]): Promise<Catalog> {
  const infos = new Map<string, TableInfo>();
  for (const t of tables) infos.set(t, await tableInfo(side.knex, side.db, t));
  const shapes = new Map<string, TableShape>();
  const refusals = new Map<string, string>();
  for (const [t, i] of infos) {
    if (!i.exists) continue;
    const k = keyOf(i);
    if ('key' in k) shapes.set(t, { name: i.name, key: k.key, columns: i.columns });
    else refusals.set(t, k.refusal);
  }
  return { infos, shapes, refusals, fks: await foreignKeys(side.knex, side.db) };
}

/** Shapes the tool moves with: the source's copyable columns, which the target must match exactly. */
export async function movingShapes(ctx: SplitContext): Promise<Map<string, TableShape>> {
  const cat = await readCatalog(ctx.source, ctx.service.spec.tables);
  for (const t of ctx.service.spec.tables) {
    const why = cat.refusals.get(t);
    if (why) throw new SplitError('BLOCKED', why);
    if (!cat.shapes.has(t)) throw new SplitError('BLOCKED', `table ${t} does not exist on the source; run plan`);
  }
  return cat.shapes;
}

const sleepers = new Set<NodeJS.Timeout>();
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(() => {
      sleepers.delete(t);
      resolve();
    }, ms);
    sleepers.add(t);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

/** Runs a write statement and fails on any warning (INSERT IGNORE-style silent loss is data loss). */
export async function execChecked(conn: Knex.Transaction, sql: string, bindings: unknown[] = [], driverOptions?: Record<string, unknown>): Promise<{ affectedRows: number; records?: number }> {
  const raw = conn.raw(sql, bindings as Knex.RawBinding[]);
  // driver options per statement (the stream factory of a LOAD DATA LOCAL: load-data.ts)
  const [res] = await (driverOptions ? (raw as unknown as { options(o: Record<string, unknown>): typeof raw }).options(driverOptions) : raw);
  const header = res as { affectedRows?: number; warningStatus?: number; info?: string };
  if (header.warningStatus && header.warningStatus > 0) {
    const [w] = await conn.raw('SHOW WARNINGS LIMIT 5');
    const text = (w as Array<{ Level: string; Code: number; Message: string }>).map((x) => `${x.Level} ${x.Code}: ${x.Message}`).join(' | ');
    throw new SplitError('INSERT_WARNING', `write produced ${header.warningStatus} warning(s), treated as fatal: ${text || 'see SHOW WARNINGS'}`);
  }
  // INSERT/REPLACE … SELECT report the rows read as "Records: n" (affected rows count a replaced row twice)
  const rec = /Records:\s*(\d+)/.exec(header.info ?? '');
  return { affectedRows: header.affectedRows ?? 0, ...(rec ? { records: Number(rec[1]) } : {}) };
}

const RETRYABLE = new Set([1213, 1205]); // deadlock, lock wait timeout

/** A deadlock or a lock wait timeout: the transaction can be run again. */
export function isRetryable(err: unknown): boolean {
  const errno = (err as { errno?: number }).errno;
  return errno !== undefined && RETRYABLE.has(errno);
}

/**
 * A transaction whose session bypasses the tool's triggers and FK checks;
 * retried on deadlock. It runs at READ COMMITTED (`SET TRANSACTION ISOLATION
 * LEVEL` before its BEGIN), so an INSERT … SELECT does not lock source rows
 * even where the binlog is on, and no statement takes gap locks: a loader's
 * DELETE of its range never holds back another loader's inserts above it.
 * (The session setting alone reached only the connection's following
 * transactions: each pooled connection's first chunk ran at REPEATABLE READ.)
 */
export async function toolTransaction<T>(knex: Knex, fn: (tx: Knex.Transaction) => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await knex.transaction(async (tx) => {
        await tx.raw("SET @split_bypass = 1, foreign_key_checks = 0, SESSION tx_isolation = 'READ-COMMITTED'");
        return fn(tx);
      }, { isolationLevel: 'read committed' });
    } catch (err) {
      if (i < attempts && isRetryable(err)) {
        await sleep(20 * i);
        continue;
      }
      throw err;
    }
  }
}

/**
 * Named server locks: one per moved table of the source database plus one per
 * service (lib/table-locks.ts), so no two tool processes work on the same
 * table, whatever their service names.
 */
export async function acquireLock(ctx: SplitContext): Promise<() => Promise<void>> {
  return acquireTableLocks(ctx.service.sourceDsn, ctx.source.db, ctx.service.name, ctx.service.spec.tables);
}
