import type mysql from 'mysql2/promise';
import { openConnection } from './side.ts';

/** After firing, the watched sessions' statements are KILLed again at this interval until the watchdog is disarmed. */
export const WATCHDOG_REKILL_MS = 100;

/** A server session the tool owns: where it lives and its connection id (what KILL QUERY takes). */
export interface Session {
  dsn: string;
  threadId: number;
}

/** KILL QUERY on one session, from a fresh connection; a statement that finished meanwhile is no error. */
export async function killQuery(s: Session): Promise<void> {
  let killer: mysql.Connection | undefined;
  try {
    killer = await openConnection(s.dsn);
    await killer.query(`KILL QUERY ${Math.floor(Number(s.threadId))}`);
  } catch {
    // the session or its statement may be gone already
  } finally {
    await killer?.end().catch(() => killer?.destroy());
  }
}

/**
 * Watches a window of time over any number of the tool's own sessions, on any
 * servers: at the deadline it marks itself fired and KILLs the running
 * statement of every session it watches (the tool's, never the
 * application's), so no lock wait of the tool can outlive the window.
 * `check` turns a fired watchdog into an error at step boundaries.
 */
export class Watchdog {
  fired = false;
  /** Resolves when the KILLs issued at the deadline are done. */
  killed: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private again: NodeJS.Timeout | undefined;
  private readonly sessions = new Map<string, Session>();
  private readonly ms: number;
  private readonly onFire: (() => void) | undefined;

  constructor(ms: number, onFire?: () => void) {
    this.ms = ms;
    this.onFire = onFire;
  }

  watch(s: Session): void {
    this.sessions.set(`${s.dsn}#${s.threadId}`, s);
    // a session joining after the deadline is stopped at once
    if (this.fired) this.killed = this.killed.then(() => killQuery(s));
  }

  arm(): void {
    this.disarm();
    this.timer = setTimeout(() => this.fire(), this.ms);
    this.timer.unref?.();
  }

  fire(): void {
    if (this.fired) return;
    this.fired = true;
    this.onFire?.();
    this.killAll();
    // a retry loop may start a new statement on a watched session after the KILL: stop those too, until disarmed
    this.again = setInterval(() => this.killAll(), WATCHDOG_REKILL_MS);
    this.again.unref?.();
  }

  private killAll(): void {
    const sessions = [...this.sessions.values()];
    this.killed = this.killed.then(() => Promise.all(sessions.map(killQuery))).then(() => undefined);
  }

  check(step: string): void {
    if (this.fired) throw new WatchdogFired(step, this.ms);
  }

  /** Stops the clock (and the repeated KILLs); resolves once no KILL of ours is still on its way. */
  async disarm(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.again) clearInterval(this.again);
    this.timer = undefined;
    this.again = undefined;
    await this.killed;
  }
}

export class WatchdogFired extends Error {
  readonly step: string;
  constructor(step: string, ms: number) {
    super(`write freeze reached the abort limit of ${ms} ms during ${step}`);
    this.name = 'WatchdogFired';
    this.step = step;
  }
}
