import { DEFAULT_DDL_LOCK_WAIT_MS, DEFAULT_DDL_RETRIES } from './ddl.ts';
import { SplitError } from './errors.ts';
import { DEFAULT_VERIFY_MAX_AGE_MS, parseDuration } from './verify-gate.ts';

export { DEFAULT_DDL_LOCK_WAIT_MS, DEFAULT_DDL_RETRIES };

export const DEFAULT_CHUNK_SIZE = 2000;
export const DEFAULT_MIN_CHUNK = 100;
export const DEFAULT_MAX_CHUNK = 50_000;
export const DEFAULT_TARGET_CHUNK_MS = 500;
export const DEFAULT_MAX_ROWS_PER_SECOND = 0; // 0 = unlimited
export const DEFAULT_MAX_THREADS_RUNNING = 40;
export const DEFAULT_APPLY_BATCH = 1000;
/** start --follow: least time between two drains of the changelog (follow.ts; changes reach the target up to this much later, in fewer transactions). */
export const DEFAULT_APPLY_LAG_MS = 500;
/** start --follow: the moved tables' definitions compared with the split's record at most this often (a few information_schema reads per table; schema-guard.ts). */
export const DEFAULT_SCHEMA_CHECK_MS = 10_000;
export const DEFAULT_FREEZE_ABORT_MS = 3000;
export const DEFAULT_VERIFY_CHUNK = 50_000;
export const DEFAULT_VERIFY_RECHECKS = 5;
export const DEFAULT_VERIFY_LEAF_ROWS = 2000;
export const DEFAULT_NEWEST_ROWS_CHECK = 200;
export const DEFAULT_COPY_WORKERS = 2;
export const DEFAULT_COPY_LOADERS = 4;
/** 0: from the servers' core count (verifier.ts verifyWorkers). */
export const DEFAULT_VERIFY_WORKERS = 0;

export interface SplitOptions {
  chunkSize: number;
  minChunk: number;
  maxChunk: number;
  targetChunkMs: number;
  maxRowsPerSecond: number;
  maxThreadsRunning: number;
  applyBatch: number;
  /** start --follow: least time between two drains of the changelog (follow.ts). */
  applyLagMs: number;
  /** start --follow: how often the loop compares the moved tables' definitions with the split's record (schema-guard.ts); not a flag, tests shorten it. */
  schemaCheckMs: number;
  freezeAbortMs: number;
  verifyChunk: number;
  verifyRechecks: number;
  /** Mismatching verify ranges are split until they hold at most this many rows, then diffed row by row. */
  verifyLeafRows: number;
  /** Verify chunks in flight at once, each with its own snapshot on both sides; 0 = from the servers' core count. */
  verifyWorkers: number;
  newestRowsCheck: number;
  /** Key-range segments copied concurrently per table (one server thread each on the source side). */
  copyWorkers: number;
  /** `auto`: server-side INSERT … SELECT when source and target share a server, else rows streamed through the tool. */
  copyMode: 'auto' | 'sql' | 'stream';
  /** Stream copy: chunks in flight at once across a table's segments (one target connection each) with LOAD DATA. */
  copyLoaders: number;
  /** Stream copy's write into the target: `auto` = LOAD DATA LOCAL when the target allows it, else batch REPLACE. */
  streamWrite: 'auto' | 'load-data' | 'insert';
  /** Drop the target's non-unique secondary indexes for the copy and add them back in one online ALTER after it: auto (the default) = on, both copy paths; off keeps them in place (deferred-indexes.ts). */
  deferIndexes: 'auto' | 'on' | 'off';
  /** Change capture on the source: `auto` reads the binlog when the server and the tables allow it (binlog.ts), else triggers. */
  capture: 'auto' | 'binlog' | 'triggers';
  /** Cutover refuses unless the last clean verify finished at most this long ago (verify-gate.ts). */
  verifyMaxAgeMs: number;
  /** How long one DDL attempt (trigger, FK drop, rename) keeps trying NOWAIT for its metadata lock (or waits for it, with ddlWait). */
  ddlLockWaitMs: number;
  /** Wait for a DDL's metadata lock instead of trying NOWAIT: writers queue behind it and may become deadlock victims (ddl.ts). */
  ddlWait: boolean;
  /** DDL attempts after the first, with backoff pauses in between (writers flow during the pauses). */
  ddlRetries: number;
  /** CPU priority of the tool's process, Unix nice 0–19 (nice.ts); 0 leaves it alone. */
  nice: number;
}

