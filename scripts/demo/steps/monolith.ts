/** Step 1: the pure monolith — one legacy database, three legacy APIs, clients calling them directly. */
import { prefixTarget } from '../traffic/client.ts';
import type { Step } from '../context.ts';

export const monolithStep: Step = {
  id: '1',
  title: 'monolith alone: three legacy APIs over one MySQL database, clients calling them directly',
  needs: [],
  async run(ctx) {
    const { migrateLegacy } = await import('../../migrate.ts');
    const { seedDatabase } = await import('../../seed/run.ts');
    const { maskDsn } = await import('../../../lib/mask.ts');
    await migrateLegacy(ctx.env.legacyDsn);
    const report = await seedDatabase(ctx.env.legacyDsn, { scale: ctx.opts.scale, seed: 20_150_101, anchorMs: Math.floor(Date.now() / 60_000) * 60_000 });
    ctx.say(`legacy database ${maskDsn(ctx.env.legacyDsn)}: seeded ${report.rows} rows in ${(report.ms / 1000).toFixed(1)} s (${report.tables.map((t) => `${t.table} ${t.rows}`).join(', ')})`);
    const { legacySources, seamFiles } = await import('../seam.ts');
    const seam = seamFiles(await legacySources(new URL('../../../', import.meta.url).pathname)).length > 0;
    ctx.shared.seam = seam;
    await ctx.stack.startLegacyApis({ seam });
    ctx.say(seam ? 'legacy anti-corruption seam attached: legacy reaches products, shops and users directly until the ownership registry names their service' : 'legacy has no anti-corruption seam yet: it always reaches its tables directly');
    const u = ctx.stack.legacyUrls;
    ctx.say(`legacy user API ${u.api}, admin API ${u.admin}, merchant API ${u.merchant}`);
    ctx.traffic.setTarget(prefixTarget(u));
    ctx.phase('1 monolith');
    await ctx.traffic.prepare();
    const c = ctx.traffic.clients;
    ctx.say(`clients: ${c.filter((x) => x.persona === 'shopper').length} shopper apps, ${c.filter((x) => x.persona === 'admin').length} admin web, ${c.filter((x) => x.persona === 'merchant').length} merchant web — all signed in`);
    ctx.traffic.start();
    await ctx.dwell();
    return { status: 'done' };
  },
};
