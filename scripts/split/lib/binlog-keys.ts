/**
 * Binlog capture, pure parts: which keys a ROW binlog image gives exactly, the
 * key text of a decoded row (byte-identical to what the capture triggers log,
 * keys.ts keyTextExpr: a JSON array of `HEX(CAST(col AS BINARY))`), and
 * binlog positions.
 *
 * Exactness, per key kind, with the row decoder (@vlasky/zongji):
 *  - integers (TINYINT … BIGINT, signed or UNSIGNED): decoded as a Number or,
 *    beyond 2^53, an exact decimal string; `CAST(int AS BINARY)` is the
 *    decimal text, so the hex of its ASCII digits is the key.
 *  - BINARY/VARBINARY: a Buffer of the bytes (BINARY(n) re-padded with the
 *    zero bytes the row image strips, as the column reads back).
 *  - CHAR/VARCHAR in utf8mb4/utf8mb3: decoded from UTF-8 into a JS string;
 *    the server stores only valid UTF-8 there, so encoding it again gives the
 *    stored bytes (CHAR's trailing spaces are stripped by both the row image
 *    and the column read).
 *  - YEAR: decoded as the year number (stored 0 as 1900, a year the type
 *    cannot hold): the four digits `CAST(year AS BINARY)` prints, `0000` for 0.
 *  - DECIMAL: decoded from the packed digits into the exact decimal text with
 *    every scale digit (`-0.50`, `12`), which is what `CAST(dec AS BINARY)`
 *    prints (the reader must not turn it into a Number).
 *  - DATE and DATETIME(0–6): decoded from the packed fields into the text the
 *    server prints (`YYYY-MM-DD[ hh:mm:ss[.f…]]`, the column's own fraction
 *    digits, zero dates included) — with the reader's `dateStrings` on, never
 *    through a JS Date.
 *  - CHAR/VARCHAR in any other character set (latin1, the default of older
 *    monoliths, gbk, ucs2 …): the reader would decode them into JS strings
 *    (latin1 as cp1252, whose five unassigned bytes do not come back), so
 *    `rawStringKeys` makes it hand over the stored bytes instead, as it does
 *    for VARBINARY; a text arriving for such a key fails the reader loudly.
 * The key kinds keys.ts accepts are all covered; a table keyed otherwise
 * would fall back to trigger capture, saying why.
 */
import type { ColumnInfo, TableShape } from './sql.ts';
import type { KeyText } from './keys.ts';

const INT_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year']);
const UTF8 = new Set(['utf8mb4', 'utf8mb3', 'utf8']);
/** Key kinds whose every column type decodes exactly, by the column's data type. */
const EXACT: Record<string, Set<string>> = {
  int: INT_TYPES,
  decimal: new Set(['decimal', 'numeric']),
  date: new Set(['date']),
  datetime: new Set(['datetime']),
};

/** Why a table's key cannot be decoded exactly from a binlog row image, or null when it can. */
export function binlogKeyWhy(shape: TableShape): string | null {
  const cols = new Map<string, ColumnInfo>(shape.columns.map((c) => [c.name, c]));
  for (const k of shape.key.columns) {
    const c = cols.get(k.name);
    const t = c?.dataType.toLowerCase() ?? '?';
    if (EXACT[k.kind]?.has(t)) continue;
    if (k.kind === 'binary') continue;
    if (k.kind === 'string' && (t === 'char' || t === 'varchar')) continue;
    const what = k.kind === 'string' ? `${t} in ${k.charset}` : t;
    return `${shape.name}.${k.name} is ${what}: only integer, YEAR, DECIMAL, DATE, DATETIME, BINARY/VARBINARY and CHAR/VARCHAR keys are decoded exactly from the binlog`;
  }
  return null;
}

/** The text each textual key kind must decode to (what `CAST(col AS BINARY)` prints). */
const TEXT_RE: Record<string, RegExp> = {
  decimal: /^-?\d{1,65}(?:\.\d{1,38})?$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  datetime: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?$/,
};

const ascii = (s: string): string => Buffer.from(s, 'ascii').toString('hex').toUpperCase();

/** The upper-case hex of an integer's ASCII text (`-?[0-9]+`): '-' is 2D, a digit d is 3d. */
export function digitsHex(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c === 45 ? '2D' : `3${c - 48}`;
  }
  return out;
}

