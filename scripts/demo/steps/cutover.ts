/**
 * Moves a service's routes through the facade: shadow (legacy answers, the
 * service's answer is compared; diff report), sticky canary, then service.
 * Evidence from the facade's admin API (diff counts) and from the clients'
 * own responses (which upstream served them).
 */
import { formatOverlap } from '../../../strangler/cli/format.ts';
import type { DemoContext } from '../context.ts';
import type { Sample } from '../traffic/types.ts';
import { clippedJson, explainDiff, formatShadowBreakdown, shadowBreakdown, type DiffLike } from '../diagnostics.ts';
import { routesOfService } from '../routes.ts';

export const CANARY_PERCENT = 25;

function servedBy(samples: Sample[], routes: string[]): string {
  const counts = new Map<string, number>();
  for (const s of samples) if (s.route && routes.includes(s.route)) counts.set(s.upstream ?? '?', (counts.get(s.upstream ?? '?') ?? 0) + 1);
  return counts.size ? [...counts].map(([k, v]) => `${k} ${v}`).join(', ') : 'no client request hit these routes';
}

export async function cutoverRoutes(ctx: DemoContext, service: string, phasePrefix: string): Promise<string[]> {
  const f = ctx.stack.facade;
  if (!f) throw new Error('the facade is not running');
  const all = routesOfService(f.routes, service);
  if (!all.length) throw new Error(`the route table has no route for the ${service} service`);
  const admin = f.admin;
  const already: string[] = [];
  for (const id of all) if ((await admin.route(id)).mode === 'service') already.push(id);
  const routes = all.filter((id) => !already.includes(id));
  ctx.say(`${service} routes: ${routes.join(', ')}${already.length ? ` (already on the service: ${already.join(', ')})` : ''}`);
  if (!routes.length) return all;

  ctx.phase(`${phasePrefix} shadow`);
  for (const id of routes) await admin.set(id, 'shadow', undefined, `demo: shadow ${service}`);
  let from = ctx.mark();
  await ctx.dwell();
  ctx.say(`shadow: clients served by ${servedBy(ctx.traffic.recorder.since(from), routes)}`);
  for (const id of routes) {
    // every recorded mismatch (and service error), to explain each one; the facade keeps the latest 20 per route
    const d = await admin.diffs(id, 20);
    const c = d.counts;
    const b = shadowBreakdown(c);
    ctx.say(`  diff report ${id}: ${formatShadowBreakdown(b)} (writes are not shadowed); noise (legacy vs legacy) mismatched ${d.noise.mismatched} of ${d.noise.matched + d.noise.mismatched}`);
    // lists judged by set overlap (search): how close the service's hits are, not only how often they missed
    for (const line of formatOverlap(d.overlap)) ctx.say(`    ${line}`);
    const explanations = (d.diffs as DiffLike[]).map(explainDiff);
    for (const e of explanations) ctx.say(`    mismatch: ${e}`);
    if (c.mismatched + c.errors > explanations.length) ctx.say(`    (${c.mismatched + c.errors - explanations.length} older mismatch(es) no longer kept by the facade)`);
    for (const x of d.diffs.slice(0, 1)) ctx.say(`    first diff: ${clippedJson(x, 300)}`);
    ctx.evidence.routes.push({ route: id, service, sent: c.sent, matched: c.matched, mismatched: c.mismatched, noiseMismatched: d.noise.mismatched, finalMode: 'shadow', breakdown: b, explanations });
  }

  ctx.phase(`${phasePrefix} canary`);
  for (const id of routes) await admin.set(id, 'canary', CANARY_PERCENT, `demo: canary ${service}`);
  from = ctx.mark();
  await ctx.dwell();
  ctx.say(`canary ${CANARY_PERCENT}% (sticky per user): clients served by ${servedBy(ctx.traffic.recorder.since(from), routes)}`);

  ctx.phase(`${phasePrefix} service`);
  for (const id of routes) await admin.set(id, 'service', undefined, `demo: switch ${service}`);
  from = ctx.mark();
  await ctx.dwell();
  ctx.say(`service: clients served by ${servedBy(ctx.traffic.recorder.since(from), routes)}`);
  for (const r of ctx.evidence.routes) if (routes.includes(r.route)) r.finalMode = 'service';
  return routes;
}
