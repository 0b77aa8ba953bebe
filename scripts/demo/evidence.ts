/** What the steps collect for the final summary (all plain data). */
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
}

export function emptyEvidence(): Evidence {
  return { steps: [], routes: [], splits: [], notes: [] };
}
