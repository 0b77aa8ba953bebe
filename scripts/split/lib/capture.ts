import { cascadeCaptureTriggerDdl, cascadePaths } from './cascade.ts';
import { DEFAULT_DDL_POLICY, withDdl, type DdlPolicy } from './ddl.ts';
import { foreignKeys, type ForeignKey } from './introspect.ts';
import { positionTable } from './binlog.ts';
import { openConnection, type Side } from './side.ts';
import {
  cascadeTriggerName, CHANGELOG_KEY_CHARS, changelogDdl, changelogTable, fenceDdl, fenceTable, poisonTable, q, qq, ROW_EVENTS, rowTriggerDdl, triggerName,
  type CascadeChild, type TableShape,
} from './sql.ts';

/**
 * Change capture: AFTER row triggers append (table, primary key) to a
 * changelog table in the same database and the same transaction as the write.
 * CREATE OR REPLACE TRIGGER waits for every open transaction that touched the
 * table (metadata lock), so once it returns no earlier uncaptured write can
 * still commit — the copy may start. The same triggers enforce the fence
 * (see rowTriggerDdl), so a cutover changes one row, not DDL. With binlog
 * capture (binlog.ts) the row triggers are fence-only (`fenceOnly`), and
 * installed only by the cutover (`'deferred'`: until then the application's
 * writes run no trigger at all — a fence-only trigger still costs each write
 * a third to two thirds of a capturing one on the server, docs/split.md
 * "Binlog capture").
 */
/** Row triggers: capturing, fence-only (binlog capture), or not yet (binlog capture before the cutover). */
export type RowTriggers = boolean | 'deferred';

export async function ensureMachinery(side: Side, service: string, initiallyFenced: boolean): Promise<boolean> {
  await side.knex.raw(changelogDdl(service));
  const migrated = await widenChangelogKey(side, service);
  await side.knex.raw(fenceDdl(service));
  await side.knex.raw(`INSERT IGNORE INTO ${q(fenceTable(service))} (id, fenced) VALUES (1, ?)`, [initiallyFenced ? 1 : 0]);
  return migrated;
}

/**
 * A changelog created by an older version holds integer keys in a DECIMAL
 * column: widened in place to the key-text column (its integers stay readable:
 * keys.ts decodes a bare integer as a one-column integer key). Returns true
 * when it did, so the triggers are rewritten to log key texts.
 */
async function widenChangelogKey(side: Side, service: string): Promise<boolean> {
  const [rows] = await side.knex.raw('SELECT DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?', [side.db, changelogTable(service), 'pk']);
  const t = String((rows as Array<{ t: string }>)[0]?.t ?? '').toLowerCase();
  if (t !== 'decimal') return false;
  await side.knex.raw(`ALTER TABLE ${q(changelogTable(service))} MODIFY pk VARCHAR(${CHANGELOG_KEY_CHARS}) CHARACTER SET ascii COLLATE ascii_bin NOT NULL`);
  return true;
}

/**
 * Sets the fence flag if it differs (a non-locking read first: lowering a
 * fence that was never raised must not queue behind writers' shared locks).
 * Lock waits are retried: writers whose statement hit the fence may keep their
 * transaction (and shared lock) open until the application rolls it back.
 * With `lockWaitSeconds` each attempt runs on a dedicated session whose lock
 * wait is that short, so nobody queues behind it for long.
 */
export async function setFence(side: Side, service: string, fenced: boolean, opts: { attempts?: number; lockWaitSeconds?: number } = {}): Promise<void> {
  const attempts = opts.attempts ?? 20;
  const sql = `UPDATE ${qq(side.db, fenceTable(service))} SET fenced = ${fenced ? 1 : 0}, changed_at = CURRENT_TIMESTAMP(6) WHERE id = 1`;
  for (let i = 1; ; i++) {
    if ((await isFenced(side, service)) === fenced) return;
    try {
      if (opts.lockWaitSeconds === undefined) await side.knex.raw(sql);
      else {
        const conn = await openConnection(side.dsn);
        try {
          await conn.query(`SET SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.floor(opts.lockWaitSeconds))}`);
          await conn.query(sql);
        } finally {
          await conn.end().catch(() => conn.destroy());
        }
      }
      return;
    } catch (err) {
      const errno = (err as { errno?: number }).errno;
      if (i >= attempts || (errno !== 1205 && errno !== 1213)) throw err;
    }
  }
}

