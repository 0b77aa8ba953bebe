/**
 * Key-only row decoding for binlog capture. The changelog needs only the key
 * columns of each row image, but the reader (@vlasky/zongji) decodes every
 * column of every row into JS values (strings, DECIMAL texts, dates, JSON
 * objects). `installKeyRows` replaces its per-row step, for one reader
 * instance only, with one that decodes the columns `keyColumns` names — with
 * zongji's own value decoder, so key values are exactly what they were — and
 * steps over every other column by its stored length, computed from the table
 * map's column type and metadata (`columnWidth`, below) without reading the
 * value. The row object it returns holds the decoded columns only.
 *
 * Exactness of the skip: `columnWidth` gives, for every type zongji decodes,
 * the number of bytes zongji's decoder consumes (common.js readMysqlValue);
 * a type it does not know (none today: MySQL's old DECIMAL, NEWDATE and NULL
 * codes, which zongji refuses itself) is decoded by zongji as before. A row
 * that would end past the event's end fails the reader. The unit test decodes
 * real events of a real server both ways and compares every key value and
 * every row boundary (binlog-rows.test.ts).
 */

// zongji's package exports only its entry point: its modules are loaded by file URL, which is the same module
// instance its entry point loads (the same resolved URL)
const ZONGJI = import.meta.resolve('@vlasky/zongji');
const Common = (await import(new URL('./lib/common.js', ZONGJI).href)) as { MysqlTypes: Record<string, number>; readMysqlValue: unknown };
const Rows = (await import(new URL('./lib/rows_event.js', ZONGJI).href)) as { WriteRows: { prototype: object }; UpdateRows: { prototype: object } };

/** zongji's row parser (lib/reader.js): a packet buffer and an offset into it. */
export interface RowParser {
  _buffer: Buffer;
  _offset: number;
  _packetEnd: number;
}

/** One column of zongji's table map (`tableMap[id].columns[i]`), after its TableMap event. */
export interface MapColumn {
  name: string;
  type: number;
  charset?: string | null;
  metadata?: Record<string, number> | undefined;
}

export interface RowTableMap {
  columns: MapColumn[];
  columnSchemas: Array<{ COLUMN_NAME: string; COLUMN_TYPE: string }>;
  parentSchema: string;
  tableName: string;
}

const T = Common.MysqlTypes;
/** Bytes of a packed DECIMAL's leftover digits (MySQL's dig2bytes). */
const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
/** MariaDB 5.3 "hires" temporal formats, bytes by fraction digits (zongji common.js). */
const HIRES_TIME = [3, 4, 4, 5, 5, 5, 6];
const HIRES_DATETIME = [5, 6, 6, 7, 7, 7, 8];
const HIRES_TS_FRACTION = [0, 1, 1, 2, 2, 3, 3];

/** How a column is stepped over: a fixed byte count (>= 0), a length prefix of n bytes (PREFIX - n), or decoded. */
const DECODE = -1;
const PREFIX = -10;
const LENGTH_CODED = -20;

/** The fraction digits of a MariaDB hires TIME/DATETIME/TIMESTAMP (the classic type codes with a precision), else 0. */
function hiresDigits(columnType: string): number {
  const m = /^(?:time|datetime|timestamp)\((\d)\)/.exec(columnType);
  return m ? Number(m[1]) : 0;
}

/**
 * Pure: how the row image stores a column: a fixed width in bytes (>= 0),
 * PREFIX - n for a value behind an n-byte little-endian length, LENGTH_CODED
 * for a length-coded number, DECODE when only zongji's decoder knows (it then
 * reads the value as before). Mirrors, type by type, what zongji's
 * readMysqlValue consumes.
 */
