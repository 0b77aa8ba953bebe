import type { SplitState } from './state.ts';

/**
 * Cutover refuses unless the last verify is clean and recent (issue #11 item
 * 7). Clean and recent means: a forward verify finished after the copy
 * completed, within `maxAgeMs` of now, found no difference (not even in a
 * list cut at the cap), and no verify has been started since (a newer verify
 * replaces the last one in the state, so one in progress or one that found
 * differences blocks too). `--force --reason "<text>"` overrides; the reason
 * is recorded in the state history and the ownership audit. Pure.
 */
export const DEFAULT_VERIFY_MAX_AGE_MS = 60 * 60 * 1000;

export type GateResult = { ok: true } | { ok: false; reason: string };

/**
 * When the data to verify was last completed: the last 'copied' (copy done) or
 * 'rolled back' (the legacy side made current again) history event; with a
 * trimmed history, the oldest event kept (later than the copy, so stricter).
 */
export function copiedAt(state: SplitState): string | undefined {
  for (let i = state.history.length - 1; i >= 0; i--) if (state.history[i].event === 'copied' || state.history[i].event === 'rolled back') return state.history[i].at;
  return state.history[0]?.at;
}

/**
 * Pure: a moved table's definition changed (schema-guard.ts recorded it) and the last verify, if any, began before
 * that. `<`: verify records a change before it starts and holds the split's lock, so one begun in the same
 * millisecond came after it. Read by the gate below, by verify (an unfinished one starts over) and by the dashboard.
 */
export function verifyPredatesSchemaChange(state: Pick<SplitState, 'schemaChangedAt' | 'verify'>): boolean {
  return !!state.schemaChangedAt && (!state.verify || Date.parse(state.verify.startedAt) < Date.parse(state.schemaChangedAt));
}

export function verifyGate(state: SplitState, now: Date, maxAgeMs: number): GateResult {
  const v = state.verify;
  if (!v) return { ok: false, reason: 'no verify has run since the copy (run: split-db verify <service>)' };
  if (v.direction !== 'forward') return { ok: false, reason: 'the last verify compared the reverse direction; run verify again before cutover' };
  if (!v.finishedAt) return { ok: false, reason: `the last verify (started ${v.startedAt}) has not finished; run verify to completion` };
  const found = v.differencesFound ?? v.differences.length;
  if (!v.ok || found > 0 || v.differences.length > 0 || v.truncated) {
    return { ok: false, reason: `the last verify (finished ${v.finishedAt}) reported ${v.truncated ? '≥ ' : ''}${Math.max(found, v.differences.length)} difference(s)` };
  }
  const copied = copiedAt(state);
  const finished = Date.parse(v.finishedAt);
  if (copied && !(finished > Date.parse(copied))) return { ok: false, reason: `the last verify finished at ${v.finishedAt}, before the copy (or the last rollback) completed at ${copied}; run verify again` };
  if (verifyPredatesSchemaChange(state)) {
    return { ok: false, reason: `the last verify started at ${v.startedAt}, before a moved table's definition changed (recorded at ${state.schemaChangedAt}); run verify again` };
  }
  const age = now.getTime() - finished;
  if (age > maxAgeMs) return { ok: false, reason: `the last clean verify is ${formatAge(age)} old (limit ${formatAge(maxAgeMs)}, --verify-max-age); run verify again` };
  return { ok: true };
}

function formatAge(ms: number): string {
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** Parses `--verify-max-age`: milliseconds, or a number with unit ms/s/m/h/d. Undefined when malformed. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$/.exec(v);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  const n = Number(m[1]) * unit;
  return Number.isFinite(n) ? Math.round(n) : undefined;
}
