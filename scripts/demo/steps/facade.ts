/** Step 2: the facade goes in front; every route `legacy`; clients now call the facade only. */
import { singleTarget } from '../traffic/client.ts';
import type { Step } from '../context.ts';

export const facadeStep: Step = {
  id: '2',
  title: 'strangler facade in front, every route in mode legacy',
  needs: ['1'],
  async run(ctx) {
    const f = await ctx.stack.startFacade();
    const st = await f.admin.status();
    ctx.say(`facade ${f.url} (admin API ${f.adminUrl}); route table v${st.version}: ${st.routes} routes, by mode ${JSON.stringify(st.byMode)}`);
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
