import { exactnessBlockers } from '../exact.ts';
import type { TableInfo } from '../introspect.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'column-types';
const f = findingsOf(NAME);

/** Pure: every column can be carried byte-exactly (lib/exact.ts decides per type family); the rest are blockers. */
export function assessColumnTypes(t: TableInfo): Finding[] {
  return exactnessBlockers(t.allColumns, t.name).map((m) => f.blocker(m, { table: t.name }));
}

export const columnTypes: Check = {
  name: NAME,
  what: 'every column type of the moved tables is carried exactly',
  async run(facts) {
    const cat = await facts.catalog();
    return facts.moved.flatMap((t) => assessColumnTypes(cat.infos.get(t)!));
  },
};
