import type { ForeignKey } from './introspect.ts';
import { keyTextExpr } from './keys.ts';
import { changelogTable, fenceTable, lit, q, type TableShape } from './sql.ts';

/**
 * Foreign-key actions (ON DELETE/UPDATE CASCADE, SET NULL, SET DEFAULT) change
 * child rows inside InnoDB without firing the child's triggers, at any depth:
 * deleting `a` deletes its `b` rows, which deletes their `c` rows. So the
 * parent that starts a chain needs a BEFORE trigger that (a) records the keys
 * of every moved row the chain is about to change, through every level, and
 * (b) when the fence is up, refuses the statement if the chain would reach a
 * moved row at all — a cascade from a table that stays must not change the
 * fenced copy. Chains are followed through tables that stay as well (a → b →
 * c with only c moved); a chain that returns to a table already on it (a
 * self-referencing or cyclic cascade) cannot be expanded into a fixed join and
 * is reported by `cascadeBlockers`.
 */

/** How deep InnoDB itself follows cascades (its limit is 15). */
export const MAX_CASCADE_DEPTH = 15;

/** One chain: FK edges from the parent downwards; the last edge's table is a moved table whose rows change. */
export interface CascadePath {
  edges: ForeignKey[];
}

export interface ParentCascades {
  delete: CascadePath[];
  update: CascadePath[];
}

const ACTS = new Set(['CASCADE', 'SET NULL', 'SET DEFAULT']);

function isToolTable(t: string): boolean {
  return t.startsWith('_split_');
}

/** The application's FKs grouped by the table they reference (the tool's own guard FKs left out). */
function fksByParent(fks: ForeignKey[]): Map<string, ForeignKey[]> {
  const byParent = new Map<string, ForeignKey[]>();
  for (const fk of fks) {
    if (isToolTable(fk.table)) continue;
    const l = byParent.get(fk.refTable) ?? [];
    l.push(fk);
    byParent.set(fk.refTable, l);
  }
  return byParent;
}

/**
 * Every chain of FK actions that reaches a moved table, by the table whose
 * DELETE or UPDATE starts it. Pure. Cycles are cut (see cascadeBlockers).
 */
export function cascadePaths(fks: ForeignKey[], moved: Set<string>): Map<string, ParentCascades> {
  const byParent = fksByParent(fks);
  const out = new Map<string, ParentCascades>();
  for (const parent of byParent.keys()) {
    const found: ParentCascades = { delete: [], update: [] };
    walk(byParent, moved, [parent], [], 'delete', undefined, found.delete);
    walk(byParent, moved, [parent], [], 'update', undefined, found.update);
    if (found.delete.length || found.update.length) out.set(parent, found);
  }
  return out;
}

/** Chains that loop back to a table already on them and pass through a moved table: not capturable by a fixed join. */
export function cascadeBlockers(fks: ForeignKey[], moved: Set<string>): string[] {
  const byParent = fksByParent(fks);
  const out = new Set<string>();
  const visit = (chain: string[], ev: 'delete' | 'update', cols: string[] | undefined) => {
    const table = chain[chain.length - 1];
    if (chain.length > MAX_CASCADE_DEPTH) return;
    for (const fk of byParent.get(table) ?? []) {
      const next = step(fk, ev, cols);
      if (!next) continue;
      if (chain.includes(fk.table)) {
        const loop = [...chain.slice(chain.indexOf(fk.table)), fk.table];
        if (loop.some((t) => moved.has(t))) out.add(`cascading FK cycle ${loop.join(' → ')} (ON ${ev.toUpperCase()} ${ev === 'delete' ? fk.onDelete : fk.onUpdate} via ${fk.table}.${fk.name}): rows it changes at unbounded depth cannot be captured; change the FK action or move the whole cycle's writes through the application`);
        continue;
      }
      visit([...chain, fk.table], next.ev, next.cols);
    }
  };
  for (const parent of byParent.keys()) {
    visit([parent], 'delete', undefined);
    visit([parent], 'update', undefined);
  }
  return [...out].sort();
}

