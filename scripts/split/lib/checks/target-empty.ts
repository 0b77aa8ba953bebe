import type { SplitState } from '../state.ts';
import { DEFAULT_ROWS_PROBE_LIMIT } from './facts.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'target-empty';
const f = findingsOf(NAME);

/**
 * Pure: a target table holding rows is a blocker unless this service's own
 * resumable state says the tool wrote them (a resumed start, or after cutover).
 */
export function assessTargetEmpty(rows: Map<string, number>, own: SplitState | undefined, service: string, targetDb: string): Finding[] {
  if (own && own.phase !== 'completed') return [];
  const out: Finding[] = [];
  for (const [table, n] of rows) {
    if (n === 0) continue;
    const count = n > DEFAULT_ROWS_PROBE_LIMIT ? `more than ${DEFAULT_ROWS_PROBE_LIMIT} rows` : `${n} row(s)`;
    out.push(f.blocker(`target ${targetDb}.${table} already holds ${count} and no split state of ${service} says split-db wrote them (e.g. cancel without --drop-target); they would stay as extra rows`, {
      table, fix: `empty it (TRUNCATE ${targetDb}.${table}) or drop the target: split-db cancel ${service} --drop-target --confirm`,
    }));
  }
  return out;
}

export const targetEmpty: Check = {
  name: NAME,
  what: 'target tables hold no rows, unless this service\'s resumable state says the tool wrote them',
  async run(facts) {
    return assessTargetEmpty(await facts.targetRows(), await facts.ownState(), facts.ctx.service.name, facts.ctx.target.db);
  },
};