export function columnPlan(c: { type: number; metadata?: Record<string, number> | undefined }, columnType: string): number {
  const md = c.metadata ?? {};
  const frac = (d: number | undefined) => Math.ceil((d ?? 0) / 2);
  switch (c.type) {
    case T.TINY: case T.YEAR: return 1;
    case T.SHORT: return 2;
    case T.INT24: case T.DATE: return 3;
    case T.LONG: case T.FLOAT: return 4;
    case T.LONGLONG: case T.DOUBLE: return 8;
    case T.NEWDECIMAL: {
      const scale = md.decimals;
      const precision = md.precision;
      if (!Number.isInteger(scale) || !Number.isInteger(precision) || scale > precision) return DECODE;
      const int = precision - scale;
      return Math.floor(int / 9) * 4 + DIG2BYTES[int % 9] + Math.floor(scale / 9) * 4 + DIG2BYTES[scale % 9];
    }
    case T.ENUM: case T.SET:
      return md.size >= 1 && md.size <= 8 ? md.size : DECODE;
    case T.VARCHAR: case T.STRING: case T.VARCHAR_COMPRESSED:
      return Number.isInteger(md.max_length) ? PREFIX - (md.max_length > 255 ? 2 : 1) : DECODE;
    case T.VAR_STRING:
      return LENGTH_CODED;
    case T.BLOB: case T.BLOB_COMPRESSED: case T.JSON: case T.GEOMETRY:
      return md.length_size >= 1 && md.length_size <= 4 ? PREFIX - md.length_size : DECODE;
    case T.BIT:
      return Number.isInteger(md.bits) ? Math.floor((md.bits + 7) / 8) : DECODE;
    case T.TIME: {
      const h = hiresDigits(columnType);
      return h > 0 ? HIRES_TIME[h] : 3;
    }
    case T.DATETIME: {
      const h = hiresDigits(columnType);
      return h > 0 ? HIRES_DATETIME[h] : 8;
    }
    case T.TIMESTAMP: {
      const h = hiresDigits(columnType);
      return h > 0 ? 4 + HIRES_TS_FRACTION[h] : 4;
    }
    case T.TIME2: return 3 + frac(md.decimals);
    case T.DATETIME2: return 5 + frac(md.decimals);
    case T.TIMESTAMP2: return 4 + frac(md.decimals);
    default: return DECODE;
  }
}

/** Pure: the bytes a column with plan `p` takes at `off` of `buf`. */
export function widthAt(p: number, buf: Buffer, off: number): number {
  if (p >= 0) return p;
  if (p === LENGTH_CODED) {
    const first = buf[off];
    if (first < 251) return 1 + first;
    if (first === 252) return 3 + buf.readUInt16LE(off + 1);
    if (first === 253) return 4 + buf.readUIntLE(off + 1, 3);
    if (first === 254) return 9 + buf.readUIntLE(off + 1, 6) + buf.readUInt16LE(off + 7) * 2 ** 48;
    return 1; // 251: a NULL length; zongji reads a null string
  }
  const n = PREFIX - p;
  return n + buf.readUIntLE(off, n);
}

export { DECODE };

/** Per table map (zongji rebuilds `columns` when the table changes): each column's plan, DECODE for the columns to decode. */
interface Plan {
  decode: ReadonlySet<string>;
  plans: Int32Array;
  names: string[];
}

const PLANS = new WeakMap<MapColumn[], Plan>();
/** Set bits per byte value. */
const BITS = Uint8Array.from({ length: 256 }, (_, b) => { let n = 0; for (let x = b; x; x >>= 1) n += x & 1; return n; });

function planOf(map: RowTableMap, decode: ReadonlySet<string>): Plan {
  let p = PLANS.get(map.columns);
  if (!p || p.decode !== decode) {
    const plans = new Int32Array(map.columns.length);
    map.columns.forEach((c, i) => (plans[i] = decode.has(c.name) ? DECODE : columnPlan(c, map.columnSchemas[i]?.COLUMN_TYPE ?? '')));
    p = { decode, plans, names: map.columns.map((c) => c.name) };
    PLANS.set(map.columns, p);
  }
  return p;
}

type ReadValue = (parser: RowParser, column: MapColumn, schema: unknown, map: RowTableMap, zongji: unknown) => unknown;
const readValue = Common.readMysqlValue as ReadValue;