/** What an event on the parent does to the child through `fk`: nothing, delete its rows, or update columns of them. */
function step(fk: ForeignKey, ev: 'delete' | 'update', changed: string[] | undefined): { ev: 'delete' | 'update'; cols: string[] } | undefined {
  if (ev === 'update' && changed && !fk.refColumns.some((c) => changed.includes(c))) return undefined;
  const rule = ev === 'delete' ? fk.onDelete : fk.onUpdate;
  if (!ACTS.has(rule)) return undefined;
  // ON DELETE CASCADE deletes the child rows; every other action updates the child's FK columns
  return ev === 'delete' && rule === 'CASCADE' ? { ev: 'delete', cols: [] } : { ev: 'update', cols: fk.columns };
}

function walk(byParent: Map<string, ForeignKey[]>, moved: Set<string>, chain: string[], edges: ForeignKey[], ev: 'delete' | 'update', changed: string[] | undefined, out: CascadePath[]): void {
  if (edges.length >= MAX_CASCADE_DEPTH) return;
  for (const fk of byParent.get(chain[chain.length - 1]) ?? []) {
    const next = step(fk, ev, changed);
    if (!next || chain.includes(fk.table)) continue;
    const path = [...edges, fk];
    if (moved.has(fk.table)) out.push({ edges: path });
    walk(byParent, moved, [...chain, fk.table], path, next.ev, next.cols, out);
  }
}

/** `SELECT <key> FROM <last> JOIN … WHERE <first edge> = OLD.<parent columns>`: the moved rows a chain reaches. */
export function pathSelect(path: CascadePath, select: (alias: string) => string): string {
  const n = path.edges.length;
  const alias = (i: number) => `split_t${i}`;
  let sql = `SELECT ${select(alias(n - 1))} FROM ${q(path.edges[n - 1].table)} AS ${alias(n - 1)}`;
  for (let i = n - 1; i >= 1; i--) {
    const e = path.edges[i];
    sql += ` JOIN ${q(path.edges[i - 1].table)} AS ${alias(i - 1)} ON ${e.columns.map((c, j) => `${alias(i)}.${q(c)} = ${alias(i - 1)}.${q(e.refColumns[j])}`).join(' AND ')}`;
  }
  const first = path.edges[0];
  sql += ` WHERE ${first.columns.map((c, j) => `${alias(0)}.${q(c)} = OLD.${q(first.refColumns[j])}`).join(' AND ')}`;
  return sql;
}

/**
 * The BEFORE trigger on a parent that starts cascades into moved tables.
 * Not fenced: records the key of every moved row each chain reaches (the
 * applier re-reads them). Fenced: refuses the statement if any chain reaches
 * a moved row. Holds the fence row's shared lock like the row triggers, so a
 * cascading transaction is drained by the fence like any other writer.
 * Keys are written as the changelog's key text (keys.ts keyTextExpr).
 */
export function cascadeCaptureTriggerDdl(service: string, parent: string, ev: 'update' | 'delete', paths: CascadePath[], shapes: Map<string, TableShape>, triggerName: string): string {
  const cl = q(changelogTable(service));
  const record = paths.map((p) => {
    const child = p.edges[p.edges.length - 1].table;
    const key = shapes.get(child)!.key;
    return `INSERT INTO ${cl} (tbl, pk) ${pathSelect(p, (a) => `${lit(child)}, ${keyTextExpr(key, a)}`)};`;
  });
  const reaches = paths.map((p) => `EXISTS (${pathSelect(p, () => '1')})`).join(' OR ');
  const msg = `split-db: a cascade from ${parent} would change fenced moved rows (${service} split)`;
  let body = `SELECT fenced INTO split_fenced FROM ${q(fenceTable(service))} WHERE id = 1 LOCK IN SHARE MODE; ` +
    `IF split_fenced THEN IF ${reaches} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = ${lit(msg.slice(0, 128))}; END IF; ` +
    `ELSE ${record.join(' ')} END IF;`;
  if (ev === 'update') {
    const cols = [...new Set(paths.map((p) => p.edges[0]).flatMap((e) => e.refColumns))];
    body = `IF ${cols.map((c) => `NOT (CAST(OLD.${q(c)} AS BINARY) <=> CAST(NEW.${q(c)} AS BINARY))`).join(' OR ')} THEN ${body} END IF;`; // byte-wise: a case-only change under a _ci collation cascades too
  }
  return `CREATE OR REPLACE TRIGGER ${q(triggerName)} BEFORE ${ev.toUpperCase()} ON ${q(parent)} FOR EACH ROW BEGIN DECLARE split_fenced TINYINT DEFAULT 0; IF @split_bypass IS NULL THEN ${body} END IF; END`;
}
