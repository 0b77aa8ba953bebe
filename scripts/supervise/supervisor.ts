/**
 * Runs a set of child processes as one stack: starts them with this very
 * node binary, prefixes their output with their names, waits until each is
 * ready (an HTTP URL answering 2xx, or an IPC `{ type: 'ready' }` message)
 * within a deadline, reports a child that dies, and stops them all
 * gracefully (SIGTERM, then SIGKILL after a timeout).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { LinePrefixer, colorFor, formatPrefix } from './lines.ts';

export interface ChildSpec {
  name: string;
  /** Absolute path of the script node runs. */
  entry: string;
  args?: string[];
  /** Full environment of the child. */
  env: NodeJS.ProcessEnv;
  /** Ready when GET answers 2xx. */
  readyUrl?: string;
  /** Ready when the child sends `{ type: 'ready' }` over IPC. */
  readyMessage?: boolean;
  /**
   * Children (earlier in the list) that must be ready before this one is spawned: the facade starts after the
   * APIs it proxies to, so it never answers 502 for an upstream that is still starting.
   */
  after?: string[];
}

export interface SupervisorOptions {
  out?: NodeJS.WritableStream;
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
  pollIntervalMs?: number;
  execPath?: string;
  color?: boolean;
  /** Rewrites each line a child writes before it is prefixed (default: unchanged). */
  format?: (line: string) => string;
}

export const DEFAULT_READY_TIMEOUT_MS = 30_000;
export const DEFAULT_STOP_TIMEOUT_MS = 12_000;

export interface ChildExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ChildFailedError extends Error {
  readonly child: string;
  constructor(child: string, message: string) {
    super(`${child}: ${message}`);
    this.name = 'ChildFailedError';
    this.child = child;
  }
}

interface Running {
  spec: ChildSpec;
  proc: ChildProcess;
  exited: Promise<ChildExit>;
  exit?: ChildExit;
  ready: boolean;
}

export function describeExit(e: ChildExit): string {
  return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
}

/**
 * Events: 'crash' (ChildExit) when a child exits that was not asked to stop.
 */
export class Supervisor extends EventEmitter {
  private readonly specs: ChildSpec[];
  private readonly o: Required<Omit<SupervisorOptions, 'color' | 'format'>> & { color: boolean; format?: (line: string) => string };
  private readonly children = new Map<string, Running>();
  private stopping: Promise<ChildExit[]> | undefined;

  constructor(specs: ChildSpec[], opts: SupervisorOptions = {}) {
    super();
    const names = new Set<string>();
    for (const s of specs) {
      if (names.has(s.name)) throw new Error(`duplicate child name "${s.name}"`);
      for (const a of s.after ?? []) if (!names.has(a)) throw new Error(`${s.name}: "after" names ${a}, which is not an earlier child`);
      names.add(s.name);
      if (!s.readyUrl && !s.readyMessage) throw new Error(`${s.name}: needs readyUrl or readyMessage`);
    }
    this.specs = specs;
    const out = opts.out ?? process.stdout;
    this.o = {
      out, readyTimeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, stopTimeoutMs: opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
      pollIntervalMs: opts.pollIntervalMs ?? 100, execPath: opts.execPath ?? process.execPath,
      color: opts.color ?? Boolean((out as { isTTY?: boolean }).isTTY), format: opts.format,
    };
  }

  get stopped(): boolean {
    return this.stopping !== undefined;
  }

  /**
   * Starts every child (one with `after` once those are ready) and waits until all are ready; on any failure stops
   * them all and throws.
   */
  async start(): Promise<void> {
    const width = Math.max(...this.specs.map((s) => s.name.length));
    const ready = new Map<string, Promise<void>>();
    this.specs.forEach((spec, i) => {
      ready.set(spec.name, (async () => {
        await Promise.all((spec.after ?? []).map((n) => ready.get(n)));
        if (this.stopping) throw new ChildFailedError(spec.name, 'stack stopped before it was started');
        this.spawnOne(spec, formatPrefix(spec.name, width, this.o.color ? colorFor(i) : undefined));
        await this.waitReady(this.children.get(spec.name)!);
      })());
    });
    try {
      await Promise.all(ready.values());
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private spawnOne(spec: ChildSpec, prefix: string): void {
    const proc = spawn(this.o.execPath, [spec.entry, ...(spec.args ?? [])], { env: spec.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const write = (t: string) => void this.o.out.write(t);
    const stdout = new LinePrefixer(prefix, write, this.o.format);
    const stderr = new LinePrefixer(prefix, write, this.o.format);
    proc.stdout!.on('data', (c: Buffer) => stdout.push(c));
    proc.stderr!.on('data', (c: Buffer) => stderr.push(c));
    const running: Running = {
      spec, proc, ready: false,
      exited: new Promise((resolve) => {
        proc.once('error', (err) => {
          write(`${prefix} failed to start: ${err.message}\n`);
          const e = { name: spec.name, code: -1, signal: null };
          running.exit = e;
          resolve(e);
        });
        proc.once('close', (code, signal) => {
          stdout.end();
          stderr.end();
          const e = running.exit ?? { name: spec.name, code, signal };
          running.exit = e;
          resolve(e);
          if (!this.stopping) this.emit('crash', e);
        });
      }),
    };
    proc.on('message', (m: unknown) => {
      if ((m as { type?: unknown })?.type === 'ready') running.ready = true;
    });
    this.children.set(spec.name, running);
  }

  private async waitReady(c: Running): Promise<void> {
    const deadline = Date.now() + this.o.readyTimeoutMs;
    let last = 'no answer yet';
    for (;;) {
      if (c.exit) throw new ChildFailedError(c.spec.name, `${describeExit(c.exit)} before it was ready`);
      if (this.stopping) throw new ChildFailedError(c.spec.name, 'stack stopped before it was ready');
      if (c.spec.readyUrl && !c.ready) {
        try {
          const res = await fetch(c.spec.readyUrl, { signal: AbortSignal.timeout(Math.min(2000, this.o.readyTimeoutMs)) });
          await res.body?.cancel();
          if (res.ok) c.ready = true;
          else last = `HTTP ${res.status}`;
        } catch (err) {
          last = (err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message;
        }
      }
      if (c.ready) return;
      if (Date.now() > deadline) {
        throw new ChildFailedError(c.spec.name, `not ready within ${this.o.readyTimeoutMs} ms (${c.spec.readyUrl ? `${c.spec.readyUrl}: ${last}` : 'no ready message'})`);
      }
      // wait for the next poll, or wake early when the child exits
      await Promise.race([new Promise((r) => setTimeout(r, this.o.pollIntervalMs)), c.exited]);
    }
  }

  /** SIGTERM to all, SIGKILL to those still running after the stop timeout; resolves with every exit. Idempotent. */
  stop(): Promise<ChildExit[]> {
    this.stopping ??= (async () => {
      const all = [...this.children.values()];
      for (const c of all) if (!c.exit) c.proc.kill('SIGTERM');
      const timer = setTimeout(() => {
        for (const c of all) {
          if (!c.exit) {
            this.o.out.write(`${c.spec.name}: did not stop within ${this.o.stopTimeoutMs} ms, killing\n`);
            c.proc.kill('SIGKILL');
          }
        }
      }, this.o.stopTimeoutMs);
      try {
        return await Promise.all(all.map((c) => c.exited));
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.stopping;
  }
}
