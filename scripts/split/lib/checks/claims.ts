import type { SplitState } from '../state.ts';
import { busyLocks } from '../table-locks.ts';
import { TOOL_TRIGGER_PREFIX } from './app-triggers.ts';
import type { TriggerRow } from './facts.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'claims';
const f = findingsOf(NAME);

/** Pure: other splits (any service name, any manifest) whose state claims one of these tables on the same source database. */
export function claimsFromStates(states: SplitState[], service: string, moved: string[]): Finding[] {
  const out: Finding[] = [];
  for (const s of states) {
    if (s.service === service || s.phase === 'completed') continue;
    for (const t of moved.filter((m) => m in s.tables)) {
      out.push(f.blocker(`table ${t} is claimed by split "${s.service}" (phase ${s.phase}) on the same source database`, {
        table: t, fix: `finish that split (complete) or cancel it (split-db cancel ${s.service}) before moving ${t} again`,
      }));
    }
  }
  return out;
}

/**
 * Pure: the tool's triggers (`_split_…`) of another split on a moved table.
 * Ours are every `_split_<service>_…` name (whatever kinds of trigger capture
 * and fence add), except where a known other service's longer name matches.
 */
export function claimsFromTriggers(rows: TriggerRow[], service: string, moved: string[], otherServices: string[] = []): Finding[] {
  const set = new Set(moved);
  const longer = otherServices.filter((o) => o !== service && o.startsWith(`${service}_`));
  const ours = (name: string) => name.startsWith(`${TOOL_TRIGGER_PREFIX}${service}_`) && !longer.some((o) => name.startsWith(`${TOOL_TRIGGER_PREFIX}${o}_`));
  return rows.filter((r) => set.has(r.table) && r.name.startsWith(TOOL_TRIGGER_PREFIX) && !ours(r.name))
    .map((r) => f.blocker(`table ${r.table} carries trigger ${r.name} of another split`, { table: r.table, fix: 'finish or cancel that split first' }));
}

export const claims: Check = {
  name: NAME,
  what: 'no other split (any service name or manifest) claims a moved table: state documents, capture triggers and the per-table runtime locks',
  async run(facts) {
    const ctx = facts.ctx;
    const out = [
      ...claimsFromStates(await facts.states(), ctx.service.name, facts.moved),
      ...claimsFromTriggers(await facts.triggers('source'), ctx.service.name, facts.moved, [...(await facts.states()).map((x) => x.service), ...ctx.service.owners.values()]),
    ];
    const busy = await busyLocks(ctx.source.knex, ctx.source.db, ctx.service.name, facts.moved);
    if (busy.service) out.push(f.warning(`a split-db process of ${ctx.service.name} is running now (e.g. start --follow); commands that change things will wait for it to stop`));
    else for (const t of busy.tables) out.push(f.blocker(`table ${t} is locked by a running split-db process of another service`, { table: t, fix: 'stop that process, or wait for it' }));
    return out;
  },
};
