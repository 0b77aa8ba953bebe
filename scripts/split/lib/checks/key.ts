import type { TableInfo } from '../introspect.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'key';
const f = findingsOf(NAME);

const INTEGER_PK = /^(tinyint|smallint|mediumint|int|bigint)\b/;

/**
 * Pure: the table has a key the copy can walk. Today: a single-column integer
 * primary key.
 * TODO(s-engine): replace the body with `keyOf(info)` from lib/keys.ts ({ key } | { refusal }) once any-key support lands.
 */
export function assessKey(t: TableInfo): Finding[] {
  if (!t.exists) return [];
  if (!t.pk.length) return [f.blocker(`${t.name}: no primary key`, { table: t.name, fix: 'add a primary key' })];
  if (t.pk.length > 1) return [f.blocker(`${t.name}: composite primary key (${t.pk.join(', ')}) is not supported`, { table: t.name })];
  if (!INTEGER_PK.test(t.pkType ?? '')) return [f.blocker(`${t.name}: primary key ${t.pk[0]} is ${t.pkType}; only integer keys are supported`, { table: t.name })];
  return [];
}

export const key: Check = {
  name: NAME,
  what: 'every moved table has a key the copy can walk in chunks',
  async run(facts) {
    const cat = await facts.catalog();
    return facts.moved.flatMap((t) => assessKey(cat.infos.get(t)!));
  },
};
