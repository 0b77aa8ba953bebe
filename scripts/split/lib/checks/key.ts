import type { TableInfo } from '../introspect.ts';
import { keyOf } from '../keys.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'key';
const f = findingsOf(NAME);

/**
 * Pure: the table has a key the copy can walk (lib/keys.ts: the PRIMARY KEY, else the first NOT NULL unique key;
 * integer, DECIMAL, CHAR/VARCHAR in any collation, BINARY/VARBINARY, DATE, DATETIME, and composites of them).
 */
export function assessKey(t: TableInfo): Finding[] {
  if (!t.exists) return [];
  const k = keyOf(t);
  return 'refusal' in k ? [f.blocker(k.refusal, { table: t.name, fix: 'add a PRIMARY KEY (or a UNIQUE key over NOT NULL columns) of key-able columns' })] : [];
}

export const key: Check = {
  name: NAME,
  what: 'every moved table has a key the copy can walk in chunks',
  async run(facts) {
    const cat = await facts.catalog();
    return facts.moved.flatMap((t) => assessKey(cat.infos.get(t)!));
  },
};
