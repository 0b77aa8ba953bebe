/**
 * A table's key — the columns every chunk, changelog entry and point lookup is
 * expressed in — and its SQL forms. Pure.
 *
 * The key is the PRIMARY KEY, else the first UNIQUE key whose columns are all
 * NOT NULL. Key values never pass through JS comparison: they travel as a
 * canonical text (a JSON array with the hex of each column's bytes as the
 * server prints them, `CAST(col AS BINARY)`), are turned back into exact SQL
 * literals in the column's own charset and collation, and every ordering,
 * boundary and range test is done by the server. So a case-insensitive UUID
 * key orders and compares exactly as the server's index does, and 'abc' and
 * 'ABC' are two encodings the server may consider one key.
 */
import { lit, q } from './sql.ts';

export type KeyKind = 'int' | 'decimal' | 'string' | 'binary' | 'date' | 'datetime';

export interface KeyColumn {
  name: string;
  kind: KeyKind;
  /** For `string`: the column's character set and collation (literals are written in them). */
  charset: string | null;
  collation: string | null;
}

export interface TableKey {
  /** `PRIMARY` or the name of the NOT NULL unique key used. */
  index: string;
  columns: KeyColumn[];
}

/** Canonical key text: `["<hex col1>","<hex col2>"]`. Older state documents and changelogs hold a bare integer. */
export type KeyText = string;

/** What `keyOf` needs of a table (a subset of introspect's TableInfo). */
export interface KeySource {
  name: string;
  pk: string[];
  uniqueKeys?: Array<{ name: string; columns: string[]; partial?: boolean }>;
  pkPartial?: boolean;
  allColumns: Array<{ name: string; dataType: string; columnType: string; nullable: boolean; generated: boolean; charset?: string | null; collation?: string | null }>;
}

const NAME_RE = /^[A-Za-z0-9_]+$/;
const INT_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year']);
const WHY_NOT: Record<string, string> = {
  float: 'FLOAT is approximate (equal values may not compare equal)',
  double: 'DOUBLE is approximate (equal values may not compare equal)',
  timestamp: 'TIMESTAMP values depend on the session time zone',
  time: 'TIME keys are not supported',
  enum: 'ENUM sorts by index but compares by text',
  set: 'SET sorts by index but compares by text',
  bit: 'BIT keys are not supported',
  json: 'JSON cannot be a key',
};

/** The kind of a key column, or why it cannot be one. */
export function keyKind(c: KeySource['allColumns'][number]): KeyKind | { why: string } {
  const t = c.dataType.toLowerCase();
  if (c.generated) return { why: `${c.name} is a generated column` };
  if (INT_TYPES.has(t)) return 'int';
  if (t === 'decimal' || t === 'numeric') return 'decimal';
  if (t === 'char' || t === 'varchar') {
    if (!c.charset || !c.collation || !NAME_RE.test(c.charset) || !NAME_RE.test(c.collation)) return { why: `${c.name} has no readable character set / collation` };
    return 'string';
  }
  if (t === 'binary' || t === 'varbinary') return 'binary';
  if (t === 'date') return 'date';
  if (t === 'datetime') return 'datetime';
  return { why: `${c.name} is ${c.columnType}: ${WHY_NOT[t] ?? `${t} cannot be a key`}` };
}

const WHAT_TO_ADD = 'add a PRIMARY KEY (or a UNIQUE key over NOT NULL columns) of integer, DECIMAL, CHAR/VARCHAR, BINARY/VARBINARY, DATE or DATETIME columns';

/** The key the tool uses for a table, or why the table is refused and what to add. */
export function keyOf(info: KeySource): { key: TableKey } | { refusal: string } {
  const cols = new Map(info.allColumns.map((c) => [c.name, c]));
  const build = (index: string, names: string[]): { key: TableKey } | { why: string } => {
    const out: KeyColumn[] = [];
    for (const n of names) {
      const c = cols.get(n);
      if (!c) return { why: `column ${n} not found` };
      const k = keyKind(c);
      if (typeof k !== 'string') return k;
      out.push({ name: n, kind: k, charset: k === 'string' ? c.charset!.toLowerCase() : null, collation: k === 'string' ? c.collation!.toLowerCase() : null });
    }
    return { key: { index, columns: out } };
  };
  const reasons: string[] = [];
  if (info.pk.length) {
    // an unusable primary key (approximate, prefix …) falls back to a usable NOT NULL unique key
    const k = info.pkPartial ? { why: 'it indexes a column prefix' } : build('PRIMARY', info.pk);
    if ('key' in k) return k;
    reasons.push(`primary key (${info.pk.join(', ')}): ${k.why}`);
  }
  for (const u of info.uniqueKeys ?? []) {
    const nullable = u.columns.filter((n) => cols.get(n)?.nullable);
    if (nullable.length) {
      reasons.push(`unique key ${u.name} allows NULL in ${nullable.join(', ')}`);
      continue;
    }
    if (u.partial) {
      reasons.push(`unique key ${u.name} indexes a column prefix`);
      continue;
    }
    const k = build(u.name, u.columns);
    if ('key' in k) return k;
    reasons.push(`unique key ${u.name}: ${k.why}`);
  }
  const head = info.pk.length ? 'no usable primary key' : 'no primary key';
  const uniques = (info.uniqueKeys ?? []).length;
  return { refusal: `${info.name}: ${head} and no ${uniques ? 'usable unique key' : 'NOT NULL unique key'}${reasons.length ? ` (${reasons.join('; ')})` : ''}; ${WHAT_TO_ADD}` };
}

