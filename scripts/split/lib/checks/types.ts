import type { Facts } from './facts.ts';

/** How bad a finding is: a blocker stops `start` before it changes anything; a warning is reported only. */
export type Severity = 'blocker' | 'warning';

export interface Finding {
  /** Name of the check that produced it. */
  check: string;
  severity: Severity;
  table?: string;
  message: string;
  /** What the DBA can do about it. */
  fix?: string;
}

/** One precondition of a data move. `run` only reads; it never changes either database. */
export interface Check {
  name: string;
  /** One line: what is checked (shown by plan and in docs/split.md). */
  what: string;
  run(facts: Facts): Promise<Finding[]>;
}

export interface CheckResult {
  name: string;
  what: string;
  /** false when the check found a blocker (or could not run). */
  ok: boolean;
  findings: Finding[];
}

/** Helper for the pure parts: findings of one check. */
export function findingsOf(check: string) {
  return {
    blocker: (message: string, extra: { table?: string; fix?: string } = {}): Finding => ({ check, severity: 'blocker', message, ...extra }),
    warning: (message: string, extra: { table?: string; fix?: string } = {}): Finding => ({ check, severity: 'warning', message, ...extra }),
  };
}