export async function isFenced(side: Side, service: string): Promise<boolean | null> {
  const [[exists]] = await side.knex.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [side.db, fenceTable(service)]);
  if (!Number(exists.n)) return null;
  const [rows] = await side.knex.raw(`SELECT fenced FROM ${qq(side.db, fenceTable(service))} WHERE id = 1`);
  const r = (rows as Array<{ fenced: number }>)[0];
  return r ? Number(r.fenced) === 1 : null;
}

/** FKs whose ON DELETE/UPDATE action changes moved child rows without firing their triggers. */
export function cascadingInto(fks: ForeignKey[], moved: Map<string, TableShape>): Map<string, { del: CascadeChild[]; upd: CascadeChild[] }> {
  const out = new Map<string, { del: CascadeChild[]; upd: CascadeChild[] }>();
  for (const fk of fks) {
    const child = moved.get(fk.table);
    if (!child) continue;
    const acts = (rule: string) => rule === 'CASCADE' || rule === 'SET NULL' || rule === 'SET DEFAULT';
    if (!acts(fk.onDelete) && !acts(fk.onUpdate)) continue;
    const entry = out.get(fk.refTable) ?? { del: [], upd: [] };
    const c: CascadeChild = { child: fk.table, childKey: child.key, childColumns: fk.columns, parentColumns: fk.refColumns };
    if (acts(fk.onDelete)) entry.del.push(c);
    if (acts(fk.onUpdate)) entry.upd.push(c);
    out.set(fk.refTable, entry);
  }
  return out;
}

/** Every trigger DDL capture needs on a side, with the table each is on. */
export async function captureTriggers(side: Side, service: string, moved: Map<string, TableShape>, fenceOnly: RowTriggers = false): Promise<Map<ToolTrigger, string>> {
  const out = new Map<ToolTrigger, string>();
  // chains of FK actions of any depth into the moved tables (lib/cascade.ts): capture + fence on the parent that starts them
  for (const [parent, c] of cascadePaths(await foreignKeys(side.knex, side.db), new Set(moved.keys()))) {
    for (const ev of ['delete', 'update'] as const) {
      if (!c[ev].length) continue;
      const name = cascadeTriggerName(service, parent, ev);
      out.set({ name, table: parent }, cascadeCaptureTriggerDdl(service, parent, ev, c[ev], moved, name));
    }
  }
  if (fenceOnly === 'deferred') return out;
  for (const s of moved.values()) for (const ev of ROW_EVENTS) out.set({ name: triggerName(service, s.name, ev), table: s.name }, rowTriggerDdl(service, s.name, s.key, ev, !fenceOnly));
  return out;
}

export interface ToolTrigger {
  name: string;
  table: string;
}

/**
 * Starts capturing on a side: changelog and fence tables, then the triggers
 * (cascade triggers first, row triggers last). Idempotent: a trigger that
 * already exists is kept (trigger DDL costs ~60 ms each), so a resumed run
 * only adds what a killed one did not get to; `replace` rewrites them all.
 */
export async function startCapture(side: Side, service: string, moved: Map<string, TableShape>, initiallyFenced = false, replace = false, policy: DdlPolicy = DEFAULT_DDL_POLICY, fenceOnly: RowTriggers = false): Promise<void> {
  // an older changelog (integer keys) is widened in place; its triggers are then rewritten for the key text
  if (await ensureMachinery(side, service, initiallyFenced)) replace = true;
  const have = new Set((await listToolTriggers(side, service)).map((t) => t.name));
  const todo = [...(await captureTriggers(side, service, moved, fenceOnly))].filter(([name]) => replace || !have.has(name.name));
  const guards = await missingGuards(side, service, [...moved.keys()]);
  if (!todo.length && !guards.length) return;
  // trigger and guard DDL wait for the table's metadata lock: bounded per attempt and retried (lib/ddl.ts)
  await withDdl(side, policy, async (ddl) => {
    for (const g of guards) await ddl.run(await guardDdl(side, service, g), `creating TRUNCATE guard for ${g}`, [g]);
    for (const [t, sql] of todo) await ddl.run(sql, `CREATE TRIGGER ${t.name}`, [t.table]);
  });
}

