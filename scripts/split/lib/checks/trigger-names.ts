import { triggerName } from '../sql.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'trigger-names';
const f = findingsOf(NAME);

/** MariaDB identifiers are at most 64 characters. */
export const MAX_IDENTIFIER = 64;

/** Pure: the tool's trigger names for these tables fit. */
export function assessTriggerNames(service: string, tables: string[]): Finding[] {
  return tables.filter((t) => triggerName(service, t, 'update').length > MAX_IDENTIFIER)
    .map((t) => f.blocker(`${t}: name too long for the capture trigger names (${triggerName(service, t, 'update')})`, { table: t, fix: 'use a shorter service name' }));
}

export const triggerNames: Check = {
  name: NAME,
  what: 'the capture trigger names (_split_<service>_<table>_…) fit in 64 characters',
  async run(facts) {
    return assessTriggerNames(facts.ctx.service.name, facts.moved);
  },
};
