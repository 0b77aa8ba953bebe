import type { TableInfo } from '../introspect.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'tables';
const f = findingsOf(NAME);

/** Pure: every moved table exists on the source and is InnoDB. */
export function assessTables(tables: TableInfo[]): Finding[] {
  const out: Finding[] = [];
  for (const t of tables) {
    if (!t.exists) out.push(f.blocker(`${t.name}: table does not exist on the source`, { table: t.name, fix: 'fix the table name in the manifest' }));
    else if (t.engine && t.engine.toLowerCase() !== 'innodb') out.push(f.blocker(`${t.name}: engine ${t.engine} (transactions needed; only InnoDB is supported)`, { table: t.name, fix: `ALTER TABLE ${t.name} ENGINE=InnoDB` }));
  }
  return out;
}

export const tables: Check = {
  name: NAME,
  what: 'every moved table exists on the source and is InnoDB',
  async run(facts) {
    const cat = await facts.catalog();
    return assessTables(facts.moved.map((t) => cat.infos.get(t)!));
  },
};
