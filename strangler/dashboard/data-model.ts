/**
 * The data page's view model (pure): each split's phase, copy progress with rows/s and ETA, backlog with its trend
 * and lag, the last verify, freeze durations; and one timeline of route changes (audit log) and split events.
 */
import { tableFraction } from '../../scripts/split/lib/progress.ts';
import { verifyPredatesSchemaChange } from '../../scripts/split/lib/verify-gate.ts';
import type { SplitState } from '../../scripts/split/lib/state.ts';
import type { AuditEntry } from '../audit.ts';

/** One read of one split: its state document and its capture backlog (changes not applied yet), at time t. */
export interface SplitSample {
  t: number;
  state: SplitState;
  backlog: number | null;
}

export interface SplitView {
  service: string;
  phase: string;
  switching: string | null;
  source: string;
  target: string;
  updatedAt: string;
  copy: { fraction: number; rowsCopied: number; rowsPerSecond: number | null; etaSeconds: number | null; tables: Array<{ name: string; fraction: number; rows: number; done: boolean }> };
  backlog: { rows: number | null; growingPerSecond: number | null; applied: number; lagSeconds: number | null };
  verify: { startedAt: string; finishedAt: string | null; rowsCompared: number; differences: number; ok: boolean | null; direction: string } | null;
  /** A moved table's definition changed (split-db's schema guard recorded it) after the last verify began: the cutover needs a new one. */
  schemaChangedAt: string | null;
  verifyStale: boolean;
  freezes: Array<{ at: string; kind: string; ok: boolean; freezeMs: number | null; error: string | null }>;
}

const perSecond = (a: number, b: number, ms: number) => (ms > 0 ? ((a - b) * 1000) / ms : null);

/** `prev` is the previous read of the same split (null on the first): rates come from the two. */
export function splitView(cur: SplitSample, prev: SplitSample | null): SplitView {
  const s = cur.state;
  const tables = Object.entries(s.tables).map(([name, p]) => ({ name, fraction: tableFraction(p), rows: p.rows, done: p.done }));
  const rowsCopied = tables.reduce((a, t) => a + t.rows, 0);
  const fraction = tables.length ? tables.reduce((a, t) => a + (t.done ? 1 : t.fraction), 0) / tables.length : 0;
  const ms = prev ? cur.t - prev.t : 0;
  const prevRows = prev ? Object.values(prev.state.tables).reduce((a, p) => a + p.rows, 0) : 0;
  const rowsPerSecond = prev && s.phase === 'copying' ? perSecond(rowsCopied, prevRows, ms) : null;
  let etaSeconds: number | null = null;
  if (rowsPerSecond !== null && rowsPerSecond > 0 && fraction > 0 && fraction < 1) {
    etaSeconds = Math.round((rowsCopied / fraction - rowsCopied) / rowsPerSecond);
  }
  const applied = s.applied.forward + s.applied.reverse;
  const prevApplied = prev ? prev.state.applied.forward + prev.state.applied.reverse : applied;
  const applyRate = prev ? perSecond(applied, prevApplied, ms) : null;
  const growingPerSecond = prev && cur.backlog !== null && prev.backlog !== null ? perSecond(cur.backlog, prev.backlog, ms) : null;
  const lagSeconds = cur.backlog === null ? null : cur.backlog === 0 ? 0 : applyRate !== null && applyRate > 0 ? Math.round(cur.backlog / applyRate) : null;
  const v = s.verify;
  return {
    service: s.service, phase: s.phase,
    switching: s.switching ? `${s.switching.kind} at ${s.switching.step}` : null,
    source: s.source, target: s.target, updatedAt: s.updatedAt,
    copy: { fraction: s.phase === 'copying' ? fraction : 1, rowsCopied, rowsPerSecond: rowsPerSecond === null ? null : Math.max(0, Math.round(rowsPerSecond)), etaSeconds, tables },
    backlog: { rows: cur.backlog, growingPerSecond: growingPerSecond === null ? null : Math.round(growingPerSecond * 10) / 10, applied, lagSeconds },
    verify: v ? {
      startedAt: v.startedAt, finishedAt: v.finishedAt ?? null, direction: v.direction,
      rowsCompared: Object.values(v.tables).reduce((a, t) => a + t.rows, 0),
      differences: Math.max(v.differencesFound ?? 0, v.differences.length), ok: v.ok ?? null,
    } : null,
    freezes: s.attempts.map((a) => ({ at: a.at, kind: a.kind, ok: a.ok, freezeMs: a.freezeMs ?? null, error: a.error ?? null })),
    schemaChangedAt: s.schemaChangedAt ?? null,
    verifyStale: s.phase !== 'completed' && verifyPredatesSchemaChange(s), // as split-db's verify gate reads it
  };
}

export interface TimelineItem {
  at: string;
  kind: 'route' | 'split';
  subject: string;
  what: string;
  who: string | null;
  reason: string | null;
}

function auditWhat(e: AuditEntry): string {
  if (e.from && e.to) return `${e.action}: ${e.from.mode}${e.from.mode === 'canary' ? ` ${e.from.percent}%` : ''} → ${e.to.mode}${e.to.mode === 'canary' ? ` ${e.to.percent}%` : ''}`;
  return e.action;
}

/** Route changes and split events in one list, newest first, at most `limit`. */
export function timeline(audit: AuditEntry[], splits: SplitState[], limit = 200): TimelineItem[] {
  const items: TimelineItem[] = [
    ...audit.map((e) => ({ at: e.at, kind: 'route' as const, subject: e.route, what: auditWhat(e), who: e.who, reason: e.reason || null })),
    ...splits.flatMap((s) => s.history.map((h) => ({ at: h.at, kind: 'split' as const, subject: s.service, what: h.detail ? `${h.event}: ${h.detail}` : h.event, who: null, reason: null }))),
  ];
  return items.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, limit);
}
