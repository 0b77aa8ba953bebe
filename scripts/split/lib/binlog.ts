/**
 * Binlog capture: instead of a changelog INSERT inside every application
 * transaction (row triggers), the tool reads the source's ROW binlog
 * (@vlasky/zongji) and writes the keys of the moved tables' row events into
 * the SAME changelog table from its own session, together with the binlog
 * position of the transaction's end, in one transaction, at transaction
 * boundaries (XID / COMMIT). The applier is unchanged (it re-reads each key's
 * current row). Resume after kill -9 starts at the saved position: a
 * transaction read twice only logs its keys twice (re-applying is
 * idempotent); none is lost, because a position is saved only with (or after)
 * every key before it. The row triggers stay, fence-only (sql.ts).
 *
 * What it cannot see: changes that are not row events of the moved tables —
 * FK cascades (InnoDB applies them below the binlog: the parents they start
 * from keep the cascade capture triggers of lib/cascade.ts, which log the
 * children's keys in the writer's transaction as in trigger mode), writes
 * with sql_log_bin=0, TRUNCATE (refused by the guard tables as in trigger
 * mode) and DDL.
 */
import ZongJi from '@vlasky/zongji';
import type mysql from 'mysql2/promise';
import { parseMysqlDsn } from '../../../lib/db.ts';
import { installKeyRows, KEY_COLUMNS, type KeyColumns } from './binlog-rows.ts';
import { afterKeyRow, binlogKeyText, binlogKeyWhy, comparePos, formatPos, GtidTracker, parseGtidPos, rawStringKeys, type BinlogPos, type ReaderTableMap } from './binlog-keys.ts';
import { cascadePaths } from './cascade.ts';
import { SplitError } from './errors.ts';
import { foreignKeys } from './introspect.ts';
import { openConnection, type Side } from './side.ts';
import { changelogTable, lit, q, type TableShape } from './sql.ts';

export type CaptureMode = 'binlog' | 'triggers';
export type CaptureFlag = 'auto' | CaptureMode;

export interface CaptureChoice {
  mode: CaptureMode;
  /** Why this mode (and, for triggers, why not the binlog). */
  why: string;
}

export function positionTable(service: string): string {
  return `_split_${service}_binlog`;
}

export function positionDdl(service: string): string {
  return `CREATE TABLE IF NOT EXISTS ${q(positionTable(service))} (
    id TINYINT UNSIGNED NOT NULL,
    file VARCHAR(255) NOT NULL,
    pos BIGINT UNSIGNED NOT NULL,
    gtid VARCHAR(1024) NULL,
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id)
  ) ENGINE=InnoDB`;
}

/** The source's current binlog end (SHOW MASTER STATUS: needs BINLOG MONITOR / REPLICATION CLIENT). */
export async function masterPos(side: Side): Promise<BinlogPos> {
  const [rows] = await side.knex.raw('SHOW MASTER STATUS');
  const r = (rows as Array<{ File: string; Position: number | string }>)[0];
  if (!r) throw new Error('SHOW MASTER STATUS returned nothing: the binary log is off');
  return { file: r.File, pos: Number(r.Position) };
}

export async function savedPos(side: Side, service: string): Promise<BinlogPos | null> {
  const [[exists]] = await side.knex.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [side.db, positionTable(service)]);
  if (!Number(exists.n)) return null;
  const gtid = await hasGtidColumn(side, service);
  const [rows] = await side.knex.raw(`SELECT file, pos${gtid ? ', gtid' : ''} FROM ${q(positionTable(service))} WHERE id = 1`);
  const r = (rows as Array<{ file: string; pos: number | string; gtid?: string | null }>)[0];
  return r ? { file: r.file, pos: Number(r.pos), ...(r.gtid ? { gtid: r.gtid } : {}) } : null;
}

async function hasGtidColumn(side: Side, service: string): Promise<boolean> {
  const [rows] = await side.knex.raw('SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?', [side.db, positionTable(service), 'gtid']);
  return Number((rows as Array<{ n: number }>)[0].n) > 0;
}

