/** What the steps collect for the final summary (all plain data). */
import type { ServerErrorGroup, ShadowBreakdown } from './diagnostics.ts';
export type StepStatus = 'done' | 'unavailable' | 'failed';

export interface StepRecord {
  id: string;
  title: string;
  status: StepStatus;
  reason?: string;
  ms: number;
}

export interface RouteDiff {
  route: string;
  service: string;
  /** Shadow comparisons: sent, matched, mismatched (service vs legacy), and legacy-vs-legacy noise mismatches. */
  sent: number;
  matched: number;
  mismatched: number;
  noiseMismatched: number;
  finalMode: string;
  /** The counts broken down so they add up (diagnostics.ts), and one line per mismatch saying what differed. */
  breakdown?: ShadowBreakdown;
  explanations?: string[];
}

export interface SplitRecord {
  service: string;
  action: 'cutover' | 'rollback';
  tables: string[];
  rowsCopied: number;
  changesApplied: number;
  rowsCompared: number;
  differences: number;
  inFlight: number;
  freezeMs: number;
}

export interface Evidence {
  steps: StepRecord[];
  routes: RouteDiff[];
  splits: SplitRecord[];
  notes: string[];
  /** Error-level lines of the demo's processes' log (read at the end): the verdict counts them. */
  serverErrors?: ServerErrorGroup[];
}

export function emptyEvidence(): Evidence {
  return { steps: [], routes: [], splits: [], notes: [] };
}
