import type { TableInfo } from '../introspect.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'column-types';
const f = findingsOf(NAME);

const UNSUPPORTED_TYPES = /^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)$/;

/**
 * Pure: every column can be carried exactly.
 * TODO(s-types): add `exactnessBlockers(columns)` from lib/exact.ts once it lands (types that cannot be carried exactly are blockers).
 */
export function assessColumnTypes(t: TableInfo): Finding[] {
  const out: Finding[] = [];
  for (const c of t.allColumns) {
    if (UNSUPPORTED_TYPES.test(c.dataType)) out.push(f.blocker(`${t.name}.${c.name}: type ${c.dataType} is not supported`, { table: t.name }));
    else if (c.dataType === 'float') out.push(f.warning(`${t.name}.${c.name}: FLOAT is approximate; verify compares its text form`, { table: t.name }));
  }
  return out;
}

export const columnTypes: Check = {
  name: NAME,
  what: 'every column type of the moved tables is carried exactly',
  async run(facts) {
    const cat = await facts.catalog();
    return facts.moved.flatMap((t) => assessColumnTypes(cat.infos.get(t)!));
  },
};
