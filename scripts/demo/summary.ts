/**
 * The closing summary: requests and client-visible errors per phase with
 * p50/p99, shadow diff counts per route, rows compared and differences per
 * split, write-freeze durations, and a verdict. Pure: samples and evidence in,
 * text out.
 */
import type { Evidence } from './evidence.ts';
import { renderTable } from './table.ts';
import { summarize, summaryOf } from './traffic/stats.ts';
import type { Sample } from './traffic/types.ts';

export interface Verdict {
  requests: number;
  /** Answers whose data the clients checked against their own writes, and how many contradicted them. */
  checks: number;
  contradictions: number;
  clientErrors: number;
  /** Error-level lines in the processes' log (e.g. `thrift handler failed`), which clients may never see. */
  serverErrors: number;
  /** Shadow comparisons where the service answered differently (each explained in the summary). */
  shadowMismatches: number;
  dataDifferences: number;
  stepsDone: number;
  stepsUnavailable: number;
  stepsFailed: number;
  ok: boolean;
}

export function verdict(samples: readonly Sample[], ev: Evidence): Verdict {
  const clientErrors = samples.filter((s) => s.error).length;
  const dataDifferences = ev.splits.reduce((n, s) => n + s.differences, 0);
  const stepsDone = ev.steps.filter((s) => s.status === 'done').length;
  const stepsUnavailable = ev.steps.filter((s) => s.status === 'unavailable').length;
  const stepsFailed = ev.steps.filter((s) => s.status === 'failed').length;
  const checks = samples.filter((s) => s.checked).length;
  const contradictions = samples.filter((s) => s.error === 'consistency').length;
  const serverErrors = (ev.serverErrors ?? []).reduce((n, g) => n + g.count, 0);
  const shadowMismatches = ev.routes.reduce((n, r) => n + r.mismatched, 0);
  return {
    requests: samples.length, checks, contradictions, clientErrors, serverErrors, shadowMismatches, dataDifferences, stepsDone, stepsUnavailable, stepsFailed,
    ok: clientErrors === 0 && serverErrors === 0 && dataDifferences === 0 && stepsFailed === 0,
  };
}

/** The error code from a recorded detail like "GET /x: 500 INTERNAL Internal server error". */
function errorCode(detail: string | undefined): string {
  const m = detail ? /: \d{3} ([A-Z_]+)/.exec(detail) : null;
  return m ? m[1] : '';
}

const ms = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : NaN);

