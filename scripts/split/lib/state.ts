import type { Knex } from '../../../lib/db.ts';
import { q, STATE_TABLE, stateDdl } from './sql.ts';

export type Phase = 'copying' | 'copied' | 'cutover' | 'completed';

/**
 * A slice of a table's key range copied by one worker: keys in (lo, hi]
 * (lo null: from the first key). Keys are key texts (keys.ts); documents of
 * older versions hold bare integers there, which keys.ts still reads.
 */
export interface Segment {
  lo: string | null;
  hi: string;
  /** Highest key copied in this segment (exclusive lower bound of its next chunk); null = none yet. */
  lastPk: string | null;
  done: boolean;
}

export interface TableProgress {
  minPk: string | null;
  maxPk: string | null;
  /** Highest primary key copied so far by a single cursor (kept for status of older state documents). */
  lastPk: string | null;
  /** False when the key has no arithmetic (progress then counts rows against `estimate`). */
  intKey?: boolean;
  estimate?: number;
  /** The key range split between copy workers (set when the range is snapshotted). */
  segments?: Segment[];
  rows: number;
  chunks: number;
  done: boolean;
  /** Secondary indexes dropped on the target for the copy and added back after it (deferred-indexes.ts). */
  indexes?: IndexDeferral;
}

/** A table's deferred secondary indexes (deferred-indexes.ts). */
export interface IndexDeferral {
  /** The target's SHOW CREATE TABLE before the drop: what the table must be again after the re-add (AUTO_INCREMENT aside). */
  definition: string;
  /** The dropped indexes, each with its key clause as SHOW CREATE TABLE wrote it. */
  indexes: Array<{ name: string; clause: string }>;
  /** planned: recorded, maybe dropped already (a kill before the next save); dropped: the copy runs without them; restored: back and checked. */
  step: 'planned' | 'dropped' | 'restored';
}

export interface VerifyTable {
  lastPk: string | null;
  chunks: number;
  rows: number;
  mismatchedChunks: number;
  /** CHECKSUM TABLE of both sides after the table's chunks (table-checksum.ts). */
  checksumTable?: 'equal' | 'different' | 'not-comparable' | 'busy';
  done: boolean;
}

export interface Difference {
  table: string;
  /** Key text (keys.ts). */
  pk: string;
  /** The key for people: `id=42`, `(a, b)=('x', 7)`. */
  key?: string;
  /** `table-checksum-differs`: pk '*'; `chunk-hash-differs`: pk is the key range. */
  kind: 'missing-on-target' | 'extra-on-target' | 'different' | 'table-checksum-differs' | 'chunk-hash-differs';
  columns?: string[];
}

export interface VerifyState {
  direction: 'forward' | 'reverse';
  startedAt: string;
  finishedAt?: string;
  tables: Record<string, VerifyTable>;
  /** The first MAX_REPORTED_DIFFERENCES differences (verifier.ts). */
  differences: Difference[];
  /** Every difference found (may exceed the list). */
  differencesFound?: number;
  /** The list was cut at MAX_REPORTED_DIFFERENCES: there are at least `differencesFound`. */
  truncated?: boolean;
  /** Rows still changing when their chunk was compared for the last time (re-checked, not counted as differences). */
  inFlight: number;
  ok?: boolean;
  rowsPerSecond?: number;
}

export interface CutoverAttempt {
  at: string;
  kind: 'cutover' | 'rollback';
  ok: boolean;
  freezeMs?: number;
  error?: string;
}