/** A position table made by a version without the GTID column gets it (nullable: old rows keep file+offset only). */
async function ensureGtidColumn(side: Side, service: string): Promise<void> {
  if (!(await hasGtidColumn(side, service))) await side.knex.raw(`ALTER TABLE ${q(positionTable(service))} ADD COLUMN gtid VARCHAR(1024) NULL AFTER pos`);
}

/**
 * MariaDB: the GTID position (`domain-server-seq,…`) that corresponds to a
 * binlog file+offset (BINLOG_GTID_POS), or null (MySQL, where the function
 * does not exist, or a position the server cannot place).
 */
export async function gtidAt(side: Side, p: BinlogPos): Promise<string | null> {
  try {
    const [[r]] = await side.knex.raw('SELECT BINLOG_GTID_POS(?, ?) AS g', [p.file, p.pos]);
    const g = r?.g === null || r?.g === undefined ? null : String(r.g);
    return g !== null && isGtidPos(g) ? g : null;
  } catch {
    return null;
  }
}

/** A MariaDB GTID position: `domain-server-seq` per domain, comma-separated ('' = none yet). */
export function isGtidPos(s: string): boolean {
  return s === '' || /^\d+-\d+-\d+(,\d+-\d+-\d+)*$/.test(s);
}

/** Binlog files the source still has (SHOW BINARY LOGS), oldest first, with their sizes in bytes. */
export async function binaryLogs(side: Side): Promise<Array<{ name: string; size: number }>> {
  const [rows] = await side.knex.raw('SHOW BINARY LOGS');
  return (rows as Array<{ Log_name: string; File_size: number | string }>).map((r) => ({ name: r.Log_name, size: Number(r.File_size) }));
}

/** Binlog files the source still has, oldest first. */
export async function binlogFiles(side: Side): Promise<string[]> {
  return (await binaryLogs(side)).map((f) => f.name);
}

/**
 * Why reading cannot resume at `p`, or null: its file is no longer on the
 * source (purged by binlog_expire_logs_seconds / expire_logs_days or PURGE
 * BINARY LOGS while the split was stopped). The changes in the purged files
 * are gone; resuming from the oldest file left would lose them silently.
 */
export function purgedWhy(p: BinlogPos, files: string[]): string | null {
  if (files.includes(p.file)) return null;
  return `binlog capture cannot resume at ${formatPos(p)}${p.gtid ? ` (GTID ${p.gtid})` : ''}: ${p.file} is no longer on the source ` +
    `(purged; oldest left: ${files[0] ?? 'none'}), so the changes since that position cannot be read. Raise binlog_expire_logs_seconds for the split's duration; ` +
    'to recover, cancel the split and start it again (a new copy)' +
    (p.gtid ? `. If this is another server — the source failed over to a replica — run split-db repoint, which finds GTID ${p.gtid} in this server's binlog` : '');
}

/**
 * Pure, for `status`: why capture cannot resume at `p` on a server with these
 * binlog files, from what SHOW BINARY LOGS tells at no cost — the file is gone
 * (purgedWhy), or the offset lies past the end of the file of that name here
 * (another server's binlog, or a RESET MASTER). Null when neither shows; the
 * reader's own check at the next start (movedWhy: the GTID at the offset,
 * a scan of the file) is the one that proves a position good.
 */
export function unreadableWhy(p: BinlogPos, logs: Array<{ name: string; size: number }>): string | null {
  const purged = purgedWhy(p, logs.map((f) => f.name));
  if (purged !== null) return purged;
  const file = logs.find((f) => f.name === p.file)!;
  if (p.pos <= file.size) return null;
  return `binlog capture cannot resume at ${formatPos(p)}${p.gtid ? ` (GTID ${p.gtid})` : ''}: ${p.file} on this server is only ${file.size} bytes long, ` +
    'so it is not the binlog the position was read from (a failover to another server, or RESET MASTER). ' +
    (p.gtid ? `After a failover to a replica that has every transaction up to GTID ${p.gtid}, run split-db repoint; after a RESET MASTER, cancel the split and start it again (a new copy)` :
      'Cancel the split and start it again (a new copy)');
}

/**
 * Pure: whether the server's GTID position at an offset (`here`) is the one
 * saved with it: every domain of the saved position at the same server and
 * sequence number there (domains in any order; a domain the saved position
 * lacks — a seed the server could not place — is not held against it).
 */
