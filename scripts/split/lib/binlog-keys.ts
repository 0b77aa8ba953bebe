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
 * Everything else (YEAR, DECIMAL, DATE, DATETIME, other character sets) is
 * not proven exact: the split falls back to trigger capture and says why.
 */
import type { ColumnInfo, TableShape } from './sql.ts';
import type { KeyText } from './keys.ts';

const INT_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const UTF8 = new Set(['utf8mb4', 'utf8mb3', 'utf8']);

/** Why a table's key cannot be decoded exactly from a binlog row image, or null when it can. */
export function binlogKeyWhy(shape: TableShape): string | null {
  const cols = new Map<string, ColumnInfo>(shape.columns.map((c) => [c.name, c]));
  for (const k of shape.key.columns) {
    const c = cols.get(k.name);
    const t = c?.dataType.toLowerCase() ?? '?';
    if (k.kind === 'int' && INT_TYPES.has(t)) continue;
    if (k.kind === 'binary') continue;
    if (k.kind === 'string' && UTF8.has(String(k.charset ?? c?.charset ?? '').toLowerCase())) continue;
    const what = k.kind === 'string' ? `${t} in ${k.charset}` : t;
    return `${shape.name}.${k.name} is ${what}: only integer, BINARY/VARBINARY and utf8mb4/utf8mb3 CHAR/VARCHAR keys are decoded exactly from the binlog`;
  }
  return null;
}

function hexOf(kind: string, v: unknown): string {
  if (v === null || v === undefined) throw new Error('a key column is NULL in the binlog row image');
  if (Buffer.isBuffer(v)) return v.toString('hex').toUpperCase();
  if (kind === 'int') {
    const s = typeof v === 'bigint' ? v.toString() : typeof v === 'number' ? (Number.isSafeInteger(v) ? String(v) : '') : String(v);
    if (!/^-?\d{1,20}$/.test(s)) throw new Error(`not an exact integer key in the binlog row image: ${String(v).slice(0, 40)}`);
    return Buffer.from(s, 'ascii').toString('hex').toUpperCase();
  }
  if (kind === 'string' && typeof v === 'string') return Buffer.from(v, 'utf8').toString('hex').toUpperCase();
  throw new Error(`unexpected ${typeof v} for a ${kind} key in the binlog row image`);
}

/** The canonical key text of a decoded row image (the text the triggers log). */
export function binlogKeyText(shape: TableShape, row: Record<string, unknown>): KeyText {
  return `[${shape.key.columns.map((c) => `"${hexOf(c.kind, row[c.name])}"`).join(',')}]`;
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
