import type { CodeScan } from '../scan.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

/** Kept as "legacy-code" (start skips this check by name). */
export const NAME = 'legacy-code';
const f = findingsOf(NAME);

/**
 * Pure: the application's statements that will break or need moving after the
 * split (warnings: the code keeps working until cutover). A statement naming a
 * moved table together with one that stays is a join/subquery/transaction the
 * target cannot answer; SQL the parser could not read is listed, never dropped;
 * with a seam configured, direct access outside it is listed too.
 */
export function assessCode(scan: CodeScan, seamConfigured = true): Finding[] {
  const out: Finding[] = [];
  for (const h of scan.hits) {
    const where = `${h.file}:${h.line}${h.site ? ` (${h.site})` : ''}`;
    if (h.crossesBoundaryWith.length) {
      const what = h.kind === 'transaction' ? `transaction writes ${h.moved.join(', ')} together with ${h.crossesBoundaryWith.join(', ')} (lines ${h.statements?.join(', ')}; no longer one transaction after the split)` : `${h.kind} statement joins ${h.moved.join(', ')} with ${h.crossesBoundaryWith.join(', ')} (crosses the boundary: must become a service call + in-memory join)`;
      out.push(f.warning(`${where}: ${what}`, { table: h.moved[0] }));
    } else if (seamConfigured && !h.throughSeam && h.kind !== 'transaction') {
      out.push(f.warning(`${where}: direct ${h.kind} access to ${h.moved.join(', ')} outside the seam`, { table: h.moved[0] }));
    }
  }
  for (const u of scan.unparsed) {
    out.push(f.warning(`${u.file}:${u.line}${u.site ? ` (${u.site})` : ''}: unparsed SQL${u.mentions.length ? ` mentioning ${u.mentions.join(', ')}` : ''} (${u.error}); check it by hand`));
  }
  return out;
}

export const legacyCode: Check = {
  name: NAME,
  what: "the application's code (manifest code / --code) touching the moved tables: crossing joins, unparsed SQL, access outside the seam (warnings only)",
  async run(facts) {
    const seam = facts.ctx.service.seam;
    return assessCode(await facts.code(), !!seam && (seam.imports.length > 0 || seam.paths.length > 0));
  },
};
