/** Data: each split's phase, copy progress (rows/s, ETA), backlog and lag, last verify, freezes; the ownership registry; one timeline. */
import { call } from './api.ts';
import { count, duration, pct, when } from './format.ts';
import { html } from './html.ts';
import { usePoll } from './hooks.ts';
import type { SplitView, TimelineItem } from '../data-model.ts';

interface DataData {
  splitsConfigured: boolean;
  sources: Array<{ source: string; error: string | null }>;
  splits: SplitView[];
  ownership: { watched: boolean; records: Array<{ domain: string; owner: string; database: string; version: number; changedAt: string; changedBy: string; reason: string }> | null };
  timeline: TimelineItem[];
  auditError: string | null;
}

function Split({ s }: { s: SplitView }) {
  const id = 'split-' + s.service;
  const v = s.verify;
  return html`<section class="split" aria-labelledby=${id} data-split=${s.service}>
    <h3 id=${id}>${s.service} <span class="badge phase" data-testid="split-phase">${s.phase}</span>${s.switching ? html` <span class="badge bad">${s.switching}</span>` : null}</h3>
    <p class="sub">${s.source} → ${s.target} · state updated ${when(s.updatedAt)}</p>
    <label for=${id + '-p'}>Copy progress</label>
    <progress id=${id + '-p'} max="1" value=${s.copy.fraction}></progress>
    <p class="figures"><span><strong data-testid="copy-percent">${pct(s.copy.fraction)}</strong> copied</span>
      <span><strong data-testid="rows-copied">${count(s.copy.rowsCopied)}</strong> rows</span>
      <span>${s.copy.rowsPerSecond === null ? '—' : count(s.copy.rowsPerSecond)} rows/s</span><span>ETA ${duration(s.copy.etaSeconds)}</span></p>
    <p class="figures"><span>Backlog <strong>${count(s.backlog.rows)}</strong> changes${s.backlog.growingPerSecond ? ` (${s.backlog.growingPerSecond > 0 ? '+' : ''}${s.backlog.growingPerSecond}/s)` : ''}</span>
      <span>Lag ${duration(s.backlog.lagSeconds)}</span><span>${count(s.backlog.applied)} changes applied</span></p>
    <p>Last verify: ${v ? html`${v.finishedAt ? when(v.finishedAt) : 'running since ' + when(v.startedAt)} · ${count(v.rowsCompared)} rows compared · <strong class=${v.differences ? 'bad-text' : ''}>${count(v.differences)} differences</strong>${v.ok === true ? ' · clean' : ''}` : 'none yet'}${s.verifyStale ? html` <span class="badge bad" data-testid="verify-stale">stale: a moved table's definition changed ${when(s.schemaChangedAt!)}; verify again before the cutover</span>` : null}</p>
    <p>Freezes: ${s.freezes.length ? s.freezes.map((f) => html`<span class="pill">${f.kind} ${f.ok ? 'ok' : 'failed'} ${f.freezeMs === null ? '' : f.freezeMs + ' ms'} (${f.at})</span> `) : 'none'}</p>
    <details><summary>Tables</summary><table class="compact"><thead><tr><th scope="col">Table</th><th scope="col">Copied</th><th scope="col">Rows</th></tr></thead>
      <tbody>${s.copy.tables.map((t) => html`<tr><th scope="row">${t.name}</th><td>${t.done ? 'done' : pct(t.fraction)}</td><td>${count(t.rows)}</td></tr>`)}</tbody></table></details>
  </section>`;
}

export function DataPage() {
  const { data, error } = usePoll(() => call<DataData>('GET', '/dashboard/api/data'), []);
  if (!data) return html`<h1>Data</h1>${error ? html`<p class="error" role="alert">${error}</p>` : html`<p>Loading…</p>`}`;
  const recs = data.ownership.records;
  return html`
    <h1>Data</h1>
    ${error && html`<p class="error" role="alert">Live update failed: ${error}</p>`}
    <section aria-labelledby="splits-h">
      <h2 id="splits-h">Database splits</h2>
      ${!data.splitsConfigured ? html`<p>No split state configured: set <code>STRANGLER_SPLIT_STATE_URLS</code> to the split source database(s) (docs/dashboard.md).</p>` : null}
      ${data.sources.filter((s) => s.error).map((s) => html`<p class="error" role="alert">${s.source}: ${s.error} (showing the last read)</p>`)}
      ${data.splitsConfigured && data.splits.length === 0 ? html`<p>No split started yet.</p>` : null}
      ${data.splits.map((s) => html`<${Split} key=${s.service} s=${s} />`)}
    </section>
    <section aria-labelledby="own-h">
      <h2 id="own-h">Ownership registry</h2>
      ${!data.ownership.watched ? html`<p>Not watched: set <code>STRANGLER_OWNERSHIP_URL</code>.</p>` : recs === null ? html`<p>Not read yet.</p>` : html`
      <div class="scroll" role="region" aria-label="Ownership registry" tabindex="0"><table>
        <thead><tr><th scope="col">Domain</th><th scope="col">Owner</th><th scope="col">Database</th><th scope="col">Version</th><th scope="col">Changed</th><th scope="col">By</th><th scope="col">Reason</th></tr></thead>
        <tbody>${recs.map((o) => html`<tr><th scope="row">${o.domain}</th><td>${o.owner}</td><td>${o.database}</td><td>${o.version}</td><td>${when(o.changedAt)}</td><td>${o.changedBy}</td><td>${o.reason}</td></tr>`)}</tbody>
      </table></div>`}
    </section>
    <section aria-labelledby="tl-h">
      <h2 id="tl-h">Timeline: routes and splits</h2>
      ${data.auditError && html`<p class="error" role="alert">${data.auditError}</p>`}
      <ol class="timeline" data-testid="timeline">${data.timeline.map((t) => html`<li class=${'tl-' + t.kind}><time>${when(t.at)}</time> <span class="pill">${t.kind}</span> <strong>${t.subject}</strong> ${t.what}${t.who ? ` by ${t.who}` : ''}${t.reason ? html` — <q>${t.reason}</q>` : null}</li>`)}</ol>
    </section>`;
}
