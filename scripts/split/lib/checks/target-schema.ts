import type { TableInfo } from '../introspect.ts';
import { schemaDifferences } from '../schema.ts';
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
    // a split under way: its schema guard (schema-guard.ts) compares both sides with what it recorded, with advice that keeps the copy
    const own = await facts.ownState();
    if (own && own.phase !== 'completed') return [];
    const cat = await facts.catalog();
    const dst = await facts.targetTables();
    return facts.moved.flatMap((t) => assessTargetSchema(cat.infos.get(t)!, dst.get(t)));
  },
};