/** A string key column whose bytes the reader hands over as they are stored (not UTF-8: see rawStringKeys). */
function isRawString(c: { kind: string; charset: string | null }): boolean {
  return c.kind === 'string' && !UTF8.has(String(c.charset ?? '').toLowerCase());
}

function hexOf(c: { name: string; kind: string; charset: string | null }, dataType: string, v: unknown): string {
  const kind = c.kind;
  if (v === null || v === undefined) throw new Error('a key column is NULL in the binlog row image');
  if (Buffer.isBuffer(v)) return v.toString('hex').toUpperCase();
  if (isRawString(c)) throw new Error(`key column ${c.name} (${c.charset}) arrived decoded as text from the binlog row image, not as its stored bytes`);
  if (dataType === 'year') {
    // the row image stores year - 1900 in one byte; 0 means the year 0000
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1900 || v > 2155) throw new Error(`not an exact YEAR key in the binlog row image: ${String(v).slice(0, 40)}`);
    return ascii(v === 1900 ? '0000' : String(v));
  }
  const re = TEXT_RE[kind];
  if (re) {
    if (typeof v !== 'string' || !re.test(v)) throw new Error(`not an exact ${kind} key text in the binlog row image: ${String(v).slice(0, 40)}`);
    return ascii(v);
  }
  if (kind === 'int') {
    // a safe integer prints as -?digits: no check needed (most keys: every row read passes here)
    if (typeof v === 'number' && Number.isSafeInteger(v)) return digitsHex(String(v));
    const s = typeof v === 'bigint' ? v.toString() : typeof v === 'number' ? '' : String(v);
    if (!/^-?\d{1,20}$/.test(s)) throw new Error(`not an exact integer key in the binlog row image: ${String(v).slice(0, 40)}`);
    return digitsHex(s);
  }
  if (kind === 'string' && typeof v === 'string') return Buffer.from(v, 'utf8').toString('hex').toUpperCase();
  throw new Error(`unexpected ${typeof v} for a ${kind} key in the binlog row image`);
}

/** The key columns' data types, looked up once per table shape (binlogKeyText runs for every row read). */
const KEY_TYPES = new WeakMap<TableShape, string[]>();

function keyTypes(shape: TableShape): string[] {
  let types = KEY_TYPES.get(shape);
  if (types === undefined) {
    types = shape.key.columns.map((k) => shape.columns.find((c) => c.name === k.name)?.dataType.toLowerCase() ?? '?');
    KEY_TYPES.set(shape, types);
  }
  return types;
}

/** The canonical key text of a decoded row image (the text the triggers log). */
export function binlogKeyText(shape: TableShape, row: Record<string, unknown>): KeyText {
  const types = keyTypes(shape);
  const cols = shape.key.columns;
  if (cols.length === 1) return `["${hexOf(cols[0], types[0], row[cols[0].name])}"]`;
  return `[${cols.map((c, i) => `"${hexOf(c, types[i], row[c.name])}"`).join(',')}]`;
}

/**
 * An update's after image, its key columns completed from the before image:
 * a MINIMAL after image holds only the columns the update changed (the
 * reader gives the others as null), so an absent key column kept its before
 * value. Key columns are NOT NULL (a primary key, or a NOT NULL unique key,
 * which only FULL images carry), so a null there means absent, never NULL.
 */
export function afterKeyRow(shape: TableShape, after: Record<string, unknown>, before: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const c of shape.key.columns) {
    if (after[c.name] === null || after[c.name] === undefined) (out ??= { ...after })[c.name] = before[c.name];
  }
  return out ?? after;
}

/** What the reader (@vlasky/zongji) keeps per table id after a table map event: one schema row per column. */
export interface ReaderTableMap {
  columnSchemas?: Array<{ COLUMN_NAME: string; COLUMN_TYPE: string }>;
}

/**
 * Called on every table map event of a moved table: the reader picks a text
 * column's decoding by its COLUMN_TYPE, and hands a `varbinary…` column over
 * as a Buffer of the stored bytes. Key columns in a character set other than
 * UTF-8 are marked so, so their key text is the bytes' hex, exactly what the
 * triggers log (`HEX(CAST(col AS BINARY))`); only key columns change (the
 * other columns are never read from the row image). Idempotent; the reader
 * rebuilds the schema rows when the table changes, and the next table map
 * event marks them again before any row event that uses them.
 */
