import type { CodeHit } from '../scan.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'legacy-code';
const f = findingsOf(NAME);

/** Pure: legacy code that reads the moved tables directly (warnings: it keeps working until complete). */
export function assessCode(code: CodeHit[]): Finding[] {
  return code.flatMap((h) => {
    if (h.crossesBoundaryWith.length) return [f.warning(`${h.file}:${h.line}: ${h.kind} query joins ${h.table} with ${h.crossesBoundaryWith.join(', ')} (crosses the boundary; must become a Thrift call + in-memory join)`, { table: h.table })];
    if (!h.switchesToThrift) return [f.warning(`${h.file}:${h.line}: direct ${h.kind} access to ${h.table} outside the repository seam${h.job ? ' (job)' : ''}`, { table: h.table })];
    return [];
  });
}

export const legacyCode: Check = {
  name: NAME,
  what: 'legacy code touching the moved tables goes through the repository seam (warnings only)',
  async run(facts) {
    return assessCode(await facts.code());
  },
};
