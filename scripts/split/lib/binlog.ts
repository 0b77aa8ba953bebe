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
import { binlogKeyText, binlogKeyWhy, comparePos, formatPos, type BinlogPos } from './binlog-keys.ts';
import { cascadePaths } from './cascade.ts';
import { foreignKeys } from './introspect.ts';
import { openConnection, type Side } from './side.ts';
import { changelogTable, q, type TableShape } from './sql.ts';

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
  const [rows] = await side.knex.raw(`SELECT file, pos FROM ${q(positionTable(service))} WHERE id = 1`);
  const r = (rows as Array<{ file: string; pos: number | string }>)[0];
  return r ? { file: r.file, pos: Number(r.pos) } : null;
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
  const have = await savedPos(side, service);
  if (have) return have;
  const p = await masterPos(side);
  await side.knex.raw(`INSERT IGNORE INTO ${q(positionTable(service))} (id, file, pos) VALUES (1, ?, ?)`, [p.file, p.pos]);
  return (await savedPos(side, service))!;
}

interface ServerFacts {
  logBin: boolean;
  format: string;
  rowImage: string;
  grants: string[];
}

async function serverFacts(side: Side): Promise<ServerFacts> {
  const [[v]] = await side.knex.raw('SELECT @@log_bin AS logBin, @@GLOBAL.binlog_format AS fmt, @@GLOBAL.binlog_row_image AS img');
  const [g] = await side.knex.raw('SHOW GRANTS');
  return {
    logBin: Number(v.logBin) === 1, format: String(v.fmt).toUpperCase(), rowImage: String(v.img).toUpperCase(),
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
  if (!reasons.length) return { mode: 'binlog', why: `${flag === 'binlog' ? 'chosen by --capture binlog' : 'log_bin=ON, binlog_format=ROW, every key decodes exactly'}${also}` };
  if (flag === 'binlog') throw Object.assign(new Error(`--capture binlog is not possible: ${reasons.join('; ')}`), { reasons });
  return { mode: 'triggers', why: `binlog capture not possible: ${reasons.join('; ')}` };
}

interface Pending {
  keys: Array<[string, string]>;
  pos: BinlogPos;
}

export interface PumpLog {
  warn(obj: object, msg: string): void;
}

/** Changelog rows per INSERT statement. */
const INSERT_ROWS = 500;
/** Shortest gap between two changelog commits of the reader (keys of the transactions read meanwhile go in one). */
const FLUSH_GAP_MS = 50;
/** A position with no keys behind it is saved at most this often (the save is itself a binlog transaction). */
const IDLE_SAVE_MS = 10_000;

/**
 * Reads the binlog from the saved position and turns row events of the moved
 * tables into changelog rows. `seen` is the newest transaction end whose keys
 * are all in the changelog; `waitFor` blocks until it passes a position.
 */
export class BinlogPump {
  seen: BinlogPos | null = null;
  error: Error | null = null;
  private z: ZongJi | null = null;
  private file = '';
  private txn = new Map<string, [string, string]>();
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private conn: mysql.Connection | null = null;
  private savedAt = 0;
  private saved: BinlogPos | null = null;
  private waiters = new Set<() => void>();
  private flushedAt = 0;
  private timer: NodeJS.Timeout | null = null;

  private side: Side;
  private service: string;
  private shapes: Map<string, TableShape>;
  private log?: PumpLog;

  constructor(side: Side, service: string, shapes: Map<string, TableShape>, log?: PumpLog) {
    this.side = side;
    this.service = service;
    this.shapes = shapes;
    this.log = log;
  }

  async start(): Promise<void> {
    const from = await savedPos(this.side, this.service);
    if (!from) throw new Error(`no saved binlog position for ${this.service}: capture was not started`);
    this.seen = from;
    this.saved = from;
    this.file = from.file;
    this.conn = await openConnection(this.side.dsn);
    const c = parseMysqlDsn(this.side.dsn);
    const z = new ZongJi({ host: c.host, port: c.port, user: c.user, password: c.password });
    this.z = z;
    const ready = new Promise<void>((resolve, reject) => {
      z.on('ready', () => resolve());
      z.on('error', (err: Error) => {
        this.fail(err);
        reject(err);
      });
    });
    z.on('binlog', (e: unknown) => this.onEvent(e as Record<string, unknown> & { getEventName(): string; nextPosition: number }));
    z.start({
      filename: from.file, position: from.pos, serverId: 0x40000000 + Math.floor(Math.random() * 0x3fffffff),
      includeEvents: ['rotate', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query', 'mariadbgtid', 'heartbeat'],
      // row events of other tables (the changelog's own inserts included) are skipped undecoded
      includeSchema: { [this.side.db]: [...this.shapes.keys()] },
    });
    await ready;
  }

  private fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    this.log?.warn({ err: err.message, seen: formatPos(this.seen) }, 'binlog capture: reader failed');
    for (const w of this.waiters) w();
  }

  private onEvent(e: Record<string, unknown> & { getEventName(): string; nextPosition: number }): void {
    const name = e.getEventName();
    if (name === 'rotate') {
      this.file = String(e.binlogName);
      return;
    }
    if (name === 'mariadbgtid') {
      this.txn.clear();
      return;
    }
    if (name === 'writerows' || name === 'deleterows' || name === 'updaterows') {
      const map = (e.tableMap as Record<number, { parentSchema: string; tableName: string }>)[e.tableId as number];
      if (!map || map.parentSchema !== this.side.db) return;
      const shape = this.shapes.get(map.tableName);
      if (!shape) return;
      try {
        for (const r of e.rows as Array<Record<string, unknown>>) {
          const images = name === 'updaterows' ? [r.before as Record<string, unknown>, r.after as Record<string, unknown>] : [r];
          for (const img of images) {
            const k = binlogKeyText(shape, img);
            this.txn.set(`${shape.name}\u0000${k}`, [shape.name, k]);
          }
        }
      } catch (err) {
        this.fail(err as Error);
        void this.stop();
      }
      return;
    }
    // a transaction's end (XID; COMMIT of a non-transactional engine) or a statement outside one (DDL)
    if (name === 'xid' || (name === 'query' && String(e.query).trim().toUpperCase() !== 'BEGIN')) {
      if (!e.nextPosition) return;
      this.queue.push({ keys: [...this.txn.values()], pos: { file: this.file, pos: e.nextPosition } });
      this.txn.clear();
      this.kick();
    }
  }

  /**
   * Starts a flush of the queue, at most one every FLUSH_GAP_MS (each flush
   * is a durable commit on the source, competing with the application's own
   * commits for the log's fsync); `now` skips the wait (someone waits for it).
   */
  private kick(now = false): void {
    if (this.flushing || this.error || !this.queue.length) return;
    const wait = this.flushedAt + FLUSH_GAP_MS - Date.now();
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
      if (this.queue.length) this.kick();
    });
  }

  /** Everything queued, in one transaction when it has keys: keys + the newest position. */
  private async flush(): Promise<void> {
    const batch = this.queue.splice(0);
    if (!batch.length) return;
    const keys = batch.flatMap((b) => b.keys);
    const pos = batch[batch.length - 1].pos;
    const now = Date.now();
    if (keys.length || now - this.savedAt >= IDLE_SAVE_MS) await this.save(keys, pos);
    this.seen = pos;
    for (const w of this.waiters) w();
  }

  private async save(keys: Array<[string, string]>, pos: BinlogPos): Promise<void> {
    const conn = this.conn!;
    await conn.query('START TRANSACTION');
    try {
      for (let i = 0; i < keys.length; i += INSERT_ROWS) {
        const part = keys.slice(i, i + INSERT_ROWS);
        await conn.query(`INSERT INTO ${q(changelogTable(this.service))} (tbl, pk) VALUES ${part.map(() => '(?, ?)').join(', ')}`, part.flat());
      }
      await conn.query(`UPDATE ${q(positionTable(this.service))} SET file = ?, pos = ? WHERE id = 1`, [pos.file, pos.pos]);
      await conn.query('COMMIT');
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
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
      await new Promise<void>((resolve) => {
        z.once('stopped', () => resolve());
        z.stop();
        setTimeout(resolve, 2000).unref();
      });
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.flushing) await this.flushing.catch(() => undefined);
    if (!this.error && this.queue.length) await this.flush().catch((err) => this.fail(err as Error));
    if (!this.error && this.seen && this.saved && comparePos(this.seen, this.saved) > 0) await this.save([], this.seen).catch(() => undefined);
    const c = this.conn;
    this.conn = null;
    if (c) await c.end().catch(() => c.destroy());
  }
}
