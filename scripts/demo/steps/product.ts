/** Step 3: the product service takes over the product routes (shadow → canary → service). */
import type { Step } from '../context.ts';
import { cutoverRoutes } from './cutover.ts';
import { ensureServices } from './services.ts';
import { ensureSearch } from './search.ts';

export const productRoutesStep: Step = {
  id: '3',
  title: 'product service: routes shadowed (diff report), canaried, switched',
  needs: ['2'],
  async run(ctx) {
    await ensureServices(ctx);
    try {
      await ensureSearch(ctx);
    } catch (err) {
      ctx.say(`search service not started now: ${(err as Error).message.split('\n')[0]} (step 6 will say why)`);
    }
    await cutoverRoutes(ctx, 'product', '3 product');
    return { status: 'done' };
  },
};
