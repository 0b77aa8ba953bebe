/** Steps 4 and 5: the product tables split out; then shop and user (routes first, then tables). */
import type { Step, StepOutcome } from '../context.ts';
import { cutoverRoutes } from './cutover.ts';
import { ensureServices } from './services.ts';
import { splitService } from './split.ts';

const outcome = (r: { cutover: boolean; reason?: string }): StepOutcome => (r.cutover ? { status: 'done' } : { status: 'unavailable', reason: r.reason });

export const productSplitStep: Step = {
  id: '4',
  title: 'product tables split into the product database (plan → start → verify → cutover)',
  needs: ['3'],
  async run(ctx) {
    ctx.phase('4 product split');
    return outcome(await splitService(ctx, 'product', { forceCutover: ctx.opts.forceCutover }));
  },
};

export const shopUserStep: Step = {
  id: '5',
  title: 'the same for shop, then user (sessions, likes and bookmarks included)',
  needs: ['3'],
  async run(ctx) {
    await ensureServices(ctx);
    const reasons: string[] = [];
    for (const service of ['shop', 'user'] as const) {
      ctx.say(`-- ${service} service`);
      await cutoverRoutes(ctx, service, `5 ${service}`);
      ctx.phase(`5 ${service} split`);
      const r = await splitService(ctx, service, { forceCutover: ctx.opts.forceCutover });
      if (!r.cutover) reasons.push(`${service}: ${r.reason}`);
    }
    return reasons.length ? { status: 'unavailable', reason: `routes switched; table cutover not yet possible — ${reasons.join(' | ')}` } : { status: 'done' };
  },
};
