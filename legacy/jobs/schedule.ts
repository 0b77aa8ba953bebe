/**
 * A small drift-safe scheduler: runs fire at fixed wall-clock slots
 * (offset + k·interval since the epoch, e.g. every hour at :05), computed
 * afresh from the clock each time, so late timers and long runs never
 * accumulate drift; a run that overruns its slot skips the missed slots
 * instead of piling up. Clock and timers are injected for tests.
 */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** setTimeout's ceiling; longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** '500ms', '30s', '15m', '1h', '1d', '1h30m' or a plain number of seconds → ms. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (const m of t.matchAll(re)) {
    total += Number(m[1]) * UNITS[m[2]];
    consumed += m[0].length;
  }
  if (!t || consumed !== t.length) throw new Error(`not a duration: "${text}" (use e.g. 30s, 15m, 1h, 1d)`);
  return Math.round(total);
}

/** The first slot strictly after `now`: offset + k·interval. */
export function nextSlot(nowMs: number, intervalMs: number, offsetMs = 0): number {
  if (!(intervalMs > 0)) throw new Error('interval must be positive');
  const k = Math.floor((nowMs - offsetMs) / intervalMs) + 1;
  return offsetMs + k * intervalMs;
}

export interface SchedulerOptions {
  intervalMs: number;
  offsetMs?: number;
  runOnStart?: boolean;
  task: (slotMs: number) => Promise<void>;
  onError?: (err: unknown) => void;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class Scheduler {
  private readonly o: Required<Omit<SchedulerOptions, 'onError'>> & Pick<SchedulerOptions, 'onError'>;
  private timer: unknown;
  private running: Promise<void> | undefined;
  private stopped = true;
  private nextAt: number | undefined;
  runs = 0;

  constructor(opts: SchedulerOptions) {
    this.o = {
      offsetMs: 0, runOnStart: false, now: Date.now,
      setTimer: (fn, ms) => setTimeout(fn, ms), clearTimer: (h) => clearTimeout(h as NodeJS.Timeout), ...opts,
    };
    nextSlot(0, opts.intervalMs); // validates
  }

  /** Time of the next scheduled run (epoch ms), if started. */
  get next(): number | undefined {
    return this.nextAt;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.o.runOnStart) this.fire(this.o.now());
    else this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    const now = this.o.now();
    this.nextAt ??= nextSlot(now, this.o.intervalMs, this.o.offsetMs);
    const wait = this.nextAt - now;
    if (wait <= 0) {
      this.fire(this.nextAt);
      return;
    }
    this.timer = this.o.setTimer(() => this.arm(), Math.min(wait, MAX_TIMER_MS));
  }

  private fire(slot: number): void {
    this.nextAt = undefined;
    this.runs++;
    this.running = this.o.task(slot)
      .catch((err: unknown) => this.o.onError?.(err))
      .finally(() => {
        this.running = undefined;
        this.arm();
      });
  }

  /** Stops scheduling and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.nextAt = undefined;
    if (this.timer !== undefined) this.o.clearTimer(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
