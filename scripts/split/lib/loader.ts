import { finished } from 'node:stream/promises';
import mysql from 'mysql2/promise';
import { parseMysqlDsn } from '../../../lib/db.ts';
import { Readable } from 'node:stream';
import { replaceRows } from './applier.ts';
import { execChecked, isRetryable, sleep, toolTransaction } from './context.ts';
import { SplitError } from './errors.ts';
import type { Faults } from './faults.ts';
import type { Link } from './link.ts';
import { orderBy, rangeWhere } from './keys.ts';
import { encodeStream, LOAD_FILE_PREFIX, loadDataSql, loadSelectList } from './load-data.ts';
import type { Side } from './side.ts';
import { qq, type TableShape } from './sql.ts';

/**
 * How the stream copy writes chunks into the target: `load-data` streams each
 * chunk into `LOAD DATA LOCAL INFILE` while it is read from the source
 * (load-data.ts); `insert` binds rows into multi-row REPLACE statements
 * (applier.ts `replaceRows`), the path for targets that refuse LOAD DATA LOCAL.
 */
export type StreamWrite = 'load-data' | 'insert';

export interface WritePath {
  write: StreamWrite;
  /** Why this path (shown by plan and status). */
  why: string;
}

/** Server errors meaning LOAD DATA LOCAL is refused (local_infile off on the server or the client). */
const LOAD_REFUSED = new Set([1148, 3948, 2068]);

export function isLoadDataRefused(err: unknown): boolean {
  const errno = (err as { errno?: number }).errno;
  return typeof errno === 'number' && LOAD_REFUSED.has(errno);
}

/**
 * Why LOAD DATA, as plan and status show it. LOAD DATA is a "bulk insert" for
 * InnoDB: unless the target runs innodb_autoinc_lock_mode=2 (MySQL 8's
 * default; MariaDB's is 1) it holds a table's AUTO-INC lock until the
 * statement ends, so the chunks in flight into one table with an
 * AUTO_INCREMENT column load one after another (docs/split.md "Copy").
 */
export function loadDataWhy(autoincLockMode: number | null): string {
  const base = 'LOAD DATA LOCAL INFILE streamed from the source, several chunks in flight (target has local_infile=ON';
  if (autoincLockMode === null || autoincLockMode === 2) return `${base}${autoincLockMode === 2 ? ', innodb_autoinc_lock_mode=2' : ''})`;
  return `${base}); chunks into a table with an AUTO_INCREMENT column load one at a time (target innodb_autoinc_lock_mode=${autoincLockMode}; ` +
    '2, set at the target server\'s start, loads them side by side)';
}