/**
 * One row image (null bitmap, then the present, non-NULL columns' values) as
 * an object of the `decode` columns only (null where the image has NULL or
 * leaves the column out), the parser moved past the row.
 */
export function readKeyRow(parser: RowParser, map: RowTableMap, present: Buffer, decode: ReadonlySet<string>, zongji: unknown): Record<string, unknown> {
  const { plans, names } = planOf(map, decode);
  const buf = parser._buffer;
  // the null bitmap has a bit per present column: counted over the whole bitmap, as zongji counts it
  let n = 0;
  for (let i = 0; i < present.length; i++) n += BITS[present[i]];
  const nulls = parser._offset;
  let off = nulls + ((n + 7) >> 3);
  const end = parser._packetEnd;
  const row: Record<string, unknown> = {};
  for (let i = 0, j = 0; i < names.length; i++) {
    const p = plans[i];
    if (!(present[i >> 3] & (1 << (i & 7)))) {
      if (p === DECODE) row[names[i]] = null;
      continue;
    }
    const isNull = buf[nulls + (j >> 3)] & (1 << (j & 7));
    j++;
    if (isNull) {
      if (p === DECODE) row[names[i]] = null;
      continue;
    }
    if (off >= end) throw new Error(`binlog row image of ${map.parentSchema}.${map.tableName} ends before column ${names[i]}`);
    if (p === DECODE) {
      parser._offset = off;
      row[names[i]] = readValue(parser, map.columns[i], map.columnSchemas[i], map, zongji);
      off = parser._offset;
    } else {
      off += widthAt(p, buf, off);
    }
  }
  if (off > end) throw new Error(`binlog row image of ${map.parentSchema}.${map.tableName} runs past its event (${off} > ${end})`);
  parser._offset = off;
  return row;
}

/** Set on a zongji instance: the columns to decode of a table's rows, or undefined to decode them all (zongji's own way). */
export const KEY_COLUMNS = Symbol('split-db key columns');

export type KeyColumns = (map: RowTableMap) => ReadonlySet<string> | undefined;

interface RowsEventLike {
  _zongji: { [KEY_COLUMNS]?: KeyColumns };
  tableMap: Record<number, RowTableMap>;
  tableId: number;
  columns_present_bitmap: Buffer;
  columns_present_bitmap2?: Buffer;
}

let installed = false;

/**
 * Hooks zongji's rows events (once per process): an instance with
 * `[KEY_COLUMNS]` set gets key-only rows for the tables it names; every
 * other instance and table is decoded by zongji unchanged. False (nothing
 * hooked) when zongji's internals are not the ones this was written for.
 */
export function installKeyRows(): boolean {
  if (installed) return true;
  const base = Object.getPrototypeOf(Rows.WriteRows?.prototype ?? {}) as { _fetchOneRow(this: RowsEventLike, p: RowParser): unknown };
  const update = (Rows.UpdateRows?.prototype ?? {}) as { _fetchOneRow(this: RowsEventLike, p: RowParser): unknown };
  const origBase = base?._fetchOneRow;
  const origUpdate = update._fetchOneRow;
  // a zongji whose internals moved (another version): rows are decoded its own way, every column, as before
  if (typeof origBase !== 'function' || typeof origUpdate !== 'function' || origBase === origUpdate || typeof Common.readMysqlValue !== 'function') return false;
  installed = true;
  base._fetchOneRow = function (parser) {
    const map = this.tableMap[this.tableId];
    const cols = this._zongji[KEY_COLUMNS]?.(map);
    if (!cols) return origBase.call(this, parser);
    return readKeyRow(parser, map, this.columns_present_bitmap, cols, this._zongji);
  };
  update._fetchOneRow = function (parser) {
    const map = this.tableMap[this.tableId];
    const cols = this._zongji[KEY_COLUMNS]?.(map);
    if (!cols) return origUpdate.call(this, parser);
    return {
      before: readKeyRow(parser, map, this.columns_present_bitmap, cols, this._zongji),
      after: readKeyRow(parser, map, this.columns_present_bitmap2!, cols, this._zongji),
    };
  };
  return true;
}
