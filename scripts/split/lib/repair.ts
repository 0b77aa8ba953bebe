/**
 * `split-db repair`: makes the copy equal to the live side for the keys the
 * last verify found different, through the applier. The applier's unit is a
 * key whose current row it re-reads on the live side (applier.ts): a key in
 * the changelog becomes that row on the copy, or no row when the live side
 * has none. So a repair is the differences' keys logged in the changelog,
 * then a catch-up: the same path, and the same idempotence, as every captured
 * change. Nothing else is rewritten.
 *
 * Where differences come from after a correct copy: a failover that lost the
 * old primary's last transactions (the copy has them, the new primary does
 * not), writes that bypass capture (sql_log_bin=0 with binlog capture, a
 * session that disabled the triggers, hand edits of the copy).
 */
import { drain, type ApplyResult } from './applier.ts';
import type { Faults } from './faults.ts';
import type { Link } from './link.ts';
import { keyTextExpr, rangeWhere } from './keys.ts';
import { changelogTable, qq } from './sql.ts';
import type { Difference, VerifyState } from './state.ts';

/** Keys logged per INSERT. */
const INSERT_KEYS = 500;

export interface RepairPlan {
  /** Table → key texts to log (the rows verify found different, every key of a range whose hash differed). */
  keys: Map<string, Set<string>>;
  /** Differences no key list can repair (a whole-table checksum difference), in words. */
  unrepairable: string[];
  /** Ranges whose hash differed with every row equal: all their keys, read from both sides. */
  ranges: Array<{ table: string; lo: string | null; hi: string | null }>;
}

/** Pure: `(lo..hi]` (key texts, either may be empty: open) of a `chunk-hash-differs` difference. */
export function parseRange(pk: string): { lo: string | null; hi: string | null } {
  const m = /^\((.*)\.\.(.*)\]$/.exec(pk);
  if (!m) throw new Error(`not a key range: ${pk}`);
  return { lo: m[1] === '' ? null : m[1], hi: m[2] === '' ? null : m[2] };
}

/** Pure: what the recorded differences ask to be logged. */
export function repairPlan(differences: Difference[], tables: Set<string>): RepairPlan {
  const plan: RepairPlan = { keys: new Map(), unrepairable: [], ranges: [] };
  for (const d of differences) {
    if (!tables.has(d.table)) {
      plan.unrepairable.push(`${d.table}: not a table of this split`);
      continue;
    }
    if (d.kind === 'table-checksum-differs') {
      plan.unrepairable.push(`${d.table}: CHECKSUM TABLE differs while every chunk compared equal (no key to repair; run verify --restart)`);
      continue;
    }
    if (d.kind === 'chunk-hash-differs') {
      plan.ranges.push({ table: d.table, ...parseRange(d.pk) });
      continue;
    }
    let set = plan.keys.get(d.table);
    if (!set) plan.keys.set(d.table, (set = new Set()));
    set.add(d.pk);
  }
  return plan;
}

/** Every key of a range on one side (a range whose hash differed: its keys from both sides are logged). */
async function rangeKeys(side: Link['from'], link: Link, r: { table: string; lo: string | null; hi: string | null }): Promise<string[]> {
  const shape = link.shapes.get(r.table)!;
  const [rows] = await side.knex.raw(`SELECT ${keyTextExpr(shape.key)} AS k FROM ${qq(side.db, r.table)} WHERE ${rangeWhere(shape.key, r.lo, r.hi)}`);
  return (rows as Array<{ k: string }>).map((x) => String(x.k));
}

/** The plan's keys, ranges read out (both sides), per table. */
export async function plannedKeys(link: Link, plan: RepairPlan): Promise<Map<string, Set<string>>> {
  const out = new Map([...plan.keys].map(([t, s]) => [t, new Set(s)]));
  for (const r of plan.ranges) {
    let set = out.get(r.table);
    if (!set) out.set(r.table, (set = new Set()));
    for (const side of [link.from, link.to]) for (const k of await rangeKeys(side, link, r)) set.add(k);
  }
  return out;
}

/** Logs the keys in the live side's changelog (the applier's input), then applies everything pending. */
export async function logAndApply(link: Link, keys: Map<string, Set<string>>, applyBatch: number, faults: Faults, onBatch?: (r: ApplyResult) => void): Promise<{ logged: number; applied: number }> {
  const table = qq(link.from.db, changelogTable(link.service));
  let logged = 0;
  for (const [t, set] of keys) {
    const all = [...set];
    for (let i = 0; i < all.length; i += INSERT_KEYS) {
      const part = all.slice(i, i + INSERT_KEYS);
      await link.from.knex.raw(`INSERT INTO ${table} (tbl, pk) VALUES ${part.map(() => '(?, ?)').join(', ')}`, part.flatMap((k) => [t, k]));
      logged += part.length;
    }
  }
  // a row the copy refuses is parked as poison (status shows it), as for any captured change
  const applied = await drain(link, applyBatch, faults, { onBatch });
  return { logged, applied };
}

/** Pure: the last verify is one a repair can act on, or why not. */
export function repairableWhy(v: VerifyState | undefined, direction: Link['direction']): string | null {
  if (!v?.finishedAt) return 'no finished verify to repair from: run verify first';
  if (v.direction !== direction) return `the last verify checked the ${v.direction} direction, the split is now ${direction}: run verify first`;
  return null;
}