/** The write path for a stream copy into `target`, from the option and the server's `local_infile` (and AUTO-INC lock mode, for the why). */
export async function chooseWritePath(target: Side, wanted: 'auto' | StreamWrite): Promise<WritePath> {
  if (wanted === 'insert') return { write: 'insert', why: 'batch REPLACE statements (--stream-write insert)' };
  // asked without selecting the database: plan runs before the target database exists
  const c = parseMysqlDsn(target.dsn);
  const conn = await mysql.createConnection({ host: c.host, port: c.port, user: c.user, password: c.password });
  let on: boolean;
  let mode: number | null;
  try {
    const [rows] = await conn.query('SELECT @@GLOBAL.local_infile AS v, @@GLOBAL.innodb_autoinc_lock_mode AS m');
    const row = (rows as Array<{ v: unknown; m: unknown }>)[0];
    on = Number(row?.v) === 1;
    mode = row?.m === null || row?.m === undefined ? null : Number(row.m);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
  if (on) return { write: 'load-data', why: loadDataWhy(mode) };
  if (wanted === 'load-data') throw new SplitError('BAD_OPTION', `--stream-write load-data: the target ${target.masked} has local_infile=OFF (SET GLOBAL local_infile = 1 there, or use --stream-write auto)`);
  return { write: 'insert', why: 'batch REPLACE statements: the target has local_infile=OFF (SET GLOBAL local_infile = 1 there for the faster LOAD DATA path)' };
}

let files = 0;

function refused(path: string): Readable {
  return new Readable({
    read() {
      this.destroy(new Error(`LOAD DATA LOCAL: the server asked for a file the tool did not offer (${path.slice(0, 60)})`));
    },
  });
}

/**
 * Bytes of LOAD DATA text a loader reads ahead from the source before it
 * sends its statement (the whole chunk, when it is smaller). LOAD DATA is a
 * "bulk insert" for InnoDB: with innodb_autoinc_lock_mode=1 (the default) it
 * holds the table's AUTO-INC lock until the statement ends, so every other
 * loader of the table waits meanwhile. Streamed straight from the source, the
 * statement — and the lock — lasted as long as the source read: the loaders
 * took turns end to end. Read ahead, the statement lasts about as long as the
 * target's own insert work, and the next chunks' source reads run meanwhile.
 */
export const LOAD_READAHEAD_BYTES = 16 * 1024 * 1024;

/**
 * Makes the target's range (lo, hi] of `shape` equal to the source's in one
 * target transaction: deletes the target's rows in the range (when it holds
 * any), then loads the
 * source's rows of the range with LOAD DATA (REPLACE). The source's rows are
 * read and encoded first, up to LOAD_READAHEAD_BYTES (a larger chunk streams
 * the rest as it is read). Any warning fails the chunk (execChecked) — a
 * warning from LOAD DATA is a value the target did not store as sent. Rows
 * holding an ENUM error value are written afterwards by the INSERT path, in
 * the same transaction. Returns the rows written. The source is always read
 * to its end (a half-read result would hold the source connection).
 */
export async function loadChunk(link: Link, shape: TableShape, lo: string | null, hi: string, faults: Faults, readAheadBytes = LOAD_READAHEAD_BYTES): Promise<number> {
  // a deadlock or lock wait timeout runs the chunk again from the source read (its stream is spent)
  for (let i = 1; ; i++) {
    try {
      return await loadOnce(link, shape, lo, hi, faults, readAheadBytes);
    } catch (err) {
      if (i >= LOAD_ATTEMPTS || !isRetryable(err)) throw err;
      await sleep(20 * i);
    }
  }
}

const LOAD_ATTEMPTS = 5;

async function loadOnce(link: Link, shape: TableShape, lo: string | null, hi: string, faults: Faults, readAheadBytes: number): Promise<number> {
  const where = rangeWhere(shape.key, lo, hi);
  const select = `SELECT ${loadSelectList(shape.columns)} FROM ${qq(link.from.db, shape.name)} WHERE ${where} ORDER BY ${orderBy(shape.key)}`;
  const name = `${LOAD_FILE_PREFIX}${process.pid}-${++files}`;
  const { stream, encoder } = encodeStream(shape.columns, undefined, readAheadBytes);
  const source = (link.from.knex.raw(select) as unknown as { options(o: object): { stream(): Readable } }).options({ rowsAsArray: true, typeCast: false }).stream();
  source.on('error', (err) => stream.destroy(err));
  // the encoder failed: let the source run out on its own (a paused result would hold its connection)
  stream.on('close', () => {
    source.unpipe(stream);
    source.resume();
  });
  source.pipe(stream);
  let served = false;
  try {
    // read ahead: every row encoded, or readAheadBytes waiting (the source is paused there until the load reads on)
    await new Promise<void>((resolve, reject) => {
      stream.once('readahead', resolve);
      stream.once('finish', resolve);
      stream.once('error', reject);
      stream.once('close', () => reject(new Error('LOAD DATA stream closed before the chunk was read')));
    });
    return await toolTransaction(link.to.knex, async (tx) => {
      // an empty range (a fresh copy) needs no DELETE: its locking scan reads the first row above the range, which
      // another loader may be inserting (the next segment's first key), and waits for that loader's commit. The
      // non-locking read waits for nobody; during a round only the round's loaders write the table, in other ranges.
      const [held] = await tx.raw(`SELECT 1 FROM ${qq(link.to.db, shape.name)} WHERE ${where} LIMIT 1`);
      if ((held as unknown[]).length) await execChecked(tx, `DELETE FROM ${qq(link.to.db, shape.name)} WHERE ${where}`);
      const factory = (path: string): Readable => {
        // serve exactly the one file this statement names, once (a server asking for anything else gets an error)
        if (path !== name || served) return refused(path);
        served = true;
        return stream;
      };
      await execChecked(tx, loadDataSql(link.to.db, shape, name), [], { infileStreamFactory: factory });
      if (encoder.diverted.length) {
        const rows = encoder.diverted.map((r) => Object.fromEntries(shape.columns.map((c, i) => [c.name, r[i]])));
        await replaceRows(tx, link.to.db, shape, rows);
      }
      faults.hit('mid-chunk');
      return encoder.rows + encoder.diverted.length;
    }, 1);
  } finally {
    // read to the end whatever happened, so the source connection goes back to the pool
    stream.resume();
    await finished(source).catch(() => undefined);
  }
}
