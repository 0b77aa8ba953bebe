/**
 * Step 7: the periodic jobs (popularity ranking, shop stats) run as BullMQ
 * job schedulers in the events process, gathering likes, products and shops
 * through the services' batch Thrift calls instead of joining their tables.
 * The demo triggers one run of each and prints what it computed and the
 * Thrift calls it made (the jobs' client metrics). While products, shops and
 * users are still co-located in the monolith it also computes yesterday both
 * ways — the SQL join and the services — and compares them (read-only).
 */
import type { DemoContext, Step } from '../context.ts';
import { ensureServices } from './services.ts';
import { ensureJobs } from './search.ts';

type Jobs = Awaited<ReturnType<typeof ensureJobs>>;

const callList = (counts: Record<string, number>) => Object.entries(counts).sort().map(([m, n]) => `${m} ×${n}`).join(', ') || 'none';

/** Yesterday (a complete day: live traffic writes today) by the SQL join and through the services: how many rows agree. */
async function compareWithSql(ctx: DemoContext, jobs: Jobs, day: string): Promise<string> {
  const { computePopularity } = await import('../../../legacy/jobs/popularity.ts');
  const { computeShopStats } = await import('../../../legacy/jobs/shop-stats.ts');
  const { computePopularityViaServices } = await import('../../../rpc/jobs/popularity.ts');
  const { computeShopStatsViaServices } = await import('../../../rpc/jobs/shop-stats.ts');
  const knex = ctx.stack.legacy();
  const [sqlScores, svcScores] = [(await computePopularity(knex, { day })).scores, (await computePopularityViaServices(jobs.ports, { day })).scores];
  const ids = new Set([...sqlScores.keys(), ...svcScores.keys()]);
  const sameScores = [...ids].filter((id) => sqlScores.get(id) === svcScores.get(id)).length;
  const key = (r: object) => JSON.stringify(r);
  const sqlStats = new Set((await computeShopStats(knex, day)).map(key));
  const svcStats = (await computeShopStatsViaServices(jobs.ports, day)).map(key);
  const sameStats = svcStats.filter((r) => sqlStats.has(r)).length;
  return `SQL join vs services for ${day}: ${sameScores}/${ids.size} product scores equal, ${sameStats}/${Math.max(svcStats.length, sqlStats.size)} shop-stats rows equal`;
}

export const jobsStep: Step = {
  id: '7',
  title: 'periodic jobs running through the services (BullMQ schedulers, batch Thrift calls)',
  needs: ['3'],
  async run(ctx) {
    const services = await ensureServices(ctx);
    const jobs = await ensureJobs(ctx);
    ctx.phase('7 jobs');
    const schedulers = await jobs.queue.getJobSchedulers();
    ctx.say(`schedulers registered: ${schedulers.map((s) => `${s.key} (${s.pattern ?? s.every ?? '?'})`).join(', ')}`);
    const ran: string[] = [];
    for (const name of ['popularity', 'shop-stats']) {
      const t0 = performance.now();
      const before = await jobs.callCounts();
      const job = await jobs.queue.add(name, {}, { removeOnComplete: false, removeOnFail: false });
      for (;;) {
        const state = await job.getState();
        if (state === 'completed' || state === 'failed') break;
        if (performance.now() - t0 > 60_000) throw new Error(`${name} job did not finish within 60 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const done = await jobs.queue.getJob(job.id!);
      if (!done || (await done.getState()) !== 'completed') return { status: 'failed', reason: `${name} job failed: ${done?.failedReason ?? 'unknown'}` };
      const { countsSince } = await import('../../../services/jobs/wire.ts');
      const calls = countsSince(before, await jobs.callCounts());
      const r = done.returnvalue as { via: string; owners: string; popularity?: Record<string, number>; shopStats?: Record<string, number> };
      const what = r.popularity ? `${r.popularity.events} events → ${r.popularity.scored} products scored, ${r.popularity.updated} updated, ${r.popularity.zeroed} reset` : r.shopStats ? `${r.shopStats.shops} shops upserted` : JSON.stringify(r).slice(0, 160);
      ctx.say(`${name} job via ${r.via} (${r.owners}): ${what}, ${Math.round(performance.now() - t0)} ms; Thrift calls: ${callList(calls)}`);
      if (r.via !== 'services' || !Object.keys(calls).length) return { status: 'failed', reason: `${name} job did not go through the services (via ${r.via}, calls: ${callList(calls)})` };
      ran.push(`${name}: ${callList(calls)}`);
    }
    const { tablesColocated } = await import('../../../lib/contract/jobs/periodic.ts');
    const { addDays, dayOf } = await import('../../../lib/contract/jobs/days.ts');
    let compared = 'not compared with the SQL join: the tables are split, so it would read stale copies (equality on the same data is tested in services/jobs/test/thrift.test.ts)';
    if (tablesColocated(await services.registry.refresh())) compared = await compareWithSql(ctx, jobs, addDays(dayOf(Date.now()), -1));
    ctx.say(compared);
    ctx.evidence.notes.push(`jobs: popularity and shop stats ran in the events process through the services over Thrift (${ran.join('; ')}); ${compared}`);
    await ctx.dwell();
    return { status: 'done' };
  },
};