export const DEFAULT_OPTIONS: SplitOptions = {
  chunkSize: DEFAULT_CHUNK_SIZE,
  minChunk: DEFAULT_MIN_CHUNK,
  maxChunk: DEFAULT_MAX_CHUNK,
  targetChunkMs: DEFAULT_TARGET_CHUNK_MS,
  maxRowsPerSecond: DEFAULT_MAX_ROWS_PER_SECOND,
  maxThreadsRunning: DEFAULT_MAX_THREADS_RUNNING,
  applyBatch: DEFAULT_APPLY_BATCH,
  applyLagMs: DEFAULT_APPLY_LAG_MS,
  schemaCheckMs: DEFAULT_SCHEMA_CHECK_MS,
  freezeAbortMs: DEFAULT_FREEZE_ABORT_MS,
  verifyChunk: DEFAULT_VERIFY_CHUNK,
  verifyRechecks: DEFAULT_VERIFY_RECHECKS,
  verifyLeafRows: DEFAULT_VERIFY_LEAF_ROWS,
  verifyWorkers: DEFAULT_VERIFY_WORKERS,
  newestRowsCheck: DEFAULT_NEWEST_ROWS_CHECK,
  copyWorkers: DEFAULT_COPY_WORKERS,
  copyMode: 'auto',
  copyLoaders: DEFAULT_COPY_LOADERS,
  streamWrite: 'auto',
  deferIndexes: 'auto',
  capture: 'auto',
  verifyMaxAgeMs: DEFAULT_VERIFY_MAX_AGE_MS,
  ddlLockWaitMs: DEFAULT_DDL_LOCK_WAIT_MS,
  ddlRetries: DEFAULT_DDL_RETRIES,
  ddlWait: false,
  nice: 0,
};

const INT_FIELDS: Array<[keyof SplitOptions, number, number]> = [
  ['chunkSize', 1, 1_000_000], ['minChunk', 1, 1_000_000], ['maxChunk', 1, 1_000_000], ['targetChunkMs', 10, 60_000],
  ['maxRowsPerSecond', 0, 100_000_000], ['maxThreadsRunning', 0, 100_000], ['applyBatch', 1, 100_000], ['applyLagMs', 0, 60_000], ['schemaCheckMs', 50, 3_600_000],
  ['freezeAbortMs', 100, 600_000], ['verifyChunk', 10, 10_000_000], ['verifyRechecks', 0, 100], ['verifyLeafRows', 1, 1_000_000], ['verifyWorkers', 0, 16], ['newestRowsCheck', 1, 100_000], ['copyWorkers', 1, 16], ['copyLoaders', 1, 16],
  ['ddlLockWaitMs', 100, 60_000], ['ddlRetries', 0, 100], ['nice', 0, 19],
];

/** Validates options up front, one message per bad field (table-driven test in test/options.test.ts). */
export function validateOptions(input: Partial<Record<keyof SplitOptions, unknown>>): SplitOptions {
  const out: SplitOptions = { ...DEFAULT_OPTIONS };
  const problems: string[] = [];
  for (const [key, min, max] of INT_FIELDS) {
    const v = input[key];
    if (v === undefined) continue;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) problems.push(`${key}: must be an integer between ${min} and ${max}`);
    else (out as unknown as Record<string, number>)[key] = n;
  }
  if (input.copyMode !== undefined) {
    if (input.copyMode === 'auto' || input.copyMode === 'sql' || input.copyMode === 'stream') out.copyMode = input.copyMode;
    else problems.push('copyMode: must be auto, sql or stream');
  }
  if (input.streamWrite !== undefined) {
    if (input.streamWrite === 'auto' || input.streamWrite === 'load-data' || input.streamWrite === 'insert') out.streamWrite = input.streamWrite;
    else problems.push('streamWrite: must be auto, load-data or insert');
  }
  if (input.deferIndexes !== undefined) {
    if (input.deferIndexes === 'auto' || input.deferIndexes === 'on' || input.deferIndexes === 'off') out.deferIndexes = input.deferIndexes;
    else problems.push('deferIndexes: must be auto, on or off');
  }
  if (input.capture !== undefined) {
    if (input.capture === 'auto' || input.capture === 'binlog' || input.capture === 'triggers') out.capture = input.capture;
    else problems.push('capture: must be auto, binlog or triggers');
  }
  if (input.verifyMaxAgeMs !== undefined) {
    const ms = parseDuration(input.verifyMaxAgeMs);
    if (ms === undefined || ms < 1000 || ms > 30 * 86_400_000) problems.push('verifyMaxAgeMs: must be a duration between 1s and 30d (e.g. 3600000, 90s, 30m, 1h)');
    else out.verifyMaxAgeMs = ms;
  }
  if (input.ddlWait !== undefined) {
    if (typeof input.ddlWait === 'boolean') out.ddlWait = input.ddlWait;
    else problems.push('ddlWait: must be true or false');
  }
  if (out.minChunk > out.maxChunk) problems.push('minChunk: must not exceed maxChunk');
  if (problems.length) throw new SplitError('BAD_OPTION', problems.join('; '));
  out.chunkSize = Math.min(Math.max(out.chunkSize, out.minChunk), out.maxChunk);
  return out;
}
