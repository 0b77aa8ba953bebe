import { KEY_ALIAS } from './keys.ts';
import type { ColumnInfo, TableShape } from './sql.ts';

/**
 * Canonical form of one value for row comparison: JSON compared by meaning
 * (object keys sorted, numbers normalised — ghostferry #147), binary as hex,
 * everything else as the exact string the server sent (DECIMAL, DATETIME(6),
 * unsigned BIGINT arrive as strings with the 'move' profile). Pure.
 */
export function canonicalValue(col: ColumnInfo, v: unknown): string {
  if (v === null || v === undefined) return '\u0000NULL';
  if (Buffer.isBuffer(v)) return `x${v.toString('hex')}`;
  if (col.isJson) {
    try {
      return `j${JSON.stringify(sortKeys(JSON.parse(String(v))))}`;
    } catch {
      return `s${String(v)}`;
    }
  }
  return `s${String(v)}`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

export interface RowDiff {
  pk: string;
  kind: 'missing-on-target' | 'extra-on-target' | 'different';
  columns?: string[];
}

/**
 * Compares two row sets keyed by their key text (rows read with keySelect, keys.ts:
 * the exact bytes of the key, so a key whose case changed is missing + extra). Reported
 * in the order the server returned the source rows, then the target's extras. Pure.
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
    const cols = shape.columns.filter((c) => canonicalValue(c, s[c.name]) !== canonicalValue(c, o[c.name])).map((c) => c.name);
    if (cols.length) out.push({ pk: key, kind: 'different', columns: cols });
  }
  for (const key of t.keys()) out.push({ pk: key, kind: 'extra-on-target' });
  return out;
}
