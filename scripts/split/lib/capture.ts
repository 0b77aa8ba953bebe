import { DEFAULT_DDL_POLICY, withDdl, type DdlPolicy } from './ddl.ts';
import { foreignKeys, type ForeignKey } from './introspect.ts';
import { openConnection, type Side } from './side.ts';
import {
  cascadeTriggerDdl, cascadeTriggerName, changelogDdl, changelogTable, fenceDdl, fenceTable, q, qq, ROW_EVENTS, rowTriggerDdl, triggerName,
  type CascadeChild, type TableShape,
} from './sql.ts';

/**
 * Change capture: AFTER row triggers append (table, primary key) to a
 * changelog table in the same database and the same transaction as the write.
 * CREATE OR REPLACE TRIGGER waits for every open transaction that touched the
 * table (metadata lock), so once it returns no earlier uncaptured write can
 * still commit — the copy may start. The same triggers enforce the fence
 * (see rowTriggerDdl), so a cutover changes one row, not DDL.
 */
export async function ensureMachinery(side: Side, service: string, initiallyFenced: boolean): Promise<void> {
  await side.knex.raw(changelogDdl(service));
  await side.knex.raw(fenceDdl(service));
  await side.knex.raw(`INSERT IGNORE INTO ${q(fenceTable(service))} (id, fenced) VALUES (1, ?)`, [initiallyFenced ? 1 : 0]);
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
    const c: CascadeChild = { child: fk.table, childPk: child.pk, childColumns: fk.columns, parentColumns: fk.refColumns };
    if (acts(fk.onDelete)) entry.del.push(c);
    if (acts(fk.onUpdate)) entry.upd.push(c);
    out.set(fk.refTable, entry);
  }
  return out;
}

/** Every trigger DDL capture needs on a side, by trigger name. */
export async function captureTriggers(side: Side, service: string, moved: Map<string, TableShape>): Promise<Map<ToolTrigger, string>> {
  const out = new Map<ToolTrigger, string>();
  for (const [parent, { del, upd }] of cascadingInto(await foreignKeys(side.knex, side.db), moved)) {
    if (del.length) out.set({ name: cascadeTriggerName(service, parent, 'delete'), table: parent }, cascadeTriggerDdl(service, parent, 'delete', del));
    if (upd.length) out.set({ name: cascadeTriggerName(service, parent, 'update'), table: parent }, cascadeTriggerDdl(service, parent, 'update', upd));
  }
  for (const s of moved.values()) for (const ev of ROW_EVENTS) out.set({ name: triggerName(service, s.name, ev), table: s.name }, rowTriggerDdl(service, s.name, s.pk, ev));
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
export async function startCapture(side: Side, service: string, moved: Map<string, TableShape>, initiallyFenced = false, replace = false, policy: DdlPolicy = DEFAULT_DDL_POLICY): Promise<void> {
  await ensureMachinery(side, service, initiallyFenced);
  const have = new Set((await listToolTriggers(side, service)).map((t) => t.name));
  const todo = [...(await captureTriggers(side, service, moved))].filter(([name]) => replace || !have.has(name.name));
  if (!todo.length) return;
  // trigger DDL waits for the table's metadata lock: bounded per attempt and retried (lib/ddl.ts)
  await withDdl(side, policy, async (ddl) => {
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
  const out: Record<string, 'capture' | 'fence' | 'none' | 'partial'> = {};
  for (const s of shapes) {
    const n = ROW_EVENTS.filter((ev) => names.has(triggerName(service, s.name, ev))).length;
    out[s.name] = n === 0 ? 'none' : n < ROW_EVENTS.length ? 'partial' : fenced ? 'fence' : 'capture';
  }
  return out;
}

export async function dropToolTriggers(side: Side, service: string, policy: DdlPolicy = DEFAULT_DDL_POLICY): Promise<number> {
  const list = await listToolTriggers(side, service);
  if (!list.length) return 0;
  await withDdl(side, policy, async (ddl) => {
    for (const t of list) await ddl.run(`DROP TRIGGER IF EXISTS ${q(side.db)}.${q(t.name)}`, `DROP TRIGGER ${t.name}`, [t.table]);
  });
  return list.length;
}

export async function dropMachinery(side: Side, service: string): Promise<void> {
  await side.knex.raw(`DROP TABLE IF EXISTS ${q(changelogTable(service))}`);
  await side.knex.raw(`DROP TABLE IF EXISTS ${q(fenceTable(service))}`);
}

export async function backlog(side: Side, service: string): Promise<number> {
  const [[exists]] = await side.knex.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [side.db, changelogTable(service)]);
  if (!Number(exists.n)) return 0;
  const [[r]] = await side.knex.raw(`SELECT COUNT(*) AS n FROM ${q(changelogTable(service))}`);
  return Number(r.n);
}
