import { KEY_ALIAS } from './keys.ts';
import { compareColumns, type ColumnInfo, type TableShape } from './sql.ts';

/**
 * Canonical form of one value for row comparison: the exact bytes the
 * server sent (the exact select list reads every column as a binary string,
 * exact.ts), as hex; NULL apart from every byte string. JSON is compared as
 * bytes too: a key order or spacing change is a change (MariaDB keeps JSON
 * text as written; MySQL's native JSON prints one normal form on both sides).
 * A value that arrives as a JS string (a reader that is not exact) is
 * compared as its UTF-8 bytes; never as a parsed number. Pure.
 */
export function canonicalValue(_col: ColumnInfo, v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Buffer.isBuffer(v)) return `x${v.toString('hex')}`;
  if (v instanceof Uint8Array) return `x${Buffer.from(v).toString('hex')}`;
  return `x${Buffer.from(String(v), 'utf8').toString('hex')}`;
}

export interface RowDiff {
  pk: string;
  kind: 'missing-on-target' | 'extra-on-target' | 'different' | 'chunk-hash-differs';
  columns?: string[];
}

/**
 * Compares two row sets keyed by their key text (rows read with keySelect, keys.ts:
 * the exact bytes of the key, so a key whose case changed is missing + extra), every
 * compared column as exact bytes. Reported in the order the server returned the
 * source rows, then the target's extras. Pure.
 */
export function diffRows(shape: TableShape, source: Array<Record<string, unknown>>, target: Array<Record<string, unknown>>): RowDiff[] {
  const t = new Map(target.map((r) => [String(r[KEY_ALIAS]), r]));
  const out: RowDiff[] = [];
  for (const s of source) {
    const key = String(s[KEY_ALIAS]);
    const o = t.get(key);
    if (!o) {
      out.push({ pk: key, kind: 'missing-on-target' });
      continue;
    }
    t.delete(key);
    const cols = compareColumns(shape).filter((c) => canonicalValue(c, s[c.name]) !== canonicalValue(c, o[c.name])).map((c) => c.name);
    if (cols.length) out.push({ pk: key, kind: 'different', columns: cols });
  }
  for (const key of t.keys()) out.push({ pk: key, kind: 'extra-on-target' });
  return out;
}
