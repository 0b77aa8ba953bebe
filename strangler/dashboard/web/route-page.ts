/** A route: mode and history, latency legacy vs service over time, shadow match vs noise, latest mismatches, actions. */
import { useState } from 'preact/hooks';
import { call, enc } from './api.ts';
import { Actions } from './actions.ts';
import { Chart } from './chart.ts';
import { DiffView, type DiffRecordView } from './diff-view.ts';
import { modeLabel, ms, pct, when } from './format.ts';
import { html } from './html.ts';
import { usePoll } from './hooks.ts';

interface RouteData {
  route: any;
  series: { serviceShadow: boolean; latency: { t: number[]; legacyP50: (number | null)[]; legacyP99: (number | null)[]; serviceP50: (number | null)[]; serviceP99: (number | null)[] }; shadow: { t: number[]; matchRate: (number | null)[]; noiseRate: (number | null)[] } };
  noise: { noise: { compared: number; rate: number }; shadow: { compared: number; mismatched: number; rate: number }; noisyPaths: Array<{ path: string }>; realDifferencePaths: Array<{ path: string; count?: number }> };
  diffs: { diffs: DiffRecordView[]; counts: { sent: number; matched: number; mismatched: number; errors: number; skipped?: number } };
  audit: { entries: Array<{ at: string; who: string; action: string; from?: { mode: string; percent: number }; to?: { mode: string; percent: number }; reason: string }> };
}

async function load(id: string): Promise<RouteData> {
  const [route, series, noise, diffs, audit] = await Promise.all([
    call('GET', `/routes/${enc(id)}`), call('GET', `/dashboard/api/routes/${enc(id)}/series`), call('GET', `/routes/${enc(id)}/noise`),
    call('GET', `/routes/${enc(id)}/diffs?limit=10`), call('GET', `/audit?route=${enc(id)}&limit=20`),
  ]);
  return { route, series, noise, diffs, audit };
}

const last = <T,>(a: T[]) => a[a.length - 1];

export function RoutePage({ id }: { id: string }) {
  const { data, error, reload } = usePoll(() => load(id), [id]);
  const [pick, setPick] = useState(0);
  if (!data) return html`<h1>Route ${id}</h1>${error ? html`<p class="error" role="alert">${error}</p>` : html`<p>Loading…</p>`}`;
  const r = data.route;
  const lat = data.series.latency;
  const sh = data.series.shadow;
  const n = data.noise;
  const matchRate = n.shadow.compared ? 1 - n.shadow.rate : null;
  const diffs = data.diffs.diffs;
  const d = diffs[Math.min(pick, diffs.length - 1)];
  const svcLabel = data.series.serviceShadow ? 'service (shadow)' : 'service';
  return html`
    <p><a href="/dashboard/">← Overview</a></p>
    <h1>Route ${r.id} <span class=${'mode mode-' + r.mode} data-testid="route-mode" data-mode=${r.mode}>${modeLabel(r.mode, r.percent)}</span></h1>
    ${error && html`<p class="error" role="alert">Live update failed: ${error}</p>`}
    <p class="sub">${Array.isArray(r.methods) ? r.methods.join(',') : r.methods} ${r.path} · legacy <code>${r.legacy}</code> · service <code>${r.service ?? '—'}</code> · shadow sample ${r.shadow.sample}, noise sample ${r.shadow.noiseSample}${r.stats?.breaker ? ` · breaker ${r.stats.breaker.state}` : ''}</p>
    <${Actions} id=${r.id} mode=${r.mode} percent=${r.percent} hasService=${r.service !== null} onDone=${reload} />
    <section aria-labelledby="lat-h">
      <h2 id="lat-h">Latency: legacy vs service</h2>
      <${Chart} title="p50 and p99 latency, 5 s windows" unit=" ms" t=${lat.t} series=${[
        { label: 'legacy p50', color: '#555555', values: lat.legacyP50 }, { label: 'legacy p99', color: '#555555', dash: [6, 4], values: lat.legacyP99 },
        { label: svcLabel + ' p50', color: '#0b5cad', values: lat.serviceP50 }, { label: svcLabel + ' p99', color: '#0b5cad', dash: [6, 4], values: lat.serviceP99 },
      ]} />
      <table class="compact"><caption>Latest 5 s (in shadow, the service's time to answer the copies)</caption><thead><tr><th scope="col"></th><th scope="col">p50</th><th scope="col">p99</th></tr></thead><tbody>
        <tr><th scope="row">legacy</th><td>${ms(last(lat.legacyP50))}</td><td>${ms(last(lat.legacyP99))}</td></tr>
        <tr><th scope="row">${svcLabel}</th><td>${ms(last(lat.serviceP50))}</td><td>${ms(last(lat.serviceP99))}</td></tr>
      </tbody></table>
    </section>
    <section aria-labelledby="shadow-h">
      <h2 id="shadow-h">Shadow: match rate vs noise rate</h2>
      <p class="figures"><span>Match rate <strong data-testid="match-rate">${pct(matchRate)}</strong> of ${n.shadow.compared} compared</span>
        <span>Noise rate <strong data-testid="noise-rate">${pct(n.noise.compared ? n.noise.rate : null)}</strong> of ${n.noise.compared} legacy-vs-legacy</span>
        <span>Shadow errors ${data.diffs.counts.errors}</span>
        <span title="requests that got no copy: the route had maxConcurrency copies in flight">Copies skipped <strong data-testid="shadow-skipped">${data.diffs.counts.skipped ?? 0}</strong> of ${data.diffs.counts.sent + (data.diffs.counts.skipped ?? 0)}</span></p>
      <${Chart} title="Shadow match rate and noise rate over time" unit=" %" max=${100} t=${sh.t} series=${[
        { label: 'match rate', color: '#0b6b2f', values: sh.matchRate.map((x) => (x === null ? null : x * 100)) },
        { label: 'noise rate', color: '#8a4b00', dash: [6, 4], values: sh.noiseRate.map((x) => (x === null ? null : x * 100)) },
      ]} />
      ${n.realDifferencePaths.length ? html`<p>Real difference paths: ${n.realDifferencePaths.map((p) => html`<code class="real">${p.path}</code> `)}</p>` : null}
      ${n.noisyPaths.length ? html`<p class="sub">Noisy paths: ${n.noisyPaths.map((p) => html`<code>${p.path}</code> `)}</p>` : null}
    </section>
    <section aria-labelledby="diff-h">
      <h2 id="diff-h">Latest mismatches</h2>
      ${diffs.length === 0 ? html`<p>No mismatch recorded.</p>` : html`
        <label for="pick">Mismatch</label>
        <select id="pick" value=${String(Math.min(pick, diffs.length - 1))} onChange=${(e: Event) => setPick(Number((e.target as HTMLSelectElement).value))}>
          ${diffs.map((x, i) => html`<option value=${String(i)}>${x.at} ${x.method} ${x.url} (${x.differences.length} paths)</option>`)}
        </select>
        <${DiffView} d=${d} noisy=${n.noisyPaths.map((p) => p.path)} ignore=${r.compare.ignore} />`}
    </section>
    <section aria-labelledby="hist-h">
      <h2 id="hist-h">History</h2>
      <ol class="timeline" reversed>${[...data.audit.entries].reverse().map((e) => html`<li><time>${when(e.at)}</time> <strong>${e.action}</strong>${e.from && e.to ? ` ${modeLabel(e.from.mode, e.from.percent)} → ${modeLabel(e.to.mode, e.to.percent)}` : ''} by ${e.who}${e.reason ? html` — <q>${e.reason}</q>` : null}</li>`)}</ol>
    </section>`;
}
