import type { TableInfo } from '../introspect.ts';
import { schemaDifferences } from '../schema.ts';
import { assessDrift } from '../schema-guard.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'target-schema';
const f = findingsOf(NAME);

/** Pure: a target table that already exists matches the source column by column. */
export function assessTargetSchema(src: TableInfo, dst: TableInfo | undefined): Finding[] {
  if (!src.exists || !dst?.exists) return [];
  return schemaDifferences(src, dst).map((d) => f.blocker(`target schema: ${d}`, { table: src.name, fix: 'make the manifest\'s migrations/schema create the same columns, or drop the target table so start creates it (by default from the source\'s own DDL)' }));
}

export const targetSchema: Check = {
  name: NAME,
  what: 'target tables that already exist have exactly the source\'s columns, types and key',
  async run(facts) {
    const cat = await facts.catalog();
    // a split under way: both sides against the definitions it recorded (schema-guard.ts), with advice that keeps the copy
    // (the check's own advice, drop the target table, would throw it away); before the record exists, the guard's first command makes it
    const own = await facts.ownState();
    if (own && own.phase !== 'completed') {
      if (!own.schema) return [];
      const d = assessDrift(own.schema, new Map(facts.moved.map((t) => [t, cat.infos.get(t)!])), await facts.targetTables());
      return d.blockers.map((b) => f.blocker(`split under way: ${b.text}`, { table: b.table, fix: 'apply the same ALTER TABLE on the side that did not change (or undo it where it was made), then split-db verify' }));
    }
    const dst = await facts.targetTables();
    return facts.moved.flatMap((t) => assessTargetSchema(cat.infos.get(t)!, dst.get(t)));
  },
};
