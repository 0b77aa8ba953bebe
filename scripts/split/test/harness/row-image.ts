/**
 * Exact row images for the fault harness, built only from information_schema
 * and plain SQL (never from the tool's introspection or SQL builders): every
 * column, generated ones included, read as text that carries every bit.
 *
 *   numbers (integers, DECIMAL, YEAR)  CAST(col AS CHAR)           exact decimal text
 *   FLOAT                              CAST(CAST(col AS DOUBLE) AS CHAR)  float→double is exact; doubles print round-trip
 *   DOUBLE                             CAST(col AS CHAR)            shortest round-trip text
 *   BIT                                HEX(col)
 *   ENUM / SET                         HEX(col) ':' col+0           the label's bytes and the index (index 0 ≠ '')
 *   everything else                    HEX(col)                     the stored bytes (strings, binary, JSON, dates, TIME)
 * NULL stays NULL (≠ '').
 */
import type mysql from 'mysql2/promise';
import type { Knex } from '../../../../lib/db.ts';

/** A knex handle or a mysql2 pool/connection (the writer has its own pool). */
export type Db = Knex | mysql.Pool | mysql.PoolConnection;

export async function rows(k: Db, sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  if ('raw' in k && typeof k.raw === 'function') return ((await k.raw(sql, params as Knex.RawBinding[])) as unknown as [Array<Record<string, unknown>>])[0];
  return ((await (k as mysql.Pool).query(sql, params)) as unknown as [Array<Record<string, unknown>>])[0];
}

export interface ImageColumn {
  name: string;
  dataType: string;
  expr: string;
}

export interface ImageTable {
  table: string;
  columns: ImageColumn[];
  /** Key columns (primary key, else the first NOT NULL unique key, else every column). */
  key: string[];
}

export type RowImage = Array<string | null>;

const NUMBER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'year']);

export function ident(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

export function columnExpr(name: string, dataType: string): string {
  const c = ident(name);
  const t = dataType.toLowerCase();
  if (NUMBER_TYPES.has(t)) return `CAST(${c} AS CHAR)`;
  if (t === 'float') return `CAST(CAST(${c} AS DOUBLE) AS CHAR)`;
  if (t === 'double' || t === 'real') return `CAST(${c} AS CHAR)`;
  if (t === 'enum' || t === 'set') return `CONCAT(HEX(${c}), ':', ${c} + 0)`;
  return `HEX(${c})`;
}

export async function describeTable(k: Db, db: string, table: string): Promise<ImageTable> {
  const cols = await rows(k, 'SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [db, table]);
  const columns = (cols as unknown as Array<{ name: string; dataType: string }>).map((c) => ({ name: c.name, dataType: c.dataType, expr: columnExpr(c.name, c.dataType) }));
  if (!columns.length) throw new Error(`checker: table ${db}.${table} does not exist`);
  const idx = await rows(k, `SELECT s.INDEX_NAME AS ix, s.COLUMN_NAME AS col, MAX(c.IS_NULLABLE) AS nullable
      FROM information_schema.STATISTICS s JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
     WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME = ? AND s.NON_UNIQUE = 0
     GROUP BY s.INDEX_NAME, s.SEQ_IN_INDEX, s.COLUMN_NAME ORDER BY s.INDEX_NAME = 'PRIMARY' DESC, s.INDEX_NAME, s.SEQ_IN_INDEX`, [db, table]);
  const byIndex = new Map<string, { cols: string[]; nullable: boolean }>();
  for (const r of idx as unknown as Array<{ ix: string; col: string; nullable: string }>) {
    const e = byIndex.get(r.ix) ?? { cols: [], nullable: false };
    e.cols.push(r.col);
    e.nullable ||= r.nullable === 'YES';
    byIndex.set(r.ix, e);
  }
  const chosen = [...byIndex.values()].find((e) => !e.nullable);
  return { table, columns, key: chosen ? chosen.cols : columns.map((c) => c.name) };
}

/** SELECT of every column's exact text, ordered by the key; `where` is an optional raw condition. */
export function imageSelect(t: ImageTable, db: string, where?: string): string {
  return `SELECT ${t.columns.map((c, i) => `${c.expr} AS c${i}`).join(', ')} FROM ${ident(db)}.${ident(t.table)}${where ? ` WHERE ${where}` : ''} ORDER BY ${t.key.map(ident).join(', ')}`;
}

export function keyOf(t: ImageTable, image: RowImage): string {
  return JSON.stringify(t.key.map((k) => image[t.columns.findIndex((c) => c.name === k)]));
}

export function toImage(t: ImageTable, row: Record<string, unknown>): RowImage {
  return t.columns.map((_, i) => {
    const v = row[`c${i}`];
    return v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
  });
}

/** Every row of a table as key → image (keys not unique in a key-less table get a #n suffix). */
export async function readImages(k: Db, db: string, t: ImageTable, where?: string): Promise<Map<string, RowImage>> {
  const out = new Map<string, RowImage>();
  for (const r of await rows(k, imageSelect(t, db, where))) {
    const img = toImage(t, r);
    let key = keyOf(t, img);
    for (let n = 2; out.has(key); n++) key = `${keyOf(t, img)}#${n}`;
    out.set(key, img);
  }
  return out;
}