export function gtidMatches(saved: string, here: string): boolean {
  const h = parseGtidPos(here);
  for (const g of parseGtidPos(saved).values()) {
    const o = h.get(g.domain);
    if (!o || o.server !== g.server || o.seq !== g.seq) return false;
  }
  return true;
}

/**
 * Why the source's binlog at the saved file+offset is not the point the
 * split saved, or null. A file+offset names a point in one server's binlog
 * only: after a failover to a replica (its files may have the same names,
 * their offsets are its own) or a RESET MASTER, the same name and offset hold
 * other transactions, or none begins there, and reading on from it would
 * skip or repeat changes without a sign. The GTID position saved with the
 * offset tells: MariaDB's BINLOG_GTID_POS gives the server's own GTID
 * position at that offset, which must be the saved one. Null also when it
 * cannot be told (no GTID saved: MySQL, or a split started by a version
 * without the column; or no BINLOG_GTID_POS).
 */
export async function movedWhy(side: Side, p: BinlogPos): Promise<string | null> {
  if (p.gtid === undefined || !isGtidPos(p.gtid)) return null;
  let here: string | null;
  try {
    const [[r]] = await side.knex.raw('SELECT BINLOG_GTID_POS(?, ?) AS g', [p.file, p.pos]);
    here = r?.g === null || r?.g === undefined ? null : String(r.g);
  } catch {
    return null;
  }
  if (here !== null && isGtidPos(here) && gtidMatches(p.gtid, here)) return null;
  return `binlog capture will not resume at ${formatPos(p)}: the split saved it with GTID position ${p.gtid}, but the source's binlog has ` +
    `${here === null || !isGtidPos(here) ? 'no transaction boundary at that offset' : `GTID position ${here} there`} — it is not the binlog the position was read from ` +
    '(a failover to another server, or RESET MASTER), and reading on from that offset would skip or repeat changes. ' +
    `After a failover to a replica that has every transaction up to GTID ${p.gtid}, run split-db repoint: it moves the position to the first transaction after it in this server's binlog. ` +
    'After a RESET MASTER, cancel the split and start it again (a new copy)';
}

/**
 * The position capture starts from, taken once (before the copy's first chunk
 * is read) and kept on resume. The INSERT that saves it is itself committed
 * after every transaction logged before the position; the server makes
 * transactions visible in binlog order (MariaDB commit_ordered, MySQL
 * binlog_order_commits), so once it returns, every transaction before the
 * position is visible to the copy's reads and every later one is read from
 * the binlog.
 */
export async function initCapturePos(side: Side, service: string): Promise<BinlogPos> {
  await side.knex.raw(positionDdl(service));
  await ensureGtidColumn(side, service);
  const have = await savedPos(side, service);
  if (have) return have;
  const p = await masterPos(side);
  await side.knex.raw(`INSERT IGNORE INTO ${q(positionTable(service))} (id, file, pos, gtid) VALUES (1, ?, ?, ?)`, [p.file, p.pos, await gtidAt(side, p)]);
  return (await savedPos(side, service))!;
}

interface ServerFacts {
  logBin: boolean;
  format: string;
  rowImage: string;
  /** binlog_row_metadata (MariaDB ≥ 10.5, MySQL ≥ 8.0.1); null where the server has no such variable. */
  rowMetadata: string | null;
  grants: string[];
}

async function serverFacts(side: Side): Promise<ServerFacts> {
  const [[v]] = await side.knex.raw('SELECT @@log_bin AS logBin, @@GLOBAL.binlog_format AS fmt, @@GLOBAL.binlog_row_image AS img');
  const [g] = await side.knex.raw('SHOW GRANTS');
  const [meta] = await side.knex.raw("SHOW GLOBAL VARIABLES LIKE 'binlog\\_row\\_metadata'");
  const m = (meta as Array<{ Value?: string }>)[0]?.Value;
  return {
    logBin: Number(v.logBin) === 1, format: String(v.fmt).toUpperCase(), rowImage: String(v.img).toUpperCase(),
    rowMetadata: m === undefined ? null : String(m).toUpperCase(),
    grants: (g as Array<Record<string, string>>).map((r) => String(Object.values(r)[0]).toUpperCase()),
  };
}

