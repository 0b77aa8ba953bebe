/** Plain-text renderings for the CLI's read commands (the --json flag prints the API's JSON instead). */
function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

export function formatRoutes(data: any): string {
  const rows = [['ID', 'MODE', 'METHODS', 'PATH', 'LEGACY', 'SERVICE', 'REQS', '5XX', 'FALLBACKS', 'SHADOW OK/DIFF', 'BREAKER', 'P50/P99 MS']];
  for (const r of data.routes) {
    const s = r.stats;
    rows.push([
      r.id, r.mode === 'canary' ? `canary ${r.percent}%` : r.mode, Array.isArray(r.methods) ? r.methods.join(',') : r.methods, r.path,
      r.legacy, r.service ?? '-', String(s?.requests ?? 0), String(s?.byClass?.['5xx'] ?? 0), fallbackText(s),
      s ? `${s.shadow.matched}/${s.shadow.mismatched}` : '0/0', s?.breaker?.state ?? '-', s ? `${s.latencyMs.p50}/${s.latencyMs.p99}` : '-',
    ]);
  }
  const rules = (data.fallbackRules ?? []).map((f: any) => `  ${f.id} → ${f.upstream}: ${f.requests} requests`);
  return `route table version ${data.version}\n` + pad(rows) + (rules.length ? `\nfallback rules (unrouted traffic):\n${rules.join('\n')}` : '');
}

