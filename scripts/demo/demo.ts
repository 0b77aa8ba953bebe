/**
 * The whole walk as a function (the CLI and the system test both call it):
 * environment → stack → traffic → steps → summary → teardown.
 */
import { rm } from 'node:fs/promises';
import type { DemoContext, DemoOptions, Step } from './context.ts';
import { createDemoEnv } from './env.ts';
import { emptyEvidence, type Evidence } from './evidence.ts';
import { runSteps } from './runner.ts';
import { DemoStack } from './stack.ts';
import { ALL_STEPS, PHASES } from './steps/index.ts';
import { serverErrors } from './diagnostics.ts';
import { formatSummary, verdict, type Verdict } from './summary.ts';
import { TrafficGenerator } from './traffic/generator.ts';
import type { Sample } from './traffic/types.ts';

export interface DemoRun {
  serverDsn: string;
  redisUrl: string;
  options: DemoOptions;
  print: (line: string) => void;
  /** Database/key prefix (system test: its own). */
  prefix?: string;
  /** Remove the run's folder (log, route table, audit) at the end; `npm run demo` keeps it for reading. */
  removeFolder?: boolean;
  steps?: readonly Step[];
}

export interface DemoResult {
  verdict: Verdict;
  evidence: Evidence;
  samples: Sample[];
  summary: string;
}

export async function runDemo(run: DemoRun): Promise<DemoResult> {
  const env = await createDemoEnv({ serverDsn: run.serverDsn, redisUrl: run.redisUrl, prefix: run.prefix });
  const stack = new DemoStack(env);
  const traffic = new TrafficGenerator({ target: { baseFor: () => 'http://127.0.0.1:1' }, level: run.options.level, runTag: env.runId });
  const evidence = emptyEvidence();
  const print = run.print;
  print(`Zigzag strangler-fig demo, run ${env.runId}: databases ${env.legacyDb} (+ ${Object.values(env.serviceDbs).join(', ')}), Redis prefix ${env.redisPrefix}`);
  print(`logs: ${stack.logFile}`);
  const ctx: DemoContext = {
    env, stack, traffic, opts: run.options, evidence, shared: {},
    say: (l) => print(`   ${l}`),
    dwell: (ms) => new Promise((r) => setTimeout(r, ms ?? run.options.dwellMs)),
    phase: (label) => traffic.recorder.setPhase(label),
    mark: () => traffic.recorder.samples.length,
  };
  const onSignal = () => {
    print('interrupted: stopping traffic and the stack');
    void traffic.close().then(() => stack.closeAll()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  try {
    await runSteps(run.steps ?? ALL_STEPS, ctx, print);
  } finally {
    await traffic.close();
    const cleanups = ctx.shared.cleanups as Array<() => Promise<void>> | undefined;
    for (const c of (cleanups ?? []).reverse()) await c().catch(() => undefined);
    await stack.closeAll();
    // errors the processes logged (a handler that failed, a fenced write) count even when no client saw them
    evidence.serverErrors = serverErrors(await stack.readLog().catch(() => ''));
    if (!run.options.keep) {
      await stack.dropDatabases();
      await stack.cleanupRedis().catch((err) => print(`could not remove the run's Redis keys: ${(err as Error).message}`));
    }
    if (run.removeFolder) await rm(env.dir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
  }
  const samples = traffic.recorder.samples;
  const summary = formatSummary(samples, evidence, PHASES);
  print('');
  print('== Summary');
  print(summary);
  if (run.options.keep) print(`databases kept: ${env.legacyDb}, ${Object.values(env.serviceDbs).join(', ')}`);
  return { verdict: verdict(samples, evidence), evidence, samples, summary };
}
