import type { ForeignKey } from '../introspect.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'crossing-fks';
const f = findingsOf(NAME);

export interface CrossingFk {
  constraint: string;
  table: string;
  columns: string[];
  refTable: string;
  onDelete: string;
  onUpdate: string;
  /** outgoing: a moved table points out of the service; incoming: a table staying behind points in. */
  direction: 'outgoing' | 'incoming';
  otherSide: string;
  decision: string | null;
  note?: string;
}

/** Pure: FKs between a moved table and a table that is not moved, with the manifest's decision. */
export function crossingForeignKeys(fks: ForeignKey[], moved: Set<string>, owners: Map<string, string>, service: string, decisions: Record<string, { action: string; note?: string }>): CrossingFk[] {
  void service;
  const out: CrossingFk[] = [];
  for (const fk of fks) {
    const childIn = moved.has(fk.table);
    const parentIn = moved.has(fk.refTable);
    if (childIn === parentIn) continue;
    const other = childIn ? fk.refTable : fk.table;
    const d = decisions[`${fk.table}.${fk.name}`];
    out.push({
      constraint: fk.name, table: fk.table, columns: fk.columns, refTable: fk.refTable, onDelete: fk.onDelete, onUpdate: fk.onUpdate,
      direction: childIn ? 'outgoing' : 'incoming', otherSide: `${other} (${owners.get(other) ?? 'legacy'})`,
      decision: d?.action ?? null, ...(d?.note ? { note: d.note } : {}),
    });
  }
  return out;
}

/** Pure: every crossing FK needs a decision; ON UPDATE CASCADE from a moved parent out to a staying child cannot be kept. */
export function assessCrossing(crossing: CrossingFk[]): Finding[] {
  const out: Finding[] = [];
  for (const fk of crossing) {
    if (!fk.decision) {
      out.push(f.blocker(`FK ${fk.table}.${fk.constraint} → ${fk.refTable} crosses the boundary (${fk.otherSide}) with no decision in the manifest (crossingForeignKeys."${fk.table}.${fk.constraint}")`, {
        table: fk.table, fix: `add crossingForeignKeys."${fk.table}.${fk.constraint}": { "action": "drop" } to the manifest (integrity moves to the application)`,
      }));
    }
    if (fk.direction === 'incoming' && fk.onUpdate === 'CASCADE') out.push(f.blocker(`FK ${fk.table}.${fk.constraint}: ON UPDATE CASCADE into a moved table is not supported`, { table: fk.table }));
  }
  return out;
}

export const crossingFks: Check = {
  name: NAME,
  what: 'every FK between a moved table and one that stays has a decision in the manifest',
  async run(facts) {
    const cat = await facts.catalog();
    const s = facts.ctx.service;
    return assessCrossing(crossingForeignKeys(cat.fks, new Set(facts.moved), s.owners, s.name, s.spec.crossingForeignKeys));
  },
};
