/** Step 2: the facade goes in front; every route `legacy`; clients now call the facade only. */
import { singleTarget } from '../traffic/client.ts';
import type { Step } from '../context.ts';

/** The routes the services serve (id → "METHOD /path"), from the services' parity scenario, when it exists. */
async function servedRoutes(): Promise<{ routes: Record<string, string>; serviceOf: (id: string) => string } | undefined> {
  try {
    const m = (await import('../../../test/parity/scenario.ts')) as { ROUTES?: Record<string, string>; serviceFor?: (path: string) => string };
    if (!m.ROUTES || !m.serviceFor) return undefined;
    const routes = m.ROUTES;
    const serviceFor = m.serviceFor;
    return { routes, serviceOf: (id) => serviceFor(routes[id].split(' ')[1]) };
  } catch {
    return undefined;
  }
}

export const facadeStep: Step = {
  id: '2',
  title: 'strangler facade in front, every route in mode legacy',
  needs: ['1'],
  async run(ctx) {
    const served = await servedRoutes();
    const f = await ctx.stack.startFacade(served);
    const st = await f.admin.status();
    ctx.say(`facade ${f.url} (admin API ${f.adminUrl}); route table v${st.version}: ${st.routes} routes, by mode ${JSON.stringify(st.byMode)}`);
    ctx.say('route table: strangler/routes.json with the demo\'s ports' + (served ? ', completed with the routes the services serve (test/parity/scenario.ts ROUTES)' : ''));
    if (f.changes.added.length) ctx.say(`  added (missing from strangler/routes.json): ${f.changes.added.join('; ')}`);
    if (f.changes.replaced.length) ctx.say(`  replaced (path differs from what the service serves): ${f.changes.replaced.join('; ')}`);
    if (f.changes.added.length || f.changes.replaced.length) ctx.evidence.notes.push(`strangler/routes.json lacks ${f.changes.added.length} service route(s) and has ${f.changes.replaced.length} with a different path; the demo completed its own copy (see step 2)`);
    ctx.traffic.setTarget(singleTarget(f.url));
    const switchedAt = Date.now();
    ctx.phase('2 facade');
    const from = ctx.mark();
    await ctx.dwell();
    // requests already in flight at the switch went to legacy directly: leave them out
    const seen = ctx.traffic.recorder.since(from).filter((s) => s.at >= switchedAt);
    const byUpstream = new Map<string, number>();
    for (const s of seen) byUpstream.set(s.upstream ?? '(no route header)', (byUpstream.get(s.upstream ?? '(no route header)') ?? 0) + 1);
    ctx.say(`answered through the facade, by upstream: ${[...byUpstream].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    const stray = seen.filter((s) => s.upstream && !s.upstream.startsWith('legacy-')).length;
    if (stray) return { status: 'failed', reason: `${stray} requests were served by a service while every route is legacy` };
    return { status: 'done' };
  },
};
