/** Overview: how much is strangled, then per service every route with legacy and service side by side; unhealthy first. */
import { call } from './api.ts';
import { count, ms, modeLabel, pct, rate } from './format.ts';
import { html } from './html.ts';
import { usePoll } from './hooks.ts';
import type { RouteRow, ServiceGroup } from '../overview-model.ts';
import type { WindowFigures } from '../series.ts';

interface OverviewData {
  version: number;
  at: string;
  totals: { service: number; canary: number; shadow: number; legacy: number; routes: number };
  groups: ServiceGroup[];
}

const HEALTH_TEXT = { bad: 'Unhealthy', warn: 'Needs a look', ok: 'Healthy' } as const;

function side(name: string, f: WindowFigures | null) {
  if (f === null) return html`<td colspan="3" class="muted" data-label=${name}>not routed</td>`;
  return html`<td data-label=${name + ' req/s'}>${rate(f.rps)}</td><td class=${f.errorRate ? 'bad-text' : ''} data-label=${name + ' 5xx'}>${pct(f.errorRate)}</td><td data-label=${name + ' p50 / p99'}>${ms(f.p50Ms)} / ${ms(f.p99Ms)}</td>`;
}

function Row({ r }: { r: RouteRow }) {
  return html`<tr class=${'health-' + r.health} data-route=${r.id}>
    <th scope="row"><a href=${'/dashboard/route/' + encodeURIComponent(r.id)}>${r.id}</a><div class="sub">${Array.isArray(r.methods) ? r.methods.join(',') : r.methods} ${r.path}</div></th>
    <td data-label="Mode"><span class=${'mode mode-' + r.mode} data-mode=${r.mode}>${modeLabel(r.mode, r.percent)}</span></td>
    <td data-label="Health"><span class=${'badge ' + r.health}>${HEALTH_TEXT[r.health]}</span>${r.reasons.length ? html`<div class="sub">${r.reasons.join('; ')}</div>` : null}</td>
    ${side('Legacy', r.legacySide)}
    ${r.service === null ? html`<td colspan="3" class="muted" data-label="Service">no service</td>` : side(r.serviceShadow ? 'Service (shadow copies)' : 'Service', r.serviceSide)}
    <td data-label="Breaker">${r.breaker ?? '—'}</td>
    <td data-label="Shadow match / noise">${pct(r.matchRate)} / ${pct(r.noiseRate)}</td>
  </tr>`;
}

function Group({ g }: { g: ServiceGroup }) {
  const id = 'svc-' + g.name.replace(/[^\w-]/g, '_');
  return html`<section class="group" aria-labelledby=${id}>
    <h2 id=${id}>${g.name} <span class=${'badge ' + g.health}>${HEALTH_TEXT[g.health]}</span></h2>
    <p class="counts">${g.counts.service} strangled · ${g.counts.canary} in canary · ${g.counts.shadow} in shadow · ${g.counts.legacy} still legacy</p>
    <div class="scroll" role="region" aria-label=${'Routes of ' + g.name} tabindex="0">
      <table class="routes">
        <thead>
          <tr><th scope="col" rowspan="2">Route</th><th scope="col" rowspan="2">Mode</th><th scope="col" rowspan="2">Health</th>
            <th scope="colgroup" colspan="3">Legacy (last 10 s)</th><th scope="colgroup" colspan="3">Service (last 10 s; in shadow: its answers to the copies)</th>
            <th scope="col" rowspan="2">Breaker</th><th scope="col" rowspan="2">Shadow match / noise</th></tr>
          <tr><th scope="col">req/s</th><th scope="col">5xx</th><th scope="col">p50 / p99</th><th scope="col">req/s</th><th scope="col">5xx</th><th scope="col">p50 / p99</th></tr>
        </thead>
        <tbody>${g.routes.map((r) => html`<${Row} key=${r.id} r=${r} />`)}</tbody>
      </table>
    </div>
  </section>`;
}

export function Overview() {
  const { data, error } = usePoll(() => call<OverviewData>('GET', '/dashboard/api/overview'), []);
  if (!data) return html`<h1>Overview</h1>${error ? html`<p class="error" role="alert">${error}</p>` : html`<p>Loading…</p>`}`;
  const t = data.totals;
  const share = (n: number) => (t.routes ? (n / t.routes) * 100 : 0);
  return html`
    <h1>Overview</h1>
    ${error && html`<p class="error" role="alert">Live update failed: ${error}</p>`}
    <section aria-labelledby="progress-h" class="summary">
      <h2 id="progress-h">Migration progress</h2>
      <p><strong>${t.service}</strong> of ${t.routes} routes strangled · ${t.canary} in canary · ${t.shadow} in shadow · ${t.legacy} still legacy <span class="sub">(table version ${data.version})</span></p>
      <div class="stack" role="img" aria-label=${`${t.service} strangled, ${t.canary} canary, ${t.shadow} shadow, ${t.legacy} legacy`}>
        <span class="mode-service" style=${{ width: share(t.service) + '%' }}></span><span class="mode-canary" style=${{ width: share(t.canary) + '%' }}></span><span class="mode-shadow" style=${{ width: share(t.shadow) + '%' }}></span><span class="mode-legacy" style=${{ width: share(t.legacy) + '%' }}></span>
      </div>
    </section>
    ${data.groups.map((g) => html`<${Group} key=${g.name} g=${g} />`)}
    <p class="sub">Live: updated every second (${count(t.routes)} routes).</p>`;
}
