/** What every step gets: the environment, the running stack, the traffic, options, and where to write evidence. */
import type { DemoEnv } from './env.ts';
import type { Evidence } from './evidence.ts';
import type { DemoStack } from './stack.ts';
import type { TrafficGenerator } from './traffic/generator.ts';

export interface DemoOptions {
  /** Seed scale (1 = 2,000 products, 1,000 users). */
  scale: number;
  /** How long traffic runs in each sub-phase (shadow, canary, …), ms. */
  dwellMs: number;
  /** Load level of the traffic generator. */
  level: number;
  /** Keep the demo databases afterwards (default: dropped). */
  keep: boolean;
  /** Run split cutovers even when legacy code would still reach the moved tables directly (shows what breaks). */
  forceCutover?: boolean;
}

export interface StepOutcome {
  status: 'done' | 'unavailable' | 'failed';
  /** Why a step is not possible yet or failed (one line). */
  reason?: string;
}

export interface DemoContext {
  env: DemoEnv;
  stack: DemoStack;
  traffic: TrafficGenerator;
  opts: DemoOptions;
  evidence: Evidence;
  /** Shared state between steps (services started, registry, split handles…). */
  shared: Record<string, unknown>;
  /** Prints one line of evidence under the current step. */
  say(line: string): void;
  /** Lets the traffic run for ms (no readiness waiting: the clients keep working meanwhile). */
  dwell(ms?: number): Promise<void>;
  /** Sets the phase label stamped on every request from now on. */
  phase(label: string): void;
  /** Index into the recorder's samples, to summarise "since". */
  mark(): number;
}

export interface Step {
  id: string;
  title: string;
  /** Ids of steps that must be done before this one can run. */
  needs: string[];
  run(ctx: DemoContext): Promise<StepOutcome>;
}

export class StepUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepUnavailable';
  }
}

const REPO_ROOT = new URL('../../', import.meta.url);

/**
 * Imports a module of another area by its repository path (e.g. "services/search/index.ts"); a missing
 * module or export makes the step "not yet possible", never faked.
 */
export async function need<T>(repoPath: string, exportName: string, why: string): Promise<T> {
  const url = new URL(repoPath, REPO_ROOT);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(url.pathname)) throw new StepUnavailable(`${why}: ${repoPath} does not exist yet`);
    throw err;
  }
  if (!(exportName in mod)) throw new StepUnavailable(`${why}: ${repoPath} has no export ${exportName}`);
  return mod[exportName] as T;
}