/** "3 (status-5xx 2, timeout 1)": a route's service failures that legacy answered, by reason. */
function fallbackText(s: any): string {
  const n = s?.fallbacks ?? 0;
  const reasons = Object.entries(s?.fallbackReasons ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
  return reasons ? `${n} (${reasons})` : String(n);
}

function compareLines(c: any): string[] {
  if (!c) return [];
  const lines = [
    `  compare   ignore ${c.ignore.length ? c.ignore.join(', ') : '-'}; unordered ${c.unordered.length ? c.unordered.map((u: any) => u.key ? `${u.path} by ${u.key}` : u.path).join(', ') : '-'}; headers ${c.headers.join(', ') || '-'}` +
      (c.overlap.length ? `; overlap ${c.overlap.map((o: any) => `${o.path} by ${o.key} (${o.measure} ≥ ${o.min})`).join(', ')}` : ''),
  ];
  const u = c.ignoreUse;
  if (u?.paths.length) lines.push(`  ignored   ${u.paths.map((p: any) => `${p.path} matched ${p.matched}/${p.compared}`).join(', ')}`);
  if (u?.unused.length) lines.push(`  WARNING   ignore paths that matched nothing in ${u.compared} compared answers (typo? paths are written body.<key>...): ${u.unused.join(', ')}`);
  return lines;
}

/** "work: split (database own, v3), fallback OFF (legacy's copy is stale)". */
function ownershipText(o: any): string {
  const state = !o.watched ? 'registry not watched' : o.database === 'own' ? `split (database own, v${o.version})` : o.database === 'legacy' ? `not split (database legacy, v${o.version})` : 'split state UNKNOWN (registry not read yet; treated as split)';
  const live = o.fallbackLive ? 'fallback live' : o.legacyReadsThroughSeam || !o.watched ? 'fallback off (route setting)' : "fallback OFF (legacy's copy is stale)";
  return `${o.domain}: ${state}${o.legacyReadsThroughSeam ? ', legacy reads through the seam' : ''}, ${live}`;
}

export function formatRoute(r: any): string {
  const s = r.stats;
  const lines = [
    `${r.id}: ${r.mode}${r.mode === 'canary' ? ` ${r.percent}%` : ''}`,
    `  match     ${Array.isArray(r.methods) ? r.methods.join(',') : r.methods} ${r.path}${r.host ? ` (host ${r.host})` : ''}`,
    `  legacy    ${r.legacy}`,
    `  service   ${r.service ?? '-'}${r.fallback ? ' (falls back to legacy for safe methods)' : ''}`,
    ...(r.rewrite ? [`  rewrite   ${'prefix' in r.rewrite ? `prefix ${r.rewrite.prefix}` : `pattern ${r.rewrite.pattern}`} → ${r.rewrite.to} (service side only; legacy gets the original path)`] : []),
    ...(r.ownership ? [`  domain    ${ownershipText(r.ownership)}`] : []),
    // legacy still answers this route by choice (legacy/shadow mode, users outside a canary): after a split that is stale
    ...(r.ownership && !r.ownership.legacyCurrent && r.mode !== 'service' ? [`  WARNING   legacy answers this route (${r.mode} mode) but its copy of ${r.ownership.domain} is split away and stale: move the route to service mode or read through the seam`] : []),
    ...(r.tags?.length ? [`  tags      ${r.tags.join(', ')}`] : []),
    `  shadow    sample ${r.shadow.sample}, writes ${r.shadow.writes}, noise sample ${r.shadow.noiseSample}`,
    ...compareLines(r.compare),
  ];
  if (s) {
    lines.push(
      `  requests  ${s.requests} (2xx ${s.byClass['2xx']}, 4xx ${s.byClass['4xx']}, 5xx ${s.byClass['5xx']}), to service ${s.toService}, aborted ${s.aborted}`,
      `  latency   p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms (${s.latencyMs.samples} samples)`,
      `  failures  upstream errors ${s.upstreamErrors}, fallbacks ${fallbackText(s)}${Object.keys(s.fallbacksRefused ?? {}).length ? `, fallbacks refused ${Object.entries(s.fallbacksRefused).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}, breaker ${s.breaker?.state ?? '-'} (opened ${s.breaker?.opens ?? 0}x)`,
      `  shadow    sent ${s.shadow.sent}, match ${s.shadow.matched}, mismatch ${s.shadow.mismatched}, errors ${s.shadow.errors}${s.shadow.skipped ? `, skipped ${s.shadow.skipped} (over maxConcurrency copies in flight)` : ''}; noise mismatch ${s.noise.mismatched}/${s.noise.matched + s.noise.mismatched}`,
    );
  }
  return lines.join('\n');
}

/** One line per overlap list: how close the service's lists are to legacy's (matches included). */
export function formatOverlap(o: any): string[] {
  return (o?.lists ?? []).map((l: any) => {
    const dist = Object.entries(l.buckets).filter(([, n]) => n).map(([b, n]) => `${b}:${n}`).join(' ');
    const t = l.total ? `; ${l.total.path} outside tolerance ${l.total.outside}/${l.total.compared}${l.total.ratio ? `, service/legacy ${l.total.ratio.min}–${l.total.ratio.max} (mean ${l.total.ratio.mean})` : ''}` : '';
    const u = l.unjudged?.compared ? ` (+${l.unjudged.compared} not judged, both lists cut by paging: mean ${l.unjudged.mean})` : '';
    return `overlap ${l.path} (${l.measure} ≥ ${l.min}): ${l.judged} judged, mean ${l.mean ?? '-'}, lowest ${l.lowest ?? '-'}, below min ${l.belowMin} [${dist}]${u}; items in both differing ${l.items.differing}/${l.items.compared}${t}`;
  });
}

function figures(list: any[] | undefined): string {
  return (list ?? []).map((f: any) => `${f.path} ${f.measure} ${f.value} (${f.judged ? `min ${f.min}` : 'not judged'}; ${f.common} of legacy's ${f.legacy} in the service's ${f.service}` +
    `${f.missing.length ? `, missing ${f.missing.join(',')}` : ''})${f.total ? `, ${f.total.path} ${f.total.legacy} → ${f.total.service}` : ''}`).join('; ');
}

export function formatDiffs(d: any): string {
  const head = [`${d.route} (${d.kind}): ${d.counts.matched} matched, ${d.counts.mismatched} mismatched, ${d.counts.errors} errors`, ...formatOverlap(d.overlap)].join('\n');
  if (!d.diffs.length) return head + '\nno differences recorded';
  const out = [head];
  for (const x of d.diffs) {
    out.push(`\n${x.at} ${x.method} ${x.url} (request ${x.requestId})`, `  differs: ${x.differences.join(', ')}`,
      ...(x.overlap?.length ? [`  overlap: ${figures(x.overlap)}`] : []),
      `  legacy:  ${x.legacy.status} ${x.legacy.body.slice(0, 200)}`,
      'error' in x.service ? `  service: error ${x.service.error}` : `  service: ${x.service.status} ${x.service.body.slice(0, 200)}`);
  }
  return out.join('\n');
}

export function formatStatus(s: any): string {
  return [
    `facade ${s.status}, route table version ${s.version} (loaded ${s.loadedAt}), up ${s.uptimeSeconds}s`,
    `source  ${s.source.kind} ${s.source.detail}: ${s.source.healthy ? 'healthy' : `UNHEALTHY (${s.source.lastError})`}`,
    `routes  ${s.routes}: ${Object.entries(s.byMode).map(([m, n]) => `${m} ${n}`).join(', ')}`,
    `breakers open: ${s.openBreakers.length ? s.openBreakers.join(', ') : 'none'}`,
    ...(s.fallbacks ? [
      `fallbacks to legacy: ${s.fallbacks.total}${Object.keys(s.fallbacks.byReason).length ? ` (${Object.entries(s.fallbacks.byReason).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
      ...(Object.keys(s.fallbacks.refused ?? {}).length ? [`fallbacks refused: ${Object.entries(s.fallbacks.refused).map(([k, v]) => `${k} ${v}`).join(', ')}`] : []),
      ...s.fallbacks.rules.map((f: any) => `fallback rule ${f.id} → ${f.upstream}: ${f.requests} requests`),
    ] : []),
    ...(s.ownership?.routes?.length ? s.ownership.routes.map((o: any) => `domain  ${o.id} → ${ownershipText(o)}`) : []),
    s.lastRejection ? `last rejected table (${s.lastRejection.at}): ${s.lastRejection.errors.join('; ')}` : 'no rejected tables',
    ...(s.advice ?? []).map((a: string) => `advice  ${a}`),
  ].join('\n');
}

const modeText = (m: any) => (m ? `${m.mode}${m.mode === 'canary' ? ` ${m.percent}%` : ''}` : '');
const short = (v: unknown) => {
  const t = v === undefined ? '' : JSON.stringify(v);
  return t.length > 60 ? t.slice(0, 57) + '...' : t;
};

export function formatAudit(a: any): string {
  if (!a.entries.length) return 'no route changes recorded';
  return pad([['WHEN', 'WHO', 'ROUTE', 'ACTION', 'FROM', 'TO', 'REASON'], ...a.entries.map((e: any) => {
    if (e.action === 'apply') {
      const d = e.diff;
      const n = (x: any) => `+${x.added.length} ~${x.changed.length} -${x.removed.length}`;
      return [e.at, e.who, e.route, e.action, `v${e.before?.version}`, `v${e.after?.version} (routes ${n(d.routes)}, upstreams ${n(d.upstreams)})`, e.reason];
    }
    const from = e.from ? modeText(e.from) : e.before === null ? '(none)' : short(e.before);
    const to = e.to ? modeText(e.to) : e.after === null ? '(removed)' : short(e.after);
    return [e.at, e.who, e.route, e.action, from, to, e.reason];
  })]);
}

/** `strangler apply`: the difference between the live table and the file, like `kubectl apply` / `terraform plan`. */
export function formatApply(r: any): string {
  const d = r.diff;
  const lines: string[] = [];
  const v = (x: unknown) => JSON.stringify(x);
  for (const [kind, c] of [['route', d.routes], ['upstream', d.upstreams]] as const) {
    for (const id of c.added) lines.push(`+ ${kind} ${id}`);
    for (const ch of c.changed) {
      lines.push(`~ ${kind} ${ch.id}`);
      for (const f of ch.fields) lines.push(`    ${f.field}: ${v(f.before)} → ${v(f.after)}`);
    }
    for (const id of c.removed) lines.push(`- ${kind} ${id}`);
  }
  for (const f of d.options) lines.push(`~ ${f.field}: ${v(f.before)} → ${v(f.after)}`);
  if (d.fallbacks) lines.push(`~ fallbacks: ${v(d.fallbacks.before)} → ${v(d.fallbacks.after)}`);
  if (d.reordered) lines.push('~ route order changed (routes are matched in table order within one specificity)');
  const n = (x: any) => `${x.added.length} added, ${x.changed.length} changed, ${x.removed.length} removed`;
  const summary = `routes: ${n(d.routes)}; upstreams: ${n(d.upstreams)}`;
  if (d.empty) return 'no changes: the live table already matches';
  return [...lines, r.dryRun ? `${summary} (dry run: nothing applied)` : `${summary}; applied as version ${r.version}`].join('\n');
}

export function formatNoise(n: any): string {
  const reports = n.routes ?? [n];
  return reports.map((r: any) => [
    `${r.route}: noise ${r.noise.mismatched}/${r.noise.compared} (${(r.noise.rate * 100).toFixed(1)}%), shadow mismatches ${r.shadow.mismatched}/${r.shadow.compared} (${(r.shadow.rate * 100).toFixed(1)}%)`,
    `  noisy paths: ${r.noisyPaths.map((p: any) => `${p.path} (${p.count})`).join(', ') || 'none'}`,
    `  real differences: ${r.realDifferencePaths.map((p: any) => `${p.path} (${p.count})`).join(', ') || 'none'}`,
    ...(r.ignore?.unused?.length ? [`  WARNING ignore paths that matched nothing in ${r.ignore.compared} compared answers: ${r.ignore.unused.join(', ')}`] : []),
  ].join('\n')).join('\n');
}
