/**
 * The Grafana dashboard and the Prometheus alerting rules only name metrics the code registers: every
 * `strangler_*` name in their expressions must be in the facade's, the dashboard's or the split gauges' registry
 * (histograms also as _bucket/_sum/_count). And the alert set covers what operators asked for.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { createMetrics } from '../../metrics.ts';
import { registerDashboardMetrics } from '../../dashboard/index.ts';
import { registerSplitMetrics } from '../../dashboard/splits.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

async function registered(): Promise<Map<string, string>> {
  const m = createMetrics({ defaultMetrics: true });
  registerDashboardMetrics(m.registry);
  registerSplitMetrics(m.registry, () => []);
  return new Map((await m.registry.getMetricsAsJSON()).map((x) => [x.name, String(x.type)]));
}

export function namesIn(expr: string): string[] {
  return [...new Set(expr.match(/\bstrangler_[a-z0-9_]+\b/g) ?? [])];
}

function known(name: string, metrics: Map<string, string>): boolean {
  if (metrics.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && metrics.get(base) === 'histogram';
}

interface Rule { alert: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }

describe('monitoring: Grafana dashboard and Prometheus alerts name real metrics', function () {
  const rules: Rule[] = (parseYaml(readFileSync(join(HERE, '..', 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
  const dash = JSON.parse(readFileSync(join(HERE, '..', 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }>; templating: { list: Array<{ definition?: string }> } };
  const grafanaExprs = [...dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))), ...dash.templating.list.filter((v) => v.definition).map((v) => ({ where: 'variable', expr: v.definition! }))];

  it('the name check itself sees names and refuses an unknown one', async function () {
    const metrics = await registered();
    expect(namesIn('rate(strangler_requests_total[5m]) / strangler_nope')).to.deep.equal(['strangler_requests_total', 'strangler_nope']);
    expect(known('strangler_request_duration_seconds_bucket', metrics)).to.equal(true);
    expect(known('strangler_requests_total_bucket', metrics)).to.equal(false);
    expect(known('strangler_nope', metrics)).to.equal(false);
  });

  it('every metric in the Grafana dashboard exists', async function () {
    const metrics = await registered();
    const missing = grafanaExprs.flatMap(({ where, expr }) => namesIn(expr).filter((n) => !known(n, metrics)).map((n) => `${where}: ${n}`));
    expect(missing).to.deep.equal([]);
    expect(grafanaExprs.length).to.be.greaterThan(15);
  });

  it('every metric in the alerting rules exists', async function () {
    const metrics = await registered();
    const missing = rules.flatMap((r) => namesIn(r.expr).filter((n) => !known(n, metrics)).map((n) => `${r.alert}: ${n}`));
    expect(missing).to.deep.equal([]);
    for (const r of rules) {
      expect(namesIn(r.expr), r.alert).to.not.be.empty;
      expect(r.labels?.severity, r.alert).to.be.oneOf(['page', 'ticket']);
      expect(r.annotations?.summary, r.alert).to.be.a('string');
    }
  });

  it('alerts cover breaker open, shadow mismatches above noise, 5xx, split backlog growing, freeze over limit', function () {
    expect(rules.map((r) => r.alert)).to.include.members(['StranglerBreakerOpen', 'StranglerShadowMismatchAboveNoise', 'StranglerHigh5xxRate', 'StranglerSplitBacklogGrowing', 'StranglerSplitFreezeOverLimit']);
  });
});
