import { maskSecretsInText } from '../../../../lib/mask.ts';
import { SplitError } from '../errors.ts';
import { appTriggers } from './app-triggers.ts';
import { cascades } from './cascades.ts';
import { claims } from './claims.ts';
import { columnTypes } from './column-types.ts';
import { crossingFks } from './crossing-fks.ts';
import type { Facts } from './facts.ts';
import { key } from './key.ts';
import { legacyCode } from './legacy-code.ts';
import { privileges } from './privileges.ts';
import { server } from './server.ts';
import { tables } from './tables.ts';
import { targetEmpty } from './target-empty.ts';
import { targetReachable } from './target-reachable.ts';
import { targetSchema } from './target-schema.ts';
import { triggerNames } from './trigger-names.ts';
import type { Check, CheckResult, Finding } from './types.ts';

/** Every precondition of a move, in the order plan shows them. `start` changes nothing unless all pass. */
export const CHECKS: readonly Check[] = [
  server, targetReachable, privileges, tables, key, columnTypes, triggerNames, targetSchema, targetEmpty,
  crossingFks, cascades, appTriggers, claims, legacyCode,
];

/**
 * Runs every check (read-only). A check that fails to run is a blocker of its
 * own; a source that cannot be reached at all fails the whole run (every check
 * needs it).
 */
export async function runChecks(facts: Facts, checks: readonly Check[] = CHECKS): Promise<CheckResult[]> {
  await facts.source();
  const out: CheckResult[] = [];
  for (const c of checks) {
    let findings: Finding[];
    try {
      findings = await c.run(facts);
    } catch (err) {
      const msg = maskSecretsInText(String((err as Error)?.message ?? err)).split('\n')[0];
      facts.ctx.log.warn({ check: c.name, err: msg }, 'split check could not run');
      findings = [{ check: c.name, severity: 'blocker', message: `${c.name}: check could not run: ${msg}` }];
    }
    out.push({ name: c.name, what: c.what, ok: !findings.some((x) => x.severity === 'blocker'), findings });
  }
  return out;
}

export function blockersOf(results: CheckResult[]): Finding[] {
  return results.flatMap((r) => r.findings.filter((x) => x.severity === 'blocker'));
}

/** The BLOCKED error `start` throws when any check found a blocker (null: every check passed); `details.findings` lists them. */
export function blockedError(results: CheckResult[]): SplitError | null {
  const b = blockersOf(results);
  if (!b.length) return null;
  const failed = results.filter((r) => !r.ok).map((r) => r.name);
  return new SplitError('BLOCKED', `start blocked by ${b.length} finding(s) of check(s) ${failed.join(', ')}; nothing was changed: ${b.map((f) => f.message).join('; ')}`, { findings: b });
}
