/** Step 8: roll back one route and one split, then go forward again — under the same traffic. */
import type { Step } from '../context.ts';
import { rollbackAndForward } from './split.ts';

export const ROLLBACK_ROUTE = 'products.get';

export const rollbackStep: Step = {
  id: '8',
  title: 'rollback of one route and one split, then forward again',
  needs: ['3'],
  async run(ctx) {
    const admin = ctx.stack.facade!.admin;
    ctx.phase('8 route rollback');
    const before = await admin.route(ROLLBACK_ROUTE);
    await admin.rollback(ROLLBACK_ROUTE, 'demo: rollback drill');
    let from = ctx.mark();
    await ctx.dwell();
    const onLegacy = ctx.traffic.recorder.since(from).filter((s) => s.route === ROLLBACK_ROUTE);
    ctx.say(`route ${ROLLBACK_ROUTE}: ${before.mode} → legacy (rollback); clients served by ${[...new Set(onLegacy.map((s) => s.upstream))].join(', ') || 'nobody'} (${onLegacy.length} requests)`);
    ctx.phase('8 route forward');
    await admin.set(ROLLBACK_ROUTE, 'service', undefined, 'demo: forward again');
    from = ctx.mark();
    await ctx.dwell();
    const onService = ctx.traffic.recorder.since(from).filter((s) => s.route === ROLLBACK_ROUTE);
    ctx.say(`route ${ROLLBACK_ROUTE}: legacy → service; clients served by ${[...new Set(onService.map((s) => s.upstream))].join(', ') || 'nobody'} (${onService.length} requests)`);
    const audit = await admin.audit(500);
    ctx.say(`audit log: ${audit.entries.filter((e) => e.route === ROLLBACK_ROUTE).length} changes recorded for ${ROLLBACK_ROUTE} (who, when, from, to, reason)`);

    const split = ['product', 'shop', 'user'].find((s) => ctx.shared[`cutover:${s}`]);
    if (!split) return { status: 'unavailable', reason: 'route rollback and forward done; split rollback needs a split that was cut over, and none was (see steps 4 and 5)' };
    ctx.phase('8 split rollback');
    await rollbackAndForward(ctx, split);
    return { status: 'done' };
  },
};