/** Pure: why the server cannot feed binlog capture, or null. */
export function serverWhy(f: ServerFacts): string | null {
  if (!f.logBin) return 'the binary log is off (log_bin=OFF)';
  if (f.format !== 'ROW') return `binlog_format is ${f.format}, not ROW`;
  if (!['FULL', 'MINIMAL', 'NOBLOB'].includes(f.rowImage)) return `binlog_row_image is ${f.rowImage}`;
  const global = f.grants.filter((g) => / ON \*\.\* /.test(g)).join(' ');
  const all = global.includes('ALL PRIVILEGES');
  const slave = all || /REPLICATION SLAVE/.test(global);
  const monitor = all || /REPLICATION CLIENT|BINLOG MONITOR|SUPER/.test(global);
  if (!slave || !monitor) return 'the user lacks REPLICATION SLAVE and REPLICATION CLIENT (MariaDB: BINLOG MONITOR) on *.*';
  return null;
}

/**
 * Pure: the caveat for a binlog without column names. Row events name a table
 * by number and carry values by position; without binlog_row_metadata=FULL the
 * reader takes the names from the table's definition when it reads the event.
 * Rows logged before an ALTER that adds, drops or moves a column ahead of a
 * key column, read after it (the reader stopped or lagging), are then decoded
 * with the new list: their keys come out wrong (seen in a probe: ADD COLUMN
 * FIRST: an update of id 7 missed the target). The schema guard makes the
 * cutover wait for a verify after such a change, which finds those rows.
 */
export function rowMetadataNote(rowMetadata: string | null): string {
  if (rowMetadata === null || rowMetadata === 'FULL') return '';
  return `; binlog_row_metadata=${rowMetadata}: rows logged before an ALTER TABLE of a moved table and read after it are decoded with the new column list ` +
    '(keys can come out wrong: verify finds them) — SET GLOBAL binlog_row_metadata=FULL (dynamic; also in the server\'s config) makes the binlog name its columns';
}

/**
 * Binlog or triggers: the flag, else the binlog when the server logs ROW
 * images the user may read and every
 * key decodes exactly (binlog-keys.ts). `--capture binlog` that cannot be
 * honoured is an error (thrown with the reason); auto falls back to triggers.
 */
export async function chooseCapture(side: Side, shapes: Map<string, TableShape>, flag: CaptureFlag): Promise<CaptureChoice> {
  if (flag === 'triggers') return { mode: 'triggers', why: 'chosen by --capture triggers' };
  const reasons: string[] = [];
  const facts = await serverFacts(side);
  const srv = serverWhy(facts);
  if (srv) reasons.push(srv);
  // a MINIMAL/NOBLOB before-image holds the primary key only: a table keyed by a unique key needs FULL images
  if (facts.rowImage !== 'FULL') for (const s of shapes.values()) if (s.key.index !== 'PRIMARY') reasons.push(`${s.name} is keyed by unique key ${s.key.index}, which binlog_row_image=${facts.rowImage} does not log for updates and deletes`);
  for (const s of shapes.values()) {
    const why = binlogKeyWhy(s);
    if (why) reasons.push(why);
  }
  // FK cascades change moved rows with no row event in the binlog: their parents keep the cascade capture triggers
  const cascades = [...cascadePaths(await foreignKeys(side.knex, side.db), new Set(shapes.keys())).keys()];
  const also = cascades.length ? `; FK cascades from ${cascades.join(', ')} are not in the binlog: captured by triggers on ${cascades.length > 1 ? 'those tables' : 'that table'}` : '';
  if (!reasons.length) return { mode: 'binlog', why: `${flag === 'binlog' ? 'chosen by --capture binlog' : 'log_bin=ON, binlog_format=ROW, every key decodes exactly'}${also}${rowMetadataNote(facts.rowMetadata)}` };
  if (flag === 'binlog') throw Object.assign(new Error(`--capture binlog is not possible: ${reasons.join('; ')}`), { reasons });
  return { mode: 'triggers', why: `binlog capture not possible: ${reasons.join('; ')}` };
}

export interface PumpLog {
  warn(obj: object, msg: string): void;
}

