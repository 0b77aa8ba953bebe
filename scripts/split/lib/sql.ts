import { exactRead } from './exact.ts';
import { chunkHashSql, rowHashExpr as rowHashOf, type ChunkHashKind } from './rowhash.ts';

/**
 * Pure SQL text builders for the split tool. Identifiers are quoted here and
 * in keys.ts and nowhere else. Key values are written as exact literals built
 * by keys.ts; integers that are not keys (changelog sequence numbers) are
 * validated before they are inlined (an integer column compared with a quoted
 * string is compared as a DOUBLE, which breaks above 2^53).
 */
import { keyNotIn, keyTextExpr, rangeWhere, type TableKey } from './keys.ts';

export function q(ident: string): string {
  return `\`${ident.replace(/`/g, '``')}\``;
}

export function qq(db: string, table: string): string {
  return `${q(db)}.${q(table)}`;
}

export function lit(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

const INT_RE = /^-?\d{1,20}$/;

/** A validated integer literal (sequence numbers, AUTO_INCREMENT values). */
export function pkLit(v: unknown): string {
  const s = typeof v === 'bigint' ? v.toString() : String(v);
  if (!INT_RE.test(s)) throw new Error(`not an integer value: ${s.slice(0, 40)}`);
  return s;
}

export function pkList(values: Iterable<unknown>): string {
  const out: string[] = [];
  for (const v of values) out.push(pkLit(v));
  if (!out.length) throw new Error('empty integer list');
  return out.join(',');
}

export interface ColumnInfo {
  name: string;
  /** COLUMN_TYPE, e.g. `bigint(20) unsigned`, `decimal(12,2)`, `enum('a','b')`. */
  columnType: string;
  dataType: string;
  nullable: boolean;
  generated: boolean;
  isJson: boolean;
  /** CHARACTER_SET_NAME / COLLATION_NAME of character columns: key literals are written in them, and since string
   *  bytes are carried as they are, both sides must agree (schema.ts). Null for other columns. */
  charset?: string | null;
  collation?: string | null;
}

export interface TableShape {
  name: string;
  /** The key chunks, changelog entries and lookups use (see keys.ts). */
  key: TableKey;
  /** Copyable columns (generated columns excluded) in ordinal order. */
  columns: ColumnInfo[];
  /** Generated columns (never written; compared by verify). */
  generated?: ColumnInfo[];
}

export function changelogTable(service: string): string {
  return `_split_${service}_changelog`;
}

/** Key text column width: a key is at most 3072 bytes (InnoDB), its text two hex digits a byte plus quotes. */
export const CHANGELOG_KEY_CHARS = 8192;

export const STATE_TABLE = '_split_state';

export function changelogDdl(service: string): string {
  return `CREATE TABLE IF NOT EXISTS ${q(changelogTable(service))} (
    seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tbl VARCHAR(64) NOT NULL,
    pk VARCHAR(${CHANGELOG_KEY_CHARS}) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    PRIMARY KEY (seq)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

export function poisonTable(service: string): string {
  return `_split_${service}_poison`;
}

/** Keys the target refused (see applier.ts), one row per table and key, retried until they apply. */
export function poisonDdl(service: string): string {
  return `CREATE TABLE IF NOT EXISTS ${q(poisonTable(service))} (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    h BINARY(16) NOT NULL,
    tbl VARCHAR(64) NOT NULL,
    pk VARCHAR(${CHANGELOG_KEY_CHARS}) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    error TEXT NOT NULL,
    attempts INT UNSIGNED NOT NULL DEFAULT 1,
    first_seen DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    last_seen DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_key (h)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

export function stateDdl(): string {
  return `CREATE TABLE IF NOT EXISTS ${q(STATE_TABLE)} (
    service VARCHAR(32) NOT NULL,
    doc LONGTEXT NOT NULL,
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (service)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

export type RowEvent = 'insert' | 'update' | 'delete';
export const ROW_EVENTS: RowEvent[] = ['insert', 'update', 'delete'];

export function triggerName(service: string, table: string, ev: RowEvent): string {
  return `_split_${service}_${table}_${ev[0]}`;
}

export function cascadeTriggerName(service: string, parent: string, ev: 'update' | 'delete'): string {
  return `_split_${service}_${parent}_cascade_${ev[0]}`;
}

export function fenceTable(service: string): string {
  return `_split_${service}_fence`;
}

export function fenceDdl(service: string): string {
  return `CREATE TABLE IF NOT EXISTS ${q(fenceTable(service))} (
    id TINYINT UNSIGNED NOT NULL,
    fenced TINYINT UNSIGNED NOT NULL,
    changed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id)
  ) ENGINE=InnoDB`;
}

/**
 * Row trigger on a moved table. Every write first takes a SHARED lock on the
 * service's fence row (held until its transaction ends) and fails if the
 * fence is up; then it appends the primary key of the changed row to the
 * changelog (both keys when an UPDATE changes the key). Raising the fence is
 * one UPDATE of that row: it waits for every open transaction that wrote a
 * moved table (they hold the shared lock) — the drain — and writers arriving
 * meanwhile queue behind it, then see the fence. Sessions of the tool set
 * @split_bypass so their own writes are neither captured nor rejected.
 * The key is logged as its canonical text (keys.ts). A key change is detected
 * on the bytes of each key column, so 'abc' → 'ABC' in a case-insensitive
 * collation (equal for the server) is logged as a change too. With
 * `capture` false (binlog capture) the trigger only enforces the fence.
 */
export function rowTriggerDdl(service: string, table: string, key: TableKey, ev: RowEvent, capture = true): string {
  const cl = q(changelogTable(service));
  const ins = (ref: 'NEW' | 'OLD') => `INSERT INTO ${cl} (tbl, pk) VALUES (${lit(table)}, ${keyTextExpr(key, ref)});`;
  const same = key.columns.map((c) => `CAST(OLD.${q(c.name)} AS BINARY) <=> CAST(NEW.${q(c.name)} AS BINARY)`).join(' AND ');
  const msg = `split-db: writes to ${table} are fenced (${service} split: cutover in progress or done on the other side)`;
  let body: string;
  if (ev === 'insert') body = ins('NEW');
  else if (ev === 'delete') body = ins('OLD');
  else body = `${ins('NEW')} IF NOT (${same}) THEN ${ins('OLD')} END IF;`;
  // binlog capture (binlog.ts) logs the keys from the binlog: the trigger only enforces the fence
  if (!capture) body = '';
  return `CREATE OR REPLACE TRIGGER ${q(triggerName(service, table, ev))} AFTER ${ev.toUpperCase()} ON ${q(table)} FOR EACH ROW BEGIN DECLARE split_fenced TINYINT DEFAULT 0; ` +
    `IF @split_bypass IS NULL THEN SELECT fenced INTO split_fenced FROM ${q(fenceTable(service))} WHERE id = 1 LOCK IN SHARE MODE; ` +
    `IF split_fenced THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = ${lit(msg.slice(0, 128))}; END IF; ${body} END IF; END`;
}

export interface CascadeChild {
  child: string;
  childKey: TableKey;
  childColumns: string[];
  parentColumns: string[];
}

/**
 * Cascaded FK actions do not fire triggers. A BEFORE trigger on the parent
 * records the children the cascade is about to change (ON DELETE/UPDATE
 * CASCADE or SET NULL), so the applier re-reads them.
 */
export function cascadeTriggerDdl(service: string, parent: string, ev: 'update' | 'delete', children: CascadeChild[]): string {
  const cl = q(changelogTable(service));
  const stmts = children.map((c) => {
    const where = c.childColumns.map((col, i) => `${q(col)} = OLD.${q(c.parentColumns[i])}`).join(' AND ');
    return `INSERT INTO ${cl} (tbl, pk) SELECT ${lit(c.child)}, ${keyTextExpr(c.childKey, q(c.child))} FROM ${q(c.child)} WHERE ${where};`;
  });
  let body = stmts.join(' ');
  if (ev === 'update') {
    const changed = [...new Set(children.flatMap((c) => c.parentColumns))].map((col) => `NOT (CAST(OLD.${q(col)} AS BINARY) <=> CAST(NEW.${q(col)} AS BINARY))`).join(' OR ');
    body = `IF ${changed} THEN ${body} END IF;`;
  }
  return `CREATE OR REPLACE TRIGGER ${q(cascadeTriggerName(service, parent, ev))} BEFORE ${ev.toUpperCase()} ON ${q(parent)} FOR EACH ROW BEGIN IF @split_bypass IS NULL THEN ${body} END IF; END`;
}

/** Column expression for reading a value byte-exactly: a binary string mysql2 returns as a Buffer (exact.ts). */
export function readExpr(c: ColumnInfo): string {
  return exactRead(c);
}

/** Copyable columns, read byte-exactly (the values a copy writes). */
export function selectList(shape: TableShape): string {
  return shape.columns.map(readExpr).join(', ');
}

/** Every column verify compares: the copyable ones, then the generated ones (computed by each server). */
export function compareColumns(shape: TableShape): ColumnInfo[] {
  return [...shape.columns, ...(shape.generated ?? [])];
}

export function compareList(shape: TableShape): string {
  return compareColumns(shape).map(readExpr).join(', ');
}

export function columnList(shape: TableShape): string {
  return shape.columns.map((c) => q(c.name)).join(', ');
}

/** Per-row hash over every compared column (rowhash.ts: SHA1 of the exact row text). */
export function rowHashExpr(shape: TableShape): string {
  return rowHashOf(compareColumns(shape));
}

/** Per-chunk COUNT + aggregate of every row's hash (rowhash.ts: `sequence`, or the order-independent `sums`). */
export function checksumSql(db: string, shape: TableShape, lo: string | null, hi: string | null, exclude: Iterable<string> = [], kind: ChunkHashKind = 'sequence'): string {
  return chunkHashSql(compareColumns(shape), qq(db, shape.name), `${rangeWhere(shape.key, lo, hi)}${keyNotIn(shape.key, exclude)}`, kind);
}

/**
 * Deletes exactly the consumed changelog rows by point lookups. A plain
 * `DELETE … WHERE seq IN (…)` may scan a range and wait on the uncommitted
 * changelog row of a long application transaction (even in READ COMMITTED);
 * driving the delete from a JSON_TABLE list with STRAIGHT_JOIN locks only the
 * listed rows (MariaDB ≥ 10.6, MySQL ≥ 8.0.4).
 */
export function consumeSql(db: string, table: string, seqs: string[]): string {
  return `DELETE cl FROM JSON_TABLE('[${pkList(seqs)}]', '$[*]' COLUMNS (s BIGINT UNSIGNED PATH '$')) AS j STRAIGHT_JOIN ${qq(db, table)} AS cl ON cl.seq = j.s`;
}
