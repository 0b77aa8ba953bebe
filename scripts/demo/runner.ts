/**
 * Runs the steps in order under live traffic: prints each step's heading and
 * evidence, records its outcome, and marks steps whose prerequisites are not
 * done as not possible (with the reason) instead of running them.
 */
import { StepUnavailable, type DemoContext, type Step, type StepOutcome } from './context.ts';
import { errorCore } from './diagnostics.ts';
import { summaryOf } from './traffic/stats.ts';

export async function runSteps(steps: readonly Step[], ctx: DemoContext, print: (line: string) => void): Promise<void> {
  for (const step of steps) {
    print('');
    print(`== Step ${step.id}: ${step.title}`);
    const started = performance.now();
    const blocked = step.needs.filter((id) => ctx.evidence.steps.find((s) => s.id === id)?.status !== 'done');
    let outcome: StepOutcome;
    if (blocked.length) {
      outcome = { status: 'unavailable', reason: `needs step ${blocked.join(', ')}` };
    } else {
      const from = ctx.mark();
      try {
        outcome = await step.run(ctx);
      } catch (err) {
        outcome = err instanceof StepUnavailable ? { status: 'unavailable', reason: err.message } : { status: 'failed', reason: oneLine(err) };
      }
      const g = summaryOf(step.id, ctx.traffic.recorder.since(from));
      if (g.requests) print(`   traffic during this step: ${g.requests} requests, ${g.errors} client-visible errors, p50 ${g.p50.toFixed(1)} ms, p99 ${g.p99.toFixed(1)} ms`);
    }
    const ms = performance.now() - started;
    ctx.evidence.steps.push({ id: step.id, title: step.title, status: outcome.status, reason: outcome.reason, ms });
    const label = outcome.status === 'done' ? 'done' : outcome.status === 'unavailable' ? 'NOT YET POSSIBLE' : 'FAILED';
    print(`   → ${label}${outcome.reason ? `: ${outcome.reason}` : ''} (${(ms / 1000).toFixed(1)} s)`);
  }
}

export function oneLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return errorCore(m).replace(/mysql:\/\/([^:@/]+):[^@/]+@/g, 'mysql://$1:****@');
}
