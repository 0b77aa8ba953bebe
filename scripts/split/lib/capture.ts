import type { Knex } from '../../../lib/db.ts';
import { foreignKeys, type ForeignKey } from './introspect.ts';
import type { Side } from './side.ts';
import {
  cascadeTriggerDdl, cascadeTriggerName, changelogDdl, changelogTable, q, ROW_EVENTS, rowTriggerDdl, triggerName,
  type CascadeChild, type TableShape, type TriggerMode,
} from './sql.ts';

/**
 * Change capture: AFTER row triggers append (table, primary key) to a
 * changelog table in the same database and the same transaction as the write.
 * CREATE OR REPLACE TRIGGER waits for every open transaction that touched the
 * table (metadata lock), so once it returns no earlier uncaptured write can
 * still commit — the copy may start. Switching a trigger between `capture` and
 * `fence` is one atomic statement per trigger, so there is no window without one.
 */
export async function ensureChangelog(side: Side, service: string): Promise<void> {
  await side.knex.raw(changelogDdl(service));
}

export async function setRowTriggers(conn: Knex | Side, service: string, shapes: Iterable<TableShape>, mode: TriggerMode): Promise<void> {
  const knex = 'knex' in conn ? conn.knex : conn;
  for (const s of shapes) {
    for (const ev of ROW_EVENTS) await knex.raw(rowTriggerDdl(service, s.name, s.pk, ev, mode));
  }
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

export async function installCascadeTriggers(side: Side, service: string, moved: Map<string, TableShape>): Promise<string[]> {
  const plan = cascadingInto(await foreignKeys(side.knex, side.db), moved);
  const names: string[] = [];
  for (const [parent, { del, upd }] of plan) {
    if (del.length) {
      await side.knex.raw(cascadeTriggerDdl(service, parent, 'delete', del));
      names.push(cascadeTriggerName(service, parent, 'delete'));
    }
    if (upd.length) {
      await side.knex.raw(cascadeTriggerDdl(service, parent, 'update', upd));
      names.push(cascadeTriggerName(service, parent, 'update'));
    }
  }
  return names;
}

/** Starts capturing on a side: changelog table, row triggers, cascade triggers. Idempotent. */
export async function startCapture(side: Side, service: string, moved: Map<string, TableShape>): Promise<void> {
  await ensureChangelog(side, service);
  await installCascadeTriggers(side, service, moved);
  await setRowTriggers(side, service, moved.values(), 'capture');
}

export async function listToolTriggers(side: Side, service: string): Promise<Array<{ name: string; table: string }>> {
  const [rows] = await side.knex.raw(
    'SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME LIKE ?',
    [side.db, `\\_split\\_${service}\\_%`],
  );
  return (rows as Array<{ name: string; tbl: string }>).map((r) => ({ name: r.name, table: r.tbl }));
}

export async function triggerModes(side: Side, service: string, shapes: Iterable<TableShape>): Promise<Record<string, 'capture' | 'fence' | 'none' | 'mixed'>> {
  const [rows] = await side.knex.raw(
    'SELECT TRIGGER_NAME AS name, ACTION_STATEMENT AS body FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?',
    [side.db],
  );
  const byName = new Map((rows as Array<{ name: string; body: string }>).map((r) => [r.name, r.body]));
  const out: Record<string, 'capture' | 'fence' | 'none' | 'mixed'> = {};
  for (const s of shapes) {
    const modes = ROW_EVENTS.map((ev) => {
      const b = byName.get(triggerName(service, s.name, ev));
      return b === undefined ? 'none' : /SIGNAL SQLSTATE/.test(b) ? 'fence' : 'capture';
    });
    out[s.name] = modes.every((m) => m === modes[0]) ? modes[0] : 'mixed';
  }
  return out;
}

export async function dropToolTriggers(side: Side, service: string): Promise<number> {
  const list = await listToolTriggers(side, service);
  for (const t of list) await side.knex.raw(`DROP TRIGGER IF EXISTS ${q(side.db)}.${q(t.name)}`);
  return list.length;
}

export async function dropChangelog(side: Side, service: string): Promise<void> {
  await side.knex.raw(`DROP TABLE IF EXISTS ${q(changelogTable(service))}`);
}

export async function backlog(side: Side, service: string): Promise<number> {
  const [[exists]] = await side.knex.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [side.db, changelogTable(service)]);
  if (!Number(exists.n)) return 0;
  const [[r]] = await side.knex.raw(`SELECT COUNT(*) AS n FROM ${q(changelogTable(service))}`);
  return Number(r.n);
}