/** Changelog rows per INSERT statement. */
const INSERT_ROWS = 500;
/** A flush's statements go to the server in texts of about this size (one round trip each; one for most flushes). */
const FLUSH_TEXT_BYTES = 256 * 1024;

/**
 * Pure: a flush as multi-statement texts, sent in order on one connection:
 * START TRANSACTION, the changelog INSERTs (INSERT_ROWS rows each), the
 * position statement and COMMIT. Key texts are `["<hex>",…]`: no quote or
 * backslash to escape.
 */
export function flushTexts(changelog: string, tableLits: Map<string, string>, keys: Map<string, Set<string>>, posStmt: string, maxBytes = FLUSH_TEXT_BYTES): string[] {
  const head = `INSERT INTO ${q(changelog)} (tbl, pk) VALUES `;
  const stmts = ['START TRANSACTION'];
  let values: string[] = [];
  for (const [t, set] of keys) {
    const tl = tableLits.get(t) ?? lit(t);
    for (const k of set) {
      values.push(`(${tl},'${k}')`);
      if (values.length >= INSERT_ROWS) {
        stmts.push(head + values.join(','));
        values = [];
      }
    }
  }
  if (values.length) stmts.push(head + values.join(','));
  stmts.push(posStmt, 'COMMIT');
  const texts: string[] = [];
  let cur = '';
  for (const st of stmts) {
    if (cur && cur.length + st.length + 1 > maxBytes) {
      texts.push(cur);
      cur = '';
    }
    cur = cur ? `${cur};${st}` : st;
  }
  texts.push(cur);
  return texts;
}
/** Shortest gap between two changelog commits of the reader (keys of the transactions read meanwhile go in one). */
const FLUSH_GAP_MS = 50;
/** A position with no keys behind it is saved at most this often (the save is itself a binlog transaction). */
const IDLE_SAVE_MS = 10_000;
/**
 * After a burst of events the reader may stop reading its socket for this
 * long, so the next events are read in one batch (less CPU per write at low
 * write rates: a wakeup and a parse of one small chunk per event otherwise).
 * Off (0) by default: on a quiet server whose cores the application keeps
 * busy, each batch is a burst of the reader's CPU that the application's
 * writes queue behind — 20 ms gaps gave 2.9× the no-split p99 against 1.5×
 * reading every event as it comes, paired in the same rounds
 * (docs/split.md "Binlog capture"). `BATCHED_READ_GAP_MS` is the batched
 * setting the benchmark compares.
 */
export const READ_GAP_MS = 0;
export const BATCHED_READ_GAP_MS = 20;

type RowEvent = { getEventName(): string; getTypeName(): string; nextPosition: number; tableId?: number; tableMap?: Record<number, { parentSchema: string; tableName: string } & ReaderTableMap>; rows?: Array<Record<string, unknown>>; binlogName?: string; query?: string; domainId?: number; serverId?: number; seqNo?: number | string; standalone?: boolean };

/**
 * Reads the binlog from the saved position and turns row events of the moved
 * tables into changelog rows. `seen` is the newest transaction end whose keys
 * are all in the changelog; `waitFor` blocks until it passes a position.
 *
 * Cost per application write (what the split adds to the source's CPU):
 * row events of other tables — the changelog's own inserts included — are
 * skipped by zongji before their rows are decoded (`includeSchema`); of the
 * moved tables' row images only the key columns are decoded, the others
 * stepped over by length (binlog-rows.ts, `keyOnlyRows`); keys are
 * collected per table in Sets across every transaction read since the last
 * flush (a key written by many transactions is logged once per flush); a
 * flush is one source transaction (keys + position) at most every
 * FLUSH_GAP_MS, sent as one multi-statement text (one round trip:
 * `flushTexts`), its INSERTs built as literal text (key texts are hex, JSON
 * brackets and quotes only: nothing to escape).
 */
