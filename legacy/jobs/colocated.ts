/**
 * When may the legacy SQL jobs run? Only while products, shops and users are
 * all served by legacy from the legacy database (ownership registry,
 * lib/ownership): then the tables they join are the live ones, side by side.
 * Once any of the three is service-owned or split, the join would read stale
 * copies or fenced tables, and the jobs go through the services instead
 * (services/jobs). Pure.
 */
import type { Domain, OwnershipRecord } from '../../lib/ownership/index.ts';

export const JOB_DOMAINS = ['product', 'shop', 'user'] as const satisfies readonly Domain[];

export function tablesColocated(records: readonly OwnershipRecord[]): boolean {
  return JOB_DOMAINS.every((d) => {
    const r = records.find((x) => x.domain === d);
    // no record = the registry's default: legacy-owned, legacy database
    return !r || (r.owner === 'legacy' && r.database === 'legacy');
  });
}

/** 'product=service/own shop=legacy/legacy user=legacy/legacy' for logs and results. */
export function describeOwners(records: readonly OwnershipRecord[]): string {
  return JOB_DOMAINS.map((d) => {
    const r = records.find((x) => x.domain === d);
    return `${d}=${r?.owner ?? 'legacy'}/${r?.database ?? 'legacy'}`;
  }).join(' ');
}