function col(c: KeyColumn, alias?: string): string {
  return alias ? `${alias}.${q(c.name)}` : q(c.name);
}

/** SQL expression producing a row's canonical key text (the same text triggers log and rows are keyed by). */
export function keyTextExpr(key: TableKey, alias?: string): string {
  const parts = key.columns.map((c) => `HEX(CAST(${col(c, alias)} AS BINARY))`);
  return `CONCAT('["', ${parts.join(`, '","', `)}, '"]')`;
}

/** Column alias under which row reads carry their key text. */
export const KEY_ALIAS = '_split_key';

/** `<key text expr> AS _split_key` for SELECT lists. */
export function keySelect(key: TableKey, alias?: string): string {
  return `${keyTextExpr(key, alias)} AS ${q(KEY_ALIAS)}`;
}

export function keyColumnList(key: TableKey, alias?: string): string {
  return key.columns.map((c) => col(c, alias)).join(', ');
}

export function orderBy(key: TableKey, desc = false, alias?: string): string {
  return key.columns.map((c) => `${col(c, alias)}${desc ? ' DESC' : ''}`).join(', ');
}

const HEX_RE = /^(?:[0-9A-Fa-f]{2})*$/;
const INT_RE = /^-?\d{1,20}$/;
const DEC_RE = /^-?\d{1,65}(?:\.\d{1,38})?$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?$/;

/** The hex parts of a key text; a bare integer (older state documents and changelogs) for a one-column integer key. */
export function decodeKey(key: TableKey, text: KeyText): string[] {
  let parts: unknown;
  if (INT_RE.test(text) && key.columns.length === 1 && key.columns[0].kind === 'int') return [Buffer.from(text, 'latin1').toString('hex').toUpperCase()];
  try {
    parts = JSON.parse(text);
  } catch {
    throw new Error(`not a key of ${key.columns.map((c) => c.name).join(', ')}: ${text.slice(0, 60)}`);
  }
  if (!Array.isArray(parts) || parts.length !== key.columns.length || !parts.every((p) => typeof p === 'string' && HEX_RE.test(p))) {
    throw new Error(`not a key of ${key.columns.map((c) => c.name).join(', ')}: ${text.slice(0, 60)}`);
  }
  return parts as string[];
}

export function encodeKey(hexParts: string[]): KeyText {
  return `[${hexParts.map((h) => `"${h.toUpperCase()}"`).join(',')}]`;
}

/** Key text of a one-column integer key value (for arithmetic range splitting of integer keys). */
export function intKeyText(v: bigint | string): KeyText {
  const s = typeof v === 'bigint' ? v.toString() : v;
  if (!INT_RE.test(s)) throw new Error(`not an integer key value: ${s.slice(0, 40)}`);
  return encodeKey([Buffer.from(s, 'latin1').toString('hex')]);
}

/** True when the key is one integer column (ranges of it can be split by arithmetic). */
export function isIntKey(key: TableKey): boolean {
  return key.columns.length === 1 && key.columns[0].kind === 'int';
}

/** The integer value of a one-column integer key text. */
export function intOf(key: TableKey, text: KeyText): bigint {
  if (!isIntKey(key)) throw new Error('not an integer key');
  return BigInt(textOf(decodeKey(key, text)[0], INT_RE, key.columns[0]));
}

function textOf(hex: string, re: RegExp, c: KeyColumn): string {
  const s = Buffer.from(hex, 'hex').toString('latin1');
  if (!re.test(s)) throw new Error(`key column ${c.name}: not a valid ${c.kind} value: ${s.slice(0, 40)}`);
  return s;
}