export function formatSummary(samples: readonly Sample[], ev: Evidence, phaseOrder: readonly string[] = []): string {
  const out: string[] = [];
  const order = (k: string) => {
    const i = phaseOrder.indexOf(k);
    return i === -1 ? phaseOrder.length : i;
  };
  out.push('Steps');
  out.push(renderTable(['step', 'status', 'seconds', 'note'], ev.steps.map((s) => [s.id, s.status, Math.round(s.ms / 100) / 10, s.reason ?? ''])));

  out.push('', 'Client traffic per phase (every request the shopper app, admin web and merchant web sent)');
  const phases = summarize(samples, (s) => s.phase).sort((a, b) => order(a.key) - order(b.key));
  const all = summaryOf('total', samples);
  out.push(renderTable(['phase', 'requests', 'errors', 'req/s', 'p50 ms', 'p99 ms', 'max ms'],
    [...phases, all].map((g) => [g.key, g.requests, g.errors, Math.round(g.rps), ms(g.p50), ms(g.p99), ms(g.max)])));

  const checked = samples.filter((x) => x.checked);
  const violations = checked.filter((x) => x.error === 'consistency').length;
  out.push(`read-your-writes checks (likes lists, products read back after edits, bulk upload counts): ${checked.length}, contradicted: ${violations}`);

  out.push('', 'Per client kind');
  out.push(renderTable(['client', 'requests', 'errors', 'p50 ms', 'p99 ms'],
    summarize(samples, (s) => s.persona).map((g) => [g.key, g.requests, g.errors, ms(g.p50), ms(g.p99)])));

  if (ev.routes.length) {
    out.push('', 'Shadow comparisons per route (service answer vs legacy answer; noise = legacy vs itself)');
    out.push(renderTable(['route', 'service', 'shadowed', 'matched', 'diffs', 'noise diffs', 'final mode'],
      ev.routes.map((r) => [r.route, r.service, r.sent, r.matched, r.mismatched, r.noiseMismatched, r.finalMode])));
  }
  const explained = ev.routes.filter((r) => r.explanations?.length);
  if (explained.length) {
    out.push('', 'Shadow mismatches, each explained (legacy answer vs service answer)');
    for (const r of explained) for (const e of r.explanations!) out.push(`  ${r.route}: ${e}`);
  }
  if (ev.splits.length) {
    out.push('', 'Database splits (verify: chunk checksums on both sides, row diff of mismatching chunks)');
    out.push(renderTable(['service', 'switch', 'tables', 'rows copied', 'changes applied', 'rows compared', 'differences', 'in flight', 'write freeze ms'],
      ev.splits.map((s) => [s.service, s.action, s.tables.join(','), s.rowsCopied, s.changesApplied, s.rowsCompared, s.differences, s.inFlight, s.freezeMs])));
  }
  const errors = samples.filter((s) => s.error);
  if (errors.length) {
    out.push('', `Client-visible errors by phase, endpoint and answer (${errors.length} in all)`);
    const groups = new Map<string, { phase: string; endpoint: string; what: string; n: number; upstreams: Set<string> }>();
    for (const e of errors) {
      const what = e.error === 'consistency' ? 'consistency' : `${e.status} ${errorCode(e.detail)}`.trim();
      const k = `${e.phase}|${e.endpoint}|${what}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { phase: e.phase, endpoint: e.endpoint, what, n: 0, upstreams: new Set() }));
      g.n++;
      g.upstreams.add(e.upstream ?? '-');
    }
    const rows = [...groups.values()].sort((a, b) => order(a.phase) - order(b.phase) || b.n - a.n);
    out.push(renderTable(['phase', 'endpoint', 'answer', 'count', 'served by'], rows.slice(0, 40).map((g) => [g.phase, g.endpoint, g.what, g.n, [...g.upstreams].join(',')])));
    if (rows.length > 40) out.push(`  … ${rows.length - 40} more groups`);
    out.push('', `First ${Math.min(5, errors.length)} in full`);
    for (const e of errors.slice(0, 5)) out.push(`  [${e.phase}] ${e.persona} ${e.error}: ${(e.detail ?? String(e.status)).slice(0, 700)}`);
  }
  if (ev.serverErrors?.length) {
    out.push('', `Server-side errors in the processes' log (${ev.serverErrors.reduce((n, g) => n + g.count, 0)} in all; clients may not have seen them)`);
    out.push(renderTable(['process', 'message', 'error', 'count', 'first at'], ev.serverErrors.slice(0, 20).map((g) => [g.component, g.message, g.error.slice(0, 120), g.count, g.first])));
    if (ev.serverErrors.length > 20) out.push(`  … ${ev.serverErrors.length - 20} more kinds`);
  }
  if (ev.notes.length) out.push('', 'Notes', ...ev.notes.map((n) => `  - ${n}`));
  const v = verdict(samples, ev);
  out.push('', `Verdict: ${v.requests} requests, ${v.clientErrors} client-visible errors, ${v.serverErrors} server-side errors, ${v.shadowMismatches} shadow mismatches${v.shadowMismatches ? ' (explained above)' : ''}, ${v.dataDifferences} data differences; ` +
    `${v.stepsDone} steps done, ${v.stepsUnavailable} not yet possible, ${v.stepsFailed} failed → ${v.ok ? 'OK' : 'NOT OK'}`);
  return out.join('\n');
}