export async function listToolTriggers(side: Side, service: string): Promise<Array<{ name: string; table: string }>> {
  const [rows] = await side.knex.raw(
    'SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME LIKE ?',
    [side.db, `\\_split\\_${service}\\_%`],
  );
  return (rows as Array<{ name: string; tbl: string }>).map((r) => ({ name: r.name, table: r.tbl }));
}

/** Per table: `capture` (writes captured), `fence` (writes rejected), `none` (no triggers), `partial`. */
export async function triggerModes(side: Side, service: string, shapes: Iterable<TableShape>): Promise<Record<string, 'capture' | 'fence' | 'none' | 'partial'>> {
  const [rows] = await side.knex.raw('SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [side.db]);
  const names = new Set((rows as Array<{ name: string }>).map((r) => r.name));
  const fenced = await isFenced(side, service);
  const guarded = new Set((await listGuards(side, service)).map((g) => g.table));
  const out: Record<string, 'capture' | 'fence' | 'none' | 'partial'> = {};
  for (const s of shapes) {
    const n = ROW_EVENTS.filter((ev) => names.has(triggerName(service, s.name, ev))).length;
    // complete = all row triggers and the TRUNCATE guard
    out[s.name] = n === 0 ? 'none' : n < ROW_EVENTS.length || !guarded.has(s.name) ? 'partial' : fenced ? 'fence' : 'capture';
  }
  return out;
}

export async function dropToolTriggers(side: Side, service: string, policy: DdlPolicy = DEFAULT_DDL_POLICY, only: (t: ToolTrigger) => boolean = () => true): Promise<number> {
  const list = (await listToolTriggers(side, service)).filter(only);
  if (!list.length) return 0;
  await withDdl(side, policy, async (ddl) => {
    for (const t of list) await ddl.run(`DROP TRIGGER IF EXISTS ${q(side.db)}.${q(t.name)}`, `DROP TRIGGER ${t.name}`, [t.table]);
  });
  return list.length;
}

export async function dropMachinery(side: Side, service: string, policy: DdlPolicy = DEFAULT_DDL_POLICY): Promise<void> {
  const guards = await listGuards(side, service);
  if (guards.length) {
    await withDdl(side, policy, async (ddl) => {
      for (const g of guards) await ddl.run(`DROP TABLE IF EXISTS ${qq(side.db, g.guard)}`, `dropping TRUNCATE guard ${g.guard}`, [g.guard, g.table]);
    });
  }
  await side.knex.raw(`DROP TABLE IF EXISTS ${q(changelogTable(service))}`);
  await side.knex.raw(`DROP TABLE IF EXISTS ${q(fenceTable(service))}`);
  await side.knex.raw(`DROP TABLE IF EXISTS ${q(poisonTable(service))}`);
  await side.knex.raw(`DROP TABLE IF EXISTS ${q(positionTable(service))}`);
}

/** What the tool installed on a side for a service: what complete and cancel remove (their --dry-run lists it). */
export interface Machinery {
  /** `<database>` of the side, as shown to the operator. */
  database: string;
  /** Capture, fence and cascade triggers. */
  triggers: string[];
  /** Tables with what each is: changelog, fence, poison, TRUNCATE guard of <table>. */
  tables: Array<{ name: string; role: string }>;
}

export async function listMachinery(side: Side, service: string): Promise<Machinery> {
  const triggers = (await listToolTriggers(side, service)).map((t) => t.name).sort();
  const guards = await listGuards(side, service);
  const named: Array<{ name: string; role: string }> = [
    { name: changelogTable(service), role: 'captured-changes changelog' },
    { name: fenceTable(service), role: 'write fence' },
    { name: poisonTable(service), role: 'poison rows (changes the other side refused)' },
  ];
  const [rows] = await side.knex.raw('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?, ?, ?)', [side.db, ...named.map((n) => n.name)]);
  const present = new Set((rows as Array<{ t: string }>).map((r) => r.t));
  return {
    database: side.db,
    triggers,
    tables: [...named.filter((n) => present.has(n.name)), ...guards.map((g) => ({ name: g.guard, role: `TRUNCATE guard of ${g.table}` }))],
  };
}

export async function backlog(side: Side, service: string): Promise<number> {
  const [[exists]] = await side.knex.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [side.db, changelogTable(service)]);
  if (!Number(exists.n)) return 0;
  const [[r]] = await side.knex.raw(`SELECT COUNT(*) AS n FROM ${q(changelogTable(service))}`);
  return Number(r.n);
}

