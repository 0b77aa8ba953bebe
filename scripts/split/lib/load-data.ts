import { Readable, Transform, type TransformCallback } from 'node:stream';
import { exactRead, exactText, familyOf } from './exact.ts';
import { q, qq, type ColumnInfo, type TableShape } from './sql.ts';

/**
 * The stream copy's fast write path: rows read byte-exactly from the source
 * (exact.ts `exactRead`, every value a binary string) are turned into the
 * text `LOAD DATA LOCAL INFILE` reads, and streamed into the target while the
 * source is still being read. Pure, apart from the stream classes.
 *
 * Format: fields end with TAB, lines with LF, escape character backslash, no
 * enclosing; the file's CHARACTER SET is `binary`, so no byte is converted.
 * NULL is `\N` (an empty field is ''); in a value, backslash, TAB, LF and NUL
 * are written `\\`, `\t`, `\n`, `\0` — the escapes `SELECT … INTO OUTFILE`
 * writes. Every other byte goes as it is.
 *
 * Per column family (the write forms of exact.ts, in LOAD DATA terms):
 *  - numbers, DECIMAL, FLOAT (read widened: `col * 1e0`), DOUBLE, temporal,
 *    YEAR: the exact text into the column (the server parses it as it parses
 *    the quoted text of the INSERT path);
 *  - strings, binary strings, BIT, MariaDB's JSON: the stored bytes into the
 *    column (a binary string into BIT stores its bytes);
 *  - ENUM / SET: the index / bit mask into a user variable and
 *    `SET col = CAST(@v AS UNSIGNED)` (text into the column would be a member
 *    name); MySQL's native JSON: `SET col = CONVERT(@v USING utf8mb4)`.
 * A row holding an ENUM's '' error value (index 0) can only be written with a
 * warning: it is kept out of the stream and written by the INSERT path, which
 * accepts exactly that warning (applier.ts `replaceRows`).
 */

export const LOAD_FILE_PREFIX = 'split-db-chunk-';

type FieldTarget = { column: string } | { variable: string; set: string };

function fieldTarget(c: ColumnInfo, i: number): FieldTarget {
  switch (familyOf(c)) {
    case 'enum':
    case 'set':
      return { variable: `@v${i}`, set: `${q(c.name)} = CAST(@v${i} AS UNSIGNED)` };
    case 'json':
      return c.dataType.toLowerCase() === 'json' ? { variable: `@v${i}`, set: `${q(c.name)} = CONVERT(@v${i} USING utf8mb4)` } : { column: q(c.name) };
    default:
      return { column: q(c.name) };
  }
}

/** The LOAD DATA statement for one chunk of `shape` into `db` (the file name is what the stream factory is asked for). */
export function loadDataSql(db: string, shape: TableShape, fileName: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(fileName)) throw new Error(`load file name: ${fileName.slice(0, 40)}`);
  const targets = shape.columns.map(fieldTarget);
  const list = targets.map((t) => ('column' in t ? t.column : t.variable)).join(', ');
  const sets = targets.flatMap((t) => ('set' in t ? [t.set] : []));
  return `LOAD DATA LOCAL INFILE '${fileName}' REPLACE INTO TABLE ${qq(db, shape.name)} CHARACTER SET binary ` +
    `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${list})${sets.length ? ` SET ${sets.join(', ')}` : ''}`;
}

/**
 * Families whose text-protocol bytes are already the exact text (numbers,
 * temporal values and ENUM/SET indexes are ASCII in any connection charset;
 * binary strings and BIT have charset binary, never converted): read without
 * the `CAST(… AS BINARY)` wrapper, which costs the source server about as
 * much again as the read itself (measured: 5.0–6.1 vs 3.0–3.3 µs per
 * products row). Character strings and MariaDB's JSON keep it (the
 * connection would convert their bytes).
 */
const RAW_SAFE = new Set(['integer', 'decimal', 'float', 'double', 'enum', 'set', 'temporal', 'year', 'binary', 'bit']);

/** The source SELECT list of the LOAD DATA copy: exact texts, read as raw bytes (mysql2 `typeCast: false`: a Buffer per field, null for NULL, nothing parsed). */
export function loadSelectList(columns: ColumnInfo[]): string {
  return columns.map((c) => (RAW_SAFE.has(familyOf(c)) ? `${exactText(c)} AS ${q(c.name)}` : exactRead(c))).join(', ');
}

/** Columns whose values can hold bytes that need escaping (numbers and temporal text never do). */
function mayNeedEscape(c: ColumnInfo): boolean {
  switch (familyOf(c)) {
    case 'integer': case 'decimal': case 'float': case 'double': case 'enum': case 'set': case 'temporal': case 'year': return false;
    default: return true;
  }
}

