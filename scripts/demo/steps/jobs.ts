/**
 * Step 7: the periodic jobs (popularity ranking, shop stats) run as BullMQ
 * job schedulers through the services' batch Thrift APIs instead of joining
 * other services' tables. The demo triggers one run of each and prints what
 * it computed.
 */
import type { Step } from '../context.ts';
import { ensureServices } from './services.ts';
import { ensureJobs } from './search.ts';

export const jobsStep: Step = {
  id: '7',
  title: 'periodic jobs running through the services (BullMQ schedulers, batch Thrift calls)',
  needs: ['3'],
  async run(ctx) {
    await ensureServices(ctx);
    const jobs = await ensureJobs(ctx);
    ctx.phase('7 jobs');
    const schedulers = await jobs.queue.getJobSchedulers();
    ctx.say(`schedulers registered: ${schedulers.map((s) => `${s.key} (${s.pattern ?? s.every ?? '?'})`).join(', ')}`);
    for (const name of ['popularity', 'shop-stats']) {
      const t0 = performance.now();
      const job = await jobs.queue.add(name, {}, { removeOnComplete: false, removeOnFail: false });
      for (;;) {
        const state = await job.getState();
        if (state === 'completed' || state === 'failed') break;
        if (performance.now() - t0 > 60_000) throw new Error(`${name} job did not finish within 60 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const done = await jobs.queue.getJob(job.id!);
      if (!done || (await done.getState()) !== 'completed') return { status: 'failed', reason: `${name} job failed: ${done?.failedReason ?? 'unknown'}` };
      ctx.say(`${name} job through the services: ${JSON.stringify(done.returnvalue).slice(0, 240)} (${Math.round(performance.now() - t0)} ms)`);
    }
    await ctx.dwell();
    return { status: 'done' };
  },
};