export class BinlogPump {
  seen: BinlogPos | null = null;
  error: Error | null = null;
  /** Changelog rows written and transactions read (status, benchmarks). */
  readonly counts = { transactions: 0, keys: 0, flushes: 0 };
  /** Between a group's start (MariaDB GTID event, MySQL `BEGIN`) and its end (XID, COMMIT): see onQuery. */
  private inGroup = false;
  private z: ZongJi | null = null;
  private file = '';
  /** Keys read since the last flush, per table (the transaction being read included: its keys are committed on the source already). */
  private keys = new Map<string, Set<string>>();
  private nkeys = 0;
  /** Newest transaction end read (not yet flushed). */
  private next: BinlogPos | null = null;
  private gtid = new GtidTracker();
  private flushing: Promise<void> | null = null;
  private conn: mysql.Connection | null = null;
  private savedAt = 0;
  private saved: BinlogPos | null = null;
  private waiters = new Set<() => void>();
  private flushedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private tableLits = new Map<string, string>();

  private side: Side;
  private service: string;
  private shapes: Map<string, TableShape>;
  private log?: PumpLog;

  /** Pause after a burst of events (READ_GAP_MS: 0 reads every event as it comes; benchmarks compare BATCHED_READ_GAP_MS). */
  readGapMs = READ_GAP_MS;
  /** Shortest gap between two changelog commits (FLUSH_GAP_MS). */
  flushGapMs = FLUSH_GAP_MS;
  /**
   * Row images are decoded for their key columns only, the other columns
   * stepped over by length (binlog-rows.ts); false decodes every column, as
   * zongji does by itself (benchmarks compare the two).
   */
  keyOnlyRows = true;

  constructor(side: Side, service: string, shapes: Map<string, TableShape>, log?: PumpLog) {
    this.side = side;
    this.service = service;
    this.shapes = shapes;
    this.log = log;
    for (const t of shapes.keys()) this.tableLits.set(t, lit(t));
  }

  async start(): Promise<void> {
    const from = await savedPos(this.side, this.service);
    if (!from) throw new Error(`no saved binlog position for ${this.service}: capture was not started`);
    // a split started by a version without the GTID column: its saves below write the column
    await ensureGtidColumn(this.side, this.service);
    const purged = purgedWhy(from, await binlogFiles(this.side));
    if (purged) {
      this.log?.warn({ from: formatPos(from), gtid: from.gtid }, 'binlog capture: the saved position was purged from the source');
      throw new SplitError('BLOCKED', purged);
    }
    const moved = await movedWhy(this.side, from);
    if (moved) {
      this.log?.warn({ from: formatPos(from), gtid: from.gtid }, 'binlog capture: the saved position is not in this source\'s binlog');
      throw new SplitError('BLOCKED', moved);
    }
    this.gtid = new GtidTracker(from.gtid ?? (await gtidAt(this.side, from)));
    this.seen = from;
    this.saved = from;
    this.file = from.file;
    // multiple statements: a flush is one text (flushTexts), so one round trip
    this.conn = await openConnection(this.side.dsn, { multipleStatements: true });
    const c = parseMysqlDsn(this.side.dsn);
    // dateStrings: DATE/DATETIME keys decode to the server's exact text (binlog-keys.ts), never through a JS Date
    const z = new ZongJi({ host: c.host, port: c.port, user: c.user, password: c.password, dateStrings: true });
    this.z = z;
    if (this.keyOnlyRows && installKeyRows()) {
      const db = this.side.db;
      const keyCols = new Map([...this.shapes].map(([t, s]) => [t, new Set(s.key.columns.map((c) => c.name))]));
      const pick: KeyColumns = (map) => (map.parentSchema === db ? keyCols.get(map.tableName) : undefined);
      (z as unknown as { [KEY_COLUMNS]: KeyColumns })[KEY_COLUMNS] = pick;
    }
    const ready = new Promise<void>((resolve, reject) => {
      z.on('ready', () => resolve());
      z.on('error', (err: Error & { errno?: number }) => {
        // 1236: the server cannot read from the position (its file was purged between the check above and the dump)
        const e = err.errno === 1236 ? new SplitError('BLOCKED', `${purgedWhy({ ...from, file: `${from.file} (${err.message})` }, [])}`) : err;
        this.fail(e);
        reject(e);
      });
    });
    z.on('binlog', (e: unknown) => {
      this.onEvent(e as RowEvent);
      this.gap(z);
    });
    z.start({
      filename: from.file, position: from.pos, serverId: 0x40000000 + Math.floor(Math.random() * 0x3fffffff),
      includeEvents: ['rotate', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query', 'mariadbgtid', 'heartbeat'],
      // row events of other tables (the changelog's own inserts included) are skipped undecoded
      includeSchema: { [this.side.db]: [...this.shapes.keys()] },
    });
    await ready;
  }

  private gapping = false;

  /**
   * Once the events already received are handled (setImmediate), the socket
   * is paused for readGapMs (when > 0). Only the stream is paused: zongji's own pause
   * (while it fetches a table's columns) is mysql2's connection flag, which
   * keeps queueing packets whatever the stream does.
   */
  private gap(z: ZongJi): void {
    if (this.gapping || this.readGapMs <= 0) return;
    const stream = (z as unknown as { connection?: { stream?: NodeJS.ReadableStream } }).connection?.stream;
    if (!stream || typeof stream.pause !== 'function') return;
    this.gapping = true;
    setImmediate(() => {
      if (this.z !== z) return;
      stream.pause();
      setTimeout(() => {
        this.gapping = false;
        if (this.z === z) stream.resume();
      }, this.readGapMs).unref();
    });
  }

  private fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    this.log?.warn({ err: err.message, seen: formatPos(this.seen) }, 'binlog capture: reader failed');
    for (const w of this.waiters) w();
  }