const RAW_KEYS = new WeakMap<TableShape, Array<{ name: string }>>();

export function rawStringKeys(shape: TableShape, map: ReaderTableMap): void {
  let raw = RAW_KEYS.get(shape);
  if (raw === undefined) RAW_KEYS.set(shape, (raw = shape.key.columns.filter(isRawString)));
  if (!raw.length || !map.columnSchemas) return;
  for (const s of map.columnSchemas) {
    if (raw.some((c) => c.name === s.COLUMN_NAME) && !s.COLUMN_TYPE.startsWith('varbin')) s.COLUMN_TYPE = `varbinary /* split-db: stored bytes of ${s.COLUMN_TYPE} */`;
  }
}

/** A position in the source's binlog: the end of a transaction. */
export interface BinlogPos {
  file: string;
  pos: number;
  /**
   * MariaDB: the GTID position (`domain-server-seq,…`) of the same point,
   * saved with file+offset for the operator and for failover planning;
   * resume reads from file+offset. Absent on MySQL and on positions saved
   * by older versions.
   */
  gtid?: string;
}

function fileSeq(file: string): number {
  const m = /\.(\d+)$/.exec(file);
  return m ? Number(m[1]) : -1;
}

/** Orders positions: by the file's sequence number (`binlog.000012`), then the offset. */
export function comparePos(a: BinlogPos, b: BinlogPos): number {
  const fa = fileSeq(a.file);
  const fb = fileSeq(b.file);
  if (fa !== fb) return fa - fb;
  return a.pos - b.pos;
}

export function formatPos(p: BinlogPos | null | undefined): string {
  return p ? `${p.file}:${p.pos}` : 'none';
}

/** One GTID: domain, originating server, sequence number (64-bit unsigned: BigInt). */
export interface Gtid {
  domain: number;
  server: number;
  seq: bigint;
}

/** Pure: a MariaDB GTID position (`d-s-n,…`, '' = none) by domain. Throws on anything else. */
export function parseGtidPos(text: string): Map<number, Gtid> {
  const out = new Map<number, Gtid>();
  for (const part of text.split(',')) {
    const g = part.trim();
    if (g === '') continue;
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(g);
    if (!m) throw new Error(`not a MariaDB GTID position: ${JSON.stringify(text)}`);
    out.set(Number(m[1]), { domain: Number(m[1]), server: Number(m[2]), seq: BigInt(m[3]) });
  }
  return out;
}

export function formatGtidPos(pos: Map<number, Gtid>): string {
  return [...pos.values()].sort((a, b) => a.domain - b.domain).map((g) => `${g.domain}-${g.server}-${g.seq}`).join(',');
}

/** Pure: whether the transaction `g` is one of those up to `pos` (its domain's sequence number there is not lower). */
export function contains(pos: Map<number, Gtid>, g: Gtid): boolean {
  const have = pos.get(g.domain);
  return have !== undefined && have.seq >= g.seq;
}

/**
 * Per-domain MariaDB GTID position, advanced at transaction ends: the GTID
 * event opens a group, its commit (XID / COMMIT / a standalone statement)
 * makes it the domain's newest. `text` is the position as
 * @@gtid_binlog_pos prints it (domains in ascending order).
 */
export class GtidTracker {
  private domains = new Map<number, string>();
  private pending: { domain: number; gtid: string } | null = null;

  constructor(seed?: string | null) {
    for (const g of (seed ?? '').split(',')) {
      const m = /^(\d+)-\d+-\d+$/.exec(g);
      if (m) this.domains.set(Number(m[1]), g);
    }
  }

  begin(domain: number, server: number, seq: number | string): void {
    this.pending = { domain, gtid: `${domain}-${server}-${seq}` };
  }

  commit(): void {
    if (!this.pending) return;
    this.domains.set(this.pending.domain, this.pending.gtid);
    this.pending = null;
  }

  get text(): string | undefined {
    if (!this.domains.size) return undefined;
    return [...this.domains.keys()].sort((a, b) => a - b).map((d) => this.domains.get(d)!).join(',');
  }
}