export interface SplitState {
  service: string;
  version: 1;
  phase: Phase;
  createdAt: string;
  updatedAt: string;
  source: string;
  target: string;
  tables: Record<string, TableProgress>;
  chunkSize: number;
  /** How the copy writes chunks (`sql`, or the stream copy's path and why: loader.ts), set when the copy starts. */
  copyPath?: string;
  applied: { forward: number; reverse: number; batches: number };
  verify?: VerifyState;
  /** Cutover / rollback in progress: the step reached, so a killed run can be resumed or undone. */
  switching?: { kind: 'cutover' | 'rollback'; step: string; startedAt: string; expectVersion: number };
  previousOwnership?: { owner: 'legacy' | 'service'; database: 'legacy' | 'own' };
  attempts: CutoverAttempt[];
  /** The verify gate was overridden with --force --reason for the current cutover (verify-gate.ts). */
  forcedCutover?: { at: string; actor: string; reason: string; gate: string };
  history: Array<{ at: string; event: string; detail?: string }>;
  /** How the source's changes are captured (binlog.ts), chosen once by the first start and kept on resume. */
  capture?: { mode: 'binlog' | 'triggers'; why: string };
  /** Each moved table's definition on both sides (schema-guard.ts fingerprints), recorded when the copy starts and when a change is made alike on both sides. */
  schema?: Record<string, { source: string; target: string }>;
  /** When a change of a moved table's source definition was last recorded: the cutover wants a verify started after it. */
  schemaChangedAt?: string;
}

export function newState(service: string, source: string, target: string, tables: string[], chunkSize: number, now = new Date()): SplitState {
  const at = now.toISOString();
  return {
    service, version: 1, phase: 'copying', createdAt: at, updatedAt: at, source, target,
    tables: Object.fromEntries(tables.map((t) => [t, { minPk: null, maxPk: null, lastPk: null, rows: 0, chunks: 0, done: false }])),
    chunkSize, applied: { forward: 0, reverse: 0, batches: 0 }, attempts: [], history: [{ at, event: 'created' }],
  };
}

/** Counts one applier batch of `changes` in the direction it ran. */
export function countApplied(state: SplitState, direction: 'forward' | 'reverse', changes: number): void {
  if (direction === 'forward') state.applied.forward += changes;
  else state.applied.reverse += changes;
  state.applied.batches += 1;
}

export function note(state: SplitState, event: string, detail?: string): void {
  state.history.push({ at: new Date().toISOString(), event, ...(detail ? { detail } : {}) });
  if (state.history.length > 200) state.history.splice(0, state.history.length - 200);
}

/**
 * The state document lives in `_split_state` in the source database (the tool's
 * home: it exists before and after the move). Saves can join a transaction so a
 * chunk's position commits together with the chunk when both sides share a server.
 */
export class StateStore {
  private readonly knex: Knex;
  private readonly db: string;
  constructor(knex: Knex, db: string) {
    this.knex = knex;
    this.db = db;
  }

  async ensure(): Promise<void> {
    await this.knex.raw(stateDdl());
  }

  async load(service: string): Promise<SplitState | undefined> {
    const [[exists]] = await this.knex.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [this.db, STATE_TABLE]);
    if (!Number(exists.n)) return undefined;
    const [rows] = await this.knex.raw(`SELECT doc FROM ${q(STATE_TABLE)} WHERE service = ?`, [service]);
    const r = (rows as Array<{ doc: string }>)[0];
    return r ? (JSON.parse(r.doc) as SplitState) : undefined;
  }

  async loadAll(): Promise<SplitState[]> {
    const [[exists]] = await this.knex.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [this.db, STATE_TABLE]);
    if (!Number(exists.n)) return [];
    const [rows] = await this.knex.raw(`SELECT doc FROM ${q(STATE_TABLE)} ORDER BY service`);
    return (rows as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as SplitState);
  }

  async save(state: SplitState, conn: Knex | Knex.Transaction = this.knex): Promise<void> {
    state.updatedAt = new Date().toISOString();
    await conn.raw(`INSERT INTO ${q(this.db)}.${q(STATE_TABLE)} (service, doc) VALUES (?, ?) ON DUPLICATE KEY UPDATE doc = VALUES(doc)`, [state.service, JSON.stringify(state)]);
  }

  async remove(service: string): Promise<void> {
    await this.knex.raw(`DELETE FROM ${q(STATE_TABLE)} WHERE service = ?`, [service]);
  }
}
