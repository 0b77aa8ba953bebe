import type { Knex } from '../../../lib/db.ts';
import type { ColumnInfo, TableShape } from './sql.ts';
import { SplitError } from './errors.ts';
import { keyOf } from './keys.ts';
import { q } from './sql.ts';

export interface TableInfo {
  name: string;
  exists: boolean;
  columns: ColumnInfo[];
  /** Every column including generated ones. */
  allColumns: ColumnInfo[];
  pk: string[];
  /** The primary key indexes a column prefix (`PRIMARY KEY (col(10))`). */
  pkPartial: boolean;
  /** UNIQUE keys other than the primary key, in the server's order. */
  uniqueKeys: Array<{ name: string; columns: string[]; partial: boolean }>;
  pkType: string | null;
  autoIncrement: string | null;
  rowsEstimate: number;
  dataBytes: number;
  indexBytes: number;
  engine: string | null;
}

export interface ForeignKey {
  name: string;
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}

export async function tableInfo(knex: Knex, db: string, table: string): Promise<TableInfo> {
  const [tables] = await knex.raw(
    'SELECT ENGINE AS engine, TABLE_ROWS AS r, DATA_LENGTH AS d, INDEX_LENGTH AS i, AUTO_INCREMENT AS ai FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [db, table],
  );
  const t = (tables as Array<Record<string, unknown>>)[0];
  if (!t) return { name: table, exists: false, columns: [], allColumns: [], pk: [], pkPartial: false, uniqueKeys: [], pkType: null, autoIncrement: null, rowsEstimate: 0, dataBytes: 0, indexBytes: 0, engine: null };
  const [cols] = await knex.raw(
    `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS ct, DATA_TYPE AS dt, IS_NULLABLE AS nl, EXTRA AS extra, COLUMN_KEY AS ck,
            CHARACTER_SET_NAME AS cs, COLLATION_NAME AS coll,
            IFNULL(GENERATION_EXPRESSION, '') AS gen, IFNULL(CHECK_CLAUSE_JSON.cc, '') AS cc
       FROM information_schema.COLUMNS
       LEFT JOIN (SELECT CONSTRAINT_NAME AS cn, CHECK_CLAUSE AS cc FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?) CHECK_CLAUSE_JSON
         ON CHECK_CLAUSE_JSON.cn = COLUMN_NAME AND CHECK_CLAUSE_JSON.cc LIKE 'json_valid(%'
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [db, table, db, table],
  );
  const allColumns: ColumnInfo[] = (cols as Array<Record<string, string>>).map((c) => ({
    name: c.name,
    columnType: String(c.ct).toLowerCase(),
    dataType: String(c.dt).toLowerCase(),
    nullable: c.nl === 'YES',
    generated: /GENERATED|VIRTUAL|PERSISTENT|STORED/i.test(String(c.extra)) || String(c.gen) !== '',
    isJson: String(c.dt).toLowerCase() === 'json' || String(c.cc) !== '',
    charset: c.cs ?? null,
    collation: c.coll ?? null,
  }));
  const [idxRows] = await knex.raw(
    `SELECT INDEX_NAME AS idx, COLUMN_NAME AS name, SUB_PART AS sub FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`,
    [db, table],
  );
  const unique = new Map<string, { name: string; columns: string[]; partial: boolean }>();
  for (const r of idxRows as Array<{ idx: string; name: string; sub: unknown }>) {
    let u = unique.get(r.idx);
    if (!u) unique.set(r.idx, (u = { name: r.idx, columns: [], partial: false }));
    u.columns.push(r.name);
    if (r.sub !== null && r.sub !== undefined) u.partial = true;
  }
  const primary = unique.get('PRIMARY');
  unique.delete('PRIMARY');
  const pk = primary?.columns ?? [];
  const pkCol = allColumns.find((c) => c.name === pk[0]);
  return {
    name: table,
    exists: true,
    columns: allColumns.filter((c) => !c.generated),
    allColumns,
    pk,
    pkPartial: primary?.partial ?? false,
    uniqueKeys: [...unique.values()],
    pkType: pk.length === 1 && pkCol ? pkCol.columnType : null,
    autoIncrement: t.ai === null || t.ai === undefined ? null : String(t.ai),
    rowsEstimate: Number(t.r ?? 0),
    dataBytes: Number(t.d ?? 0),
    indexBytes: Number(t.i ?? 0),
    engine: (t.engine as string) ?? null,
  };
}

/** The shape the tool moves a table with; throws when the table has no usable key (see keyOf). */
export function shapeOf(info: TableInfo): TableShape {
  const k = keyOf(info);
  if ('refusal' in k) throw new SplitError('BLOCKED', k.refusal);
  return { name: info.name, key: k.key, columns: info.columns, generated: info.allColumns.filter((c) => c.generated) };
}

export async function foreignKeys(knex: Knex, db: string): Promise<ForeignKey[]> {
  const [rows] = await knex.raw(
    `SELECT rc.CONSTRAINT_NAME AS name, rc.TABLE_NAME AS tbl, rc.REFERENCED_TABLE_NAME AS ref, rc.DELETE_RULE AS del, rc.UPDATE_RULE AS upd,
            k.COLUMN_NAME AS col, k.REFERENCED_COLUMN_NAME AS refcol
       FROM information_schema.REFERENTIAL_CONSTRAINTS rc
       JOIN information_schema.KEY_COLUMN_USAGE k
         ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA AND k.TABLE_NAME = rc.TABLE_NAME AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME
      WHERE rc.CONSTRAINT_SCHEMA = ? AND rc.TABLE_NAME NOT LIKE '\\_split\\_%' -- the tool's own TRUNCATE guards (capture.ts)
      ORDER BY rc.TABLE_NAME, rc.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    [db],
  );
  const map = new Map<string, ForeignKey>();
  for (const r of rows as Array<Record<string, string>>) {
    const key = `${r.tbl}.${r.name}`;
    let fk = map.get(key);
    if (!fk) {
      fk = { name: r.name, table: r.tbl, columns: [], refTable: r.ref, refColumns: [], onDelete: r.del, onUpdate: r.upd };
      map.set(key, fk);
    }
    fk.columns.push(r.col);
    fk.refColumns.push(r.refcol);
  }
  return [...map.values()];
}

export async function serverInfo(knex: Knex): Promise<{ version: string; mariadb: boolean; logBin: boolean }> {
  const [[v]] = await knex.raw('SELECT VERSION() AS v, @@log_bin AS lb');
  return { version: String(v.v), mariadb: /mariadb/i.test(String(v.v)), logBin: String(v.lb) === '1' };
}

export async function autoIncrementOf(knex: Knex, db: string, table: string): Promise<string | null> {
  const [rows] = await knex.raw(`SHOW TABLE STATUS FROM ${q(db)} LIKE ?`, [table]);
  const r = (rows as Array<Record<string, unknown>>)[0];
  return r && r.Auto_increment !== null && r.Auto_increment !== undefined ? String(r.Auto_increment) : null;
}
