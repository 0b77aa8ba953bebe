import { cascadeBlockers } from '../cascade.ts';
import type { ForeignKey } from '../introspect.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'cascades';
const f = findingsOf(NAME);

type Change = 'delete' | 'update';

/** Longest chain reported (schemas with deeper cascades exist, but the report stays readable). */
export const MAX_CHAIN_DEPTH = 20;

const acts = (rule: string) => rule === 'CASCADE' || rule === 'SET NULL' || rule === 'SET DEFAULT';

/** What a change of the parent row does to the child rows through this FK (null: nothing). */
function produces(fk: ForeignKey, parent: Change): Change | null {
  if (parent === 'delete') return fk.onDelete === 'CASCADE' ? 'delete' : acts(fk.onDelete) ? 'update' : null;
  return acts(fk.onUpdate) ? 'update' : null;
}

/** Parent changes that make this FK act. */
function triggeredBy(fk: ForeignKey): Change[] {
  return [...(acts(fk.onDelete) ? ['delete' as const] : []), ...(acts(fk.onUpdate) ? ['update' as const] : [])];
}

function rules(fk: ForeignKey): string {
  return [acts(fk.onDelete) ? `ON DELETE ${fk.onDelete}` : '', acts(fk.onUpdate) ? `ON UPDATE ${fk.onUpdate}` : ''].filter(Boolean).join(' ');
}

export interface CascadeChain {
  /** FKs from the first parent to the last child, in cascade order. */
  fks: ForeignKey[];
  /** The chain returns to a table already in it (a self-referencing or cyclic cascade: unbounded depth). */
  cyclic: boolean;
}

export function chainText(c: CascadeChain): string {
  const tables = [c.fks[0].refTable, ...c.fks.map((fk) => fk.table)];
  return `${tables.join(' → ')}${c.cyclic ? ' → …' : ''} (${c.fks.map((fk) => `${fk.table}.${fk.name} ${rules(fk)}`).join(', ')})`;
}

/**
 * Pure: for every acting FK into a moved child whose parent can itself be
 * changed by a cascade, the chain back to its first parent. Row triggers do
 * not fire for cascaded changes, so the tool's cascade trigger on that parent
 * never runs: such chains are not captured.
 */
export function deepCascadesInto(fks: ForeignKey[], moved: Set<string>): CascadeChain[] {
  const out: CascadeChain[] = [];
  const intoTable = (t: string) => fks.filter((fk) => fk.table === t);
  for (const last of fks) {
    if (!moved.has(last.table) || !triggeredBy(last).length) continue;
    const chain = [last];
    let cyclic = false;
    let needs = new Set<Change>(triggeredBy(last));
    while (chain.length < MAX_CHAIN_DEPTH) {
      const head = chain[0];
      const up = intoTable(head.refTable).find((fk) => (['delete', 'update'] as Change[]).some((c) => { const p = produces(fk, c); return p !== null && needs.has(p); }));
      if (!up) break;
      if (chain.includes(up)) {
        cyclic = true;
        break;
      }
      chain.unshift(up);
      needs = new Set(triggeredBy(up));
    }
    if (chain.length > 1 || cyclic) out.push({ fks: chain, cyclic });
  }
  return out;
}

/** Pure: findings for cascades into and out of the moved set. */
export function assessCascades(fks: ForeignKey[], moved: Set<string>): Finding[] {
  const out: Finding[] = [];
  // chains of any depth are captured by the parent's cascade trigger (cascade.ts); cycles cannot be (a fixed join
  // cannot follow unbounded depth) and are blockers
  for (const c of deepCascadesInto(fks, moved)) {
    if (c.cyclic) continue;
    const last = c.fks[c.fks.length - 1];
    out.push(f.warning(`cascade chain ${chainText(c)} reaches moved table ${last.table}: captured at every level by a trigger on ${c.fks[0].refTable}; after cutover the chain is refused while it would change fenced rows`, {
      table: last.table, fix: `after cutover, apply ${c.fks[0].refTable} deletes/updates to ${last.table} through the owning service`,
    }));
  }
  for (const m of cascadeBlockers(fks, moved)) out.push(f.blocker(m, { fix: 'replace one cascade of the cycle with ON DELETE RESTRICT and delete the children in the application' }));
  for (const fk of fks) {
    if (!triggeredBy(fk).length) continue;
    const childIn = moved.has(fk.table);
    const parentIn = moved.has(fk.refTable);
    if (childIn && !parentIn) {
      out.push(f.warning(`${fk.refTable} → ${fk.table} (${fk.table}.${fk.name} ${rules(fk)}): changes of ${fk.refTable}, which stays, cascade into moved ${fk.table}; captured until cutover; after it, a change that would cascade into the fenced copy is refused (SQLSTATE 45000)`, {
        table: fk.table, fix: `the application must apply ${fk.refTable} changes to ${fk.table} through the service after cutover`,
      }));
    } else if (parentIn && !childIn) {
      out.push(f.warning(`${fk.refTable} → ${fk.table} (${fk.table}.${fk.name} ${rules(fk)}): changes of moved ${fk.refTable} cascade into ${fk.table}, which stays; after cutover they no longer do`, {
        table: fk.table, fix: `the application must apply ${fk.refTable} changes to ${fk.table} after cutover`,
      }));
    }
  }
  return out;
}

export const cascades: Check = {
  name: NAME,
  what: 'FK cascades (ON DELETE/UPDATE CASCADE, SET NULL) of any depth into or out of the moved tables; chains the capture cannot follow are blockers',
  async run(facts) {
    const cat = await facts.catalog();
    return assessCascades(cat.fks, new Set(facts.moved));
  },
};