/** Exact, server-comparable SQL literal of one key column value (given as the hex of its bytes). */
export function columnLiteral(c: KeyColumn, hex: string): string {
  if (!HEX_RE.test(hex)) throw new Error(`key column ${c.name}: not hex`);
  switch (c.kind) {
    case 'int': return textOf(hex, INT_RE, c);
    case 'decimal': return textOf(hex, DEC_RE, c);
    case 'date': return lit(textOf(hex, DATE_RE, c));
    case 'datetime': return lit(textOf(hex, DATETIME_RE, c));
    case 'binary': return `X'${hex}'`;
    case 'string': return `_${c.charset} X'${hex}' COLLATE ${c.collation}`;
  }
}

/** One SQL literal per key column. */
export function keyLiterals(key: TableKey, text: KeyText): string[] {
  const parts = decodeKey(key, text);
  return key.columns.map((c, i) => columnLiteral(c, parts[i]));
}

/**
 * Lexicographic comparison `(c1, c2, …) <op> (v1, v2, …)` expanded to the
 * form the range optimizer turns into an index range:
 * `c1 > v1 OR (c1 = v1 AND (c2 > v2 OR (c2 = v2 AND c3 >= v3)))`.
 */
export function lexCompare(exprs: string[], values: string[], op: '>' | '>=' | '<' | '<='): string {
  const strict = op === '>' || op === '>=' ? '>' : '<';
  const rec = (i: number): string => {
    if (i === exprs.length - 1) return `${exprs[i]} ${op} ${values[i]}`;
    return `(${exprs[i]} ${strict} ${values[i]} OR (${exprs[i]} = ${values[i]} AND ${rec(i + 1)}))`;
  };
  return rec(0);
}

/** Keys in (lo, hi]; either bound open when null. */
export function rangeWhere(key: TableKey, lo: KeyText | null, hi: KeyText | null, alias?: string): string {
  return rangeOn(key.columns.map((c) => col(c, alias)), key, lo, hi);
}

/** `exprs` (column references or literals) in (lo, hi]. */
export function rangeOn(exprs: string[], key: TableKey, lo: KeyText | null, hi: KeyText | null): string {
  const parts: string[] = [];
  if (lo !== null) parts.push(lexCompare(exprs, keyLiterals(key, lo), '>'));
  if (hi !== null) parts.push(lexCompare(exprs, keyLiterals(key, hi), '<='));
  return parts.length ? parts.map((p) => (parts.length > 1 ? `(${p})` : p)).join(' AND ') : '1=1';
}

/** `key IN (…)` (a row constructor for composite keys; both use the index). Throws on an empty list. */
export function keyIn(key: TableKey, texts: Iterable<KeyText>, alias?: string): string {
  const rows: string[] = [];
  for (const t of texts) {
    const l = keyLiterals(key, t);
    rows.push(l.length === 1 ? l[0] : `(${l.join(', ')})`);
  }
  if (!rows.length) throw new Error('empty key list');
  const cols = key.columns.length === 1 ? col(key.columns[0], alias) : `(${keyColumnList(key, alias)})`;
  return `${cols} IN (${rows.join(', ')})`;
}

/** ` AND key NOT IN (…)`, or nothing for an empty list. */
export function keyNotIn(key: TableKey, texts: Iterable<KeyText>, alias?: string): string {
  const list = [...texts];
  return list.length ? ` AND NOT (${keyIn(key, list, alias)})` : '';
}

/**
 * One SELECT that asks the server, for each key, whether it lies in any of the
 * ranges (lo, hi] — comparisons in the columns' own collations, never in JS.
 * Columns s0, s1, … are 1/0 in the order of `texts`.
 */
export function inRangesSql(key: TableKey, texts: KeyText[], ranges: Array<{ lo: KeyText | null; hi: KeyText | null }>): string {
  if (!texts.length) throw new Error('empty key list');
  const cols = texts.map((t, i) => {
    const lits = keyLiterals(key, t);
    const any = ranges.length ? ranges.map((r) => `(${rangeOn(lits, key, r.lo, r.hi)})`).join(' OR ') : '0';
    return `(${any}) AS s${i}`;
  });
  return `SELECT ${cols.join(', ')}`;
}

/** Short human form of a key text for messages: `id=42`, `(a, b)=('x', X'01')`. */
export function describeKey(key: TableKey, text: KeyText): string {
  try {
    const parts = decodeKey(key, text);
    const shown = key.columns.map((c, i) => {
      const b = Buffer.from(parts[i], 'hex');
      return c.kind === 'binary' ? `X'${parts[i]}'` : c.kind === 'string' ? lit(b.toString('utf8')) : b.toString('latin1');
    });
    return key.columns.length === 1 ? `${key.columns[0].name}=${shown[0]}` : `(${key.columns.map((c) => c.name).join(', ')})=(${shown.join(', ')})`;
  } catch {
    return text.slice(0, 80);
  }
}