  private onEvent(e: RowEvent): void {
    // the class name (zongji's event names are its lower case, made per event)
    const name = e.getTypeName();
    switch (name) {
      case 'TableMap': {
        const map = e.tableMap?.[e.tableId!];
        const shape = map && map.parentSchema === this.side.db ? this.shapes.get(map.tableName) : undefined;
        if (shape) rawStringKeys(shape, map!);
        return;
      }
      case 'WriteRows':
      case 'DeleteRows':
      case 'UpdateRows': {
        const map = e.tableMap![e.tableId!];
        if (!map || map.parentSchema !== this.side.db) return;
        const shape = this.shapes.get(map.tableName);
        if (!shape) return;
        let set = this.keys.get(shape.name);
        if (!set) this.keys.set(shape.name, (set = new Set()));
        const before = set.size;
        try {
          if (name === 'UpdateRows') {
            for (const r of e.rows!) {
              const before = r.before as Record<string, unknown>;
              set.add(binlogKeyText(shape, before));
              // MINIMAL images: the after image lacks the key columns the update left alone
              set.add(binlogKeyText(shape, afterKeyRow(shape, r.after as Record<string, unknown>, before)));
            }
          } else {
            for (const r of e.rows!) set.add(binlogKeyText(shape, r));
          }
        } catch (err) {
          this.fail(err as Error);
          void this.stop();
        }
        this.nkeys += set.size - before;
        return;
      }
      case 'MariadbGtid':
        this.gtid.begin(e.domainId!, e.serverId!, e.seqNo!);
        // a group wrapped in BEGIN … COMMIT/XID (not a standalone statement such as DDL)
        this.inGroup = e.standalone !== true;
        return;
      case 'Rotate':
        this.file = String(e.binlogName);
        return;
      case 'Xid':
        this.inGroup = false;
        return this.ended(e);
      case 'Query':
        return this.onQuery(e);
    }
  }

  /**
   * A Query event ends a transaction when it is the COMMIT (or ROLLBACK) of a
   * group — a non-transactional engine's — or a statement outside any group
   * (DDL). Inside a group it may be anything else — `SAVEPOINT`, `ROLLBACK TO
   * SAVEPOINT` are logged as Query events amid the row events — and is no end:
   * a position saved there would sit mid-transaction (and its GTID would
   * claim the whole group). MySQL opens a group with a `BEGIN` Query event;
   * MariaDB with its GTID event (`inGroup`, from the event's standalone flag).
   */
  private onQuery(e: RowEvent): void {
    const text = String(e.query).trim().toUpperCase();
    if (text === 'BEGIN') {
      this.inGroup = true;
      return;
    }
    if (this.inGroup && text !== 'COMMIT' && text !== 'ROLLBACK') return;
    this.inGroup = false;
    this.ended(e);
  }