/**
 * TRUNCATE guards. TRUNCATE fires no trigger, so neither capture nor the fence
 * sees it. InnoDB refuses to TRUNCATE a table that another table's foreign key
 * references (ER_TRUNCATE_ILLEGAL_FK, with foreign_key_checks on), so each
 * moved table gets an empty guard table whose FK references its key, on both
 * sides, for the whole split: a TRUNCATE during the copy (which would lose
 * deletes) and on the fenced copy after the flip both fail. Row DML is not
 * affected (the guard is empty), the tool's own sessions run with
 * foreign_key_checks off, and `complete`/`cancel` drop the guards.
 */
export function guardTable(service: string, table: string): string {
  const name = `_split_${service}_g_${table}`;
  if (name.length <= 64) return name;
  let h = 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0;
  return `${name.slice(0, 55)}_${h.toString(36).padStart(7, '0').slice(0, 7)}`.slice(0, 64);
}

async function listGuards(side: Side, service: string): Promise<Array<{ guard: string; table: string }>> {
  const [rows] = await side.knex.raw(
    `SELECT TABLE_NAME AS g, REFERENCED_TABLE_NAME AS t FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME LIKE ?`,
    [side.db, `\\_split\\_${service}\\_g\\_%`],
  );
  return (rows as Array<{ g: string; t: string }>).map((r) => ({ guard: r.g, table: r.t }));
}

async function missingGuards(side: Side, service: string, tables: string[]): Promise<string[]> {
  const have = new Set((await listGuards(side, service)).map((g) => g.table));
  return tables.filter((t) => !have.has(t));
}

/** The guard's DDL: columns of the table's primary key (or first NOT NULL unique key), same types and collations. */
async function guardDdl(side: Side, service: string, table: string): Promise<string> {
  const [rows] = await side.knex.raw(
    `SELECT s.INDEX_NAME AS idx, c.COLUMN_NAME AS name, c.COLUMN_TYPE AS type, c.CHARACTER_SET_NAME AS cs, c.COLLATION_NAME AS coll
       FROM information_schema.STATISTICS s
       JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
      WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME = ? AND s.NON_UNIQUE = 0
      ORDER BY s.INDEX_NAME = 'PRIMARY' DESC, s.INDEX_NAME, s.SEQ_IN_INDEX`, [side.db, table]);
  const all = rows as Array<{ idx: string; name: string; type: string; cs: string | null; coll: string | null }>;
  if (!all.length) throw new Error(`${table} has no primary or unique key to guard`);
  const cols = all.filter((r) => r.idx === all[0].idx);
  const g = guardTable(service, table);
  const defs = cols.map((c, i) => `k${i} ${c.type}${c.cs ? ` CHARACTER SET ${c.cs} COLLATE ${c.coll}` : ''} NOT NULL`);
  const ks = cols.map((_, i) => `k${i}`).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${qq(side.db, g)} (${defs.join(', ')}, KEY (${ks}), CONSTRAINT ${q(g)} FOREIGN KEY (${ks}) REFERENCES ${qq(side.db, table)} (${cols.map((c) => q(c.name)).join(', ')})) ENGINE=InnoDB`;
}
