/**
 * The kill runner: runs the real CLI (scripts/split/bin/split-db.ts) as a
 * child process and kills it with SIGKILL — at a named fault point
 * (SPLIT_FAULT=<point>:<n>, lib/faults.ts) or after a random delay — then runs
 * the same command again until it finishes. Counts every kill.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CLI = resolve(HERE, '../../bin/split-db.ts');
export const DEFAULT_CLI_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_RUNS = 20;

/**
 * The fault points of lib/faults.ts and the command that reaches each.
 * (Listed here, not imported, so the harness notices when the tool's list changes: see the test.)
 */
export const KILL_POINTS = {
  start: ['after-capture', 'mid-chunk', 'chunk-committed', 'loaders-committed', 'after-chunk', 'indexes-dropped', 'indexes-readding', 'indexes-readded', 'mid-apply', 'after-apply'],
  verify: ['during-verify'],
  cutover: ['cutover-fenced', 'cutover-before-flip', 'cutover-after-flip'],
  rollback: ['rollback-before-flip'],
} as const;

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** What was asked: a fault point, a random delay, or nothing. */
  kill?: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** SIGKILL after this many ms (a random-time kill). */
  killAfterMs?: number;
  timeoutMs?: number;
  /** SIGKILL when this aborts (a kill at a moment the caller chooses, e.g. while the tool waits for a lock). */
  killSignal?: AbortSignal;
}

export function runCli(args: string[], opts: RunOptions = {}): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, SPLIT_REDIS: 'off', LOG_LEVEL: 'error', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    const timers: NodeJS.Timeout[] = [];
    if (opts.killAfterMs !== undefined) timers.push(setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs));
    opts.killSignal?.addEventListener('abort', () => child.kill('SIGKILL'), { once: true });
    timers.push(setTimeout(() => {
      stderr += `\nkiller: ${args[0]} did not finish within ${opts.timeoutMs ?? DEFAULT_CLI_TIMEOUT_MS} ms; killed`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? DEFAULT_CLI_TIMEOUT_MS));
    child.on('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      resolvePromise({ code, signal, stdout, stderr, ms: Date.now() - t0, kill: opts.env?.SPLIT_FAULT ?? (opts.killAfterMs !== undefined ? `random@${opts.killAfterMs}ms` : opts.killSignal ? 'chosen moment' : undefined) });
    });
  });
}

export interface KillPlan {
  /** Fault specs to kill at, in order (`mid-chunk:3`): each run dies there or, if the point is never reached, finishes. */
  points?: string[];
  /** Random-time kills after the named ones: each run is killed after a delay in [minMs, maxMs]. */
  random?: { count: number; minMs: number; maxMs: number };
  maxRuns?: number;
}

export interface KillReport {
  kills: number;
  runs: CliRun[];
  /** The run that finished (exit 0). */
  final: CliRun;
}

/**
 * Runs `args` under the kill plan, then without faults until it exits 0.
 * A run that exits non-zero (not killed) is a failure unless `tolerate` says
 * otherwise (e.g. a lock still held for an instant after a kill).
 */
export async function killUntilDone(args: string[], plan: KillPlan, opts: {
  env?: Record<string, string>;
  tolerate?: (r: CliRun) => boolean;
  onRun?: (r: CliRun) => void | Promise<void>;
  /** Runs the command to completion after the planned kills (default: the CLI again; the short profile runs it in-process to save a process start). */
  finish?: () => Promise<CliRun>;
} = {}): Promise<KillReport> {
  const runs: CliRun[] = [];
  let kills = 0;
  const record = async (r: CliRun) => {
    runs.push(r);
    if (r.signal === 'SIGKILL') kills++;
    await opts.onRun?.(r);
    if (r.signal === null && r.code !== 0 && !opts.tolerate?.(r)) {
      throw new Error(`split-db ${args[0]} (kill ${r.kill ?? 'none'}) exited ${r.code}: ${lastLine(r.stderr)}`);
    }
    return r;
  };
  for (const p of plan.points ?? []) {
    const r = await record(await runCli(args, { env: { ...opts.env, SPLIT_FAULT: p } }));
    if (r.code === 0) return { kills, runs, final: r };
  }
  for (let i = 0; i < (plan.random?.count ?? 0); i++) {
    const { minMs, maxMs } = plan.random!;
    const r = await record(await runCli(args, { env: opts.env, killAfterMs: Math.round(minMs + Math.random() * (maxMs - minMs)) }));
    if (r.code === 0) return { kills, runs, final: r };
  }
  for (let i = 0; i < (plan.maxRuns ?? DEFAULT_MAX_RUNS); i++) {
    const r = await record(await (opts.finish ? opts.finish() : runCli(args, { env: opts.env })));
    if (r.code === 0) return { kills, runs, final: r };
  }
  throw new Error(`split-db ${args[0]} did not finish in ${plan.maxRuns ?? DEFAULT_MAX_RUNS} runs after ${kills} kills`);
}

export const MAX_ERROR_CHARS = 400;

export function lastLine(s: string): string {
  const l = s.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
  return l.length > MAX_ERROR_CHARS ? `${l.slice(0, MAX_ERROR_CHARS)}…` : l;
}