const BACKSLASH = 0x5c;
const TAB = 0x09;
const LF = 0x0a;
const NUL = 0x00;
const ZERO = Buffer.from('0');

/** True when `b` holds a byte LOAD DATA would read as syntax. */
function special(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === BACKSLASH || c === TAB || c === LF || c === NUL) return true;
  }
  return false;
}

/**
 * Appends rows (arrays of Buffer | null, in `shape.columns` order) as LOAD
 * DATA text into growing output pieces. Rows holding an ENUM error value are
 * handed back instead (see the file comment).
 */
export class LineEncoder {
  private readonly escape: boolean[];
  private readonly enums: number[];
  private buf: Buffer;
  private pos = 0;
  rows = 0;
  readonly diverted: Array<Array<Buffer | null>> = [];
  private readonly pieceBytes: number;
  constructor(columns: ColumnInfo[], pieceBytes = 256 * 1024) {
    this.pieceBytes = pieceBytes;
    this.escape = columns.map(mayNeedEscape);
    this.enums = columns.flatMap((c, i) => (familyOf(c) === 'enum' ? [i] : []));
    this.buf = Buffer.allocUnsafe(pieceBytes * 2);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Encodes one row; returns false when it was diverted (ENUM error value). */
  add(row: Array<Buffer | null>): boolean {
    for (const i of this.enums) {
      const v = row[i];
      if (v !== null && v.equals(ZERO)) {
        this.diverted.push(row);
        return false;
      }
    }
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      // worst case: every byte escaped, plus the separator
      this.room(v === null ? 3 : 2 * v.length + 1);
      if (i > 0) this.buf[this.pos++] = TAB;
      if (v === null) {
        this.buf[this.pos++] = BACKSLASH;
        this.buf[this.pos++] = 0x4e; // N
      } else if (!this.escape[i] || !special(v)) {
        // TypedArray set: about half the time of Buffer#copy for the short values of a row
        this.buf.set(v, this.pos);
        this.pos += v.length;
      } else {
        for (let j = 0; j < v.length; j++) {
          const c = v[j];
          if (c === BACKSLASH || c === TAB || c === LF || c === NUL) {
            this.buf[this.pos++] = BACKSLASH;
            this.buf[this.pos++] = c === BACKSLASH ? BACKSLASH : c === TAB ? 0x74 : c === LF ? 0x6e : 0x30;
          } else this.buf[this.pos++] = c;
        }
      }
    }
    this.room(1);
    this.buf[this.pos++] = LF;
    this.rows++;
    return true;
  }

  /** Bytes encoded since the last take, when at least `min` (0: whatever there is). */
  take(min = this.pieceBytes): Buffer | undefined {
    if (this.pos === 0 || this.pos < min) return undefined;
    // a copy: a fresh buffer per piece instead costs more (measured: 0.71-0.87 vs 0.47-0.57 s per 300k products rows)
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}

/**
 * A transform from row arrays (mysql2 `rowsAsArray`, binary strings as
 * Buffers) to LOAD DATA text in pieces of about `pieceBytes` (each piece is
 * one protocol packet: well under max_allowed_packet). Up to `readAheadBytes`
 * of text wait in the stream before it pushes back on the rows' source; it
 * emits `readahead` once that much is waiting (or every row is encoded:
 * `finish`), see loader.ts.
 */
export function encodeStream(columns: ColumnInfo[], pieceBytes = 256 * 1024, readAheadBytes = 0): { stream: Transform; encoder: LineEncoder } {
  const encoder = new LineEncoder(columns, pieceBytes);
  let told = false;
  const stream = new Transform({
    writableObjectMode: true,
    readableObjectMode: false,
    ...(readAheadBytes > 0 ? { readableHighWaterMark: readAheadBytes } : {}),
    transform(row: Array<Buffer | null>, _enc: BufferEncoding, cb: TransformCallback) {
      try {
        encoder.add(row);
        const piece = encoder.take();
        cb(null, piece);
        if (!told && readAheadBytes > 0 && this.readableLength >= readAheadBytes) {
          told = true;
          this.emit('readahead');
        }
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb: TransformCallback) {
      cb(null, encoder.take(0));
    },
  });
  return { stream, encoder };
}

/** Rows encoded at once (tests, and the fallback when rows were already read): one readable of the whole text. */
export function encodeRows(columns: ColumnInfo[], rows: Array<Array<Buffer | null>>): { data: Readable; encoder: LineEncoder } {
  const encoder = new LineEncoder(columns);
  const pieces: Buffer[] = [];
  for (const r of rows) {
    encoder.add(r);
    const p = encoder.take();
    if (p) pieces.push(p);
  }
  const last = encoder.take(0);
  if (last) pieces.push(last);
  return { data: Readable.from(pieces, { objectMode: false }), encoder };
}