  /**
   * A transaction's end: the newest position to save. Its GTID position is
   * added when the flush takes it (`withGtid`): no commit is tracked in
   * between, so the tracker's text then is this end's.
   */
  private ended(e: RowEvent): void {
    if (!e.nextPosition) return;
    this.gtid.commit();
    this.counts.transactions++;
    this.next = { file: this.file, pos: e.nextPosition };
    this.kick();
  }

  private withGtid(p: BinlogPos): BinlogPos {
    const gtid = this.gtid.text;
    return gtid === undefined ? p : { ...p, gtid };
  }

  /**
   * Starts a flush, at most one every FLUSH_GAP_MS (each flush is a durable
   * commit on the source, competing with the application's own commits for
   * the log's fsync); `now` skips the wait (someone waits for it).
   */
  private kick(now = false): void {
    if (this.flushing || this.error || !this.next) return;
    const wait = this.flushedAt + this.flushGapMs - Date.now();
    if (!now && wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.kick(true);
      }, wait);
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flushedAt = Date.now();
    this.flushing = this.flush().catch((err) => this.fail(err as Error)).finally(() => {
      this.flushing = null;
      if (this.next) this.kick();
    });
  }

  /** Every key read so far and the newest transaction end, in one transaction when there are keys. */
  private async flush(): Promise<void> {
    if (!this.next) return;
    const pos = this.withGtid(this.next);
    const keys = this.keys;
    const n = this.nkeys;
    this.keys = new Map();
    this.nkeys = 0;
    this.next = null;
    if (n || Date.now() - this.savedAt >= IDLE_SAVE_MS) await this.save(keys, n, pos);
    this.seen = pos;
    for (const w of this.waiters) w();
  }

  private async save(keys: Map<string, Set<string>>, n: number, pos: BinlogPos): Promise<void> {
    const conn = this.conn!;
    const texts = flushTexts(changelogTable(this.service), this.tableLits, n ? keys : new Map(),
      `UPDATE ${q(positionTable(this.service))} SET file = ${lit(pos.file)}, pos = ${Math.trunc(pos.pos)}, gtid = ${pos.gtid === undefined ? 'NULL' : lit(pos.gtid)} WHERE id = 1`);
    try {
      // one round trip for a flush of up to FLUSH_TEXT_BYTES (the server stops at a failing statement: rolled back below)
      for (const t of texts) await conn.query(t);
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    this.counts.keys += n;
    this.counts.flushes++;
    this.saved = pos;
    this.savedAt = Date.now();
  }

  /** True once every key logged before `p` is in the changelog. */
  reached(p: BinlogPos): boolean {
    return !!this.seen && comparePos(this.seen, p) >= 0;
  }

  /** Waits until the reader has passed `p` (throws the reader's error, or on timeout / abort). */
  async waitFor(p: BinlogPos, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.reached(p)) {
      if (this.error) throw this.error;
      this.kick(true);
      // a flush with no keys to save passes the position at once, inside kick: waiting for its notification then
      // would sleep until the next flush (or 200 ms)
      if (this.reached(p)) return;
      if (signal?.aborted) throw new Error('aborted');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`binlog capture did not reach ${formatPos(p)} within ${timeoutMs} ms (at ${formatPos(this.seen)})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(left, 200));
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.waiters.add(done);
      }).finally(() => this.waiters.clear());
    }
  }

  /** Stops reading; the newest passed position is saved (an incomplete transaction is read again next time). */
  async stop(): Promise<void> {
    const z = this.z;
    this.z = null;
    if (z) {
      // zongji may still decode a packet it had buffered after stop() dropped its connection (a DATETIME column then
      // throws reading the connection's config): whatever it says or reads from here on is not ours to act on
      z.removeAllListeners('binlog');
      z.removeAllListeners('error');
      z.on('error', () => undefined);
      await new Promise<void>((resolve) => {
        z.once('stopped', () => resolve());
        z.stop();
        setTimeout(resolve, 2000).unref();
      });
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.flushing) await this.flushing.catch(() => undefined);
    if (!this.error && this.next) await this.flush().catch((err) => this.fail(err as Error));
    if (!this.error && this.seen && this.saved && comparePos(this.seen, this.saved) > 0) await this.save(new Map(), 0, this.seen).catch(() => undefined);
    const c = this.conn;
    this.conn = null;
    if (c) await c.end().catch(() => c.destroy());
  }
}
