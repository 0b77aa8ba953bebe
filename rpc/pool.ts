/**
 * A pool of multiplexed connections to one service endpoint that grows with
 * load, up to `size` connections.
 *
 * - A call takes the ready connection with the fewest calls in flight, below
 *   `maxInFlightPerConnection`; otherwise it waits in a bounded FIFO queue
 *   (full queue -> POOL_EXHAUSTED at once; a waiter gives up at its deadline).
 * - Growth: another connection opens when every ready one already carries
 *   `targetInFlightPerConnection` calls (or, before any is ready, when the
 *   waiting calls exceed what the connecting ones will take). One caller at a
 *   time uses one connection; 32 concurrent callers with the defaults use 8
 *   connections of about 4 calls each. Few calls per connection keep one slow
 *   or large reply from holding up many others on the same socket
 *   (head-of-line blocking), while the replies that do share a socket still go
 *   out in one write.
 * - Shrinking: a connection closed by the server's idle timeout is not
 *   reopened while another connection is ready; the slot reconnects on demand.
 * - Slots connect lazily on first use. A connection that worked for a while
 *   and then closed reconnects at once when it was the last one (calls wait
 *   for that attempt); failed attempts and short-lived connections back off
 *   exponentially with jitter.
 * - Fail fast: when no slot is ready or connecting (all in backoff) a call is
 *   rejected with UNAVAILABLE at once instead of waiting out its deadline, and
 *   a failed connect rejects the waiters when nothing else can serve them.
 */
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import { ThriftConnection, type ConnectionOptions } from './connection.ts';
import { clientError, type RemoteAppError } from './errors.ts';

/** A connection that lived this long reconnects at once when it closes; shorter-lived ones back off (flapping peers). */
const STABLE_CONNECTION_MS = 1_000;

export interface PoolOptions extends ConnectionOptions {
  /** most connections the pool opens */
  size: number;
  /** calls in flight on every ready connection before another one opens */
  targetInFlightPerConnection: number;
  maxInFlightPerConnection: number;
  maxQueue: number;
  backoff: BackoffOptions;
  rand?: () => number;
}

interface Slot {
  conn?: ThriftConnection;
  state: 'idle' | 'connecting' | 'ready' | 'backoff';
  attempts: number;
  timer?: NodeJS.Timeout;
  lastError?: string;
}

interface Waiter {
  start: (c: ThriftConnection) => void;
  reject: (e: RemoteAppError) => void;
  timer: NodeJS.Timeout;
  method: string;
}

export interface PoolStats {
  size: number;
  ready: number;
  connecting: number;
  backoff: number;
  inFlight: number;
  queued: number;
}

export class ConnectionPool {
  private readonly opts: PoolOptions;
  private readonly slots: Slot[];
  private queue: Waiter[] = [];
  private closed = false;

  constructor(opts: PoolOptions) {
    this.opts = { ...opts, backoff: opts.backoff ?? DEFAULT_BACKOFF };
    this.slots = Array.from({ length: Math.max(1, opts.size) }, () => ({ state: 'idle' as const, attempts: 0 }));
  }

  stats(): PoolStats {
    const s: PoolStats = { size: this.slots.length, ready: 0, connecting: 0, backoff: 0, inFlight: 0, queued: this.queue.length };
    for (const slot of this.slots) {
      if (slot.state === 'ready') s.ready++;
      else if (slot.state === 'connecting') s.connecting++;
      else if (slot.state === 'backoff') s.backoff++;
      s.inFlight += slot.conn?.inFlight ?? 0;
    }
    return s;
  }

  /**
   * Runs one call on a connection with room for it, now or (queued) when one
   * frees up; settles by `deadline` at the latest.
   */
  run(method: string, args: unknown[], deadline: number): Promise<unknown> {
    const { service } = this.opts;
    if (this.closed) return Promise.reject(clientError('CLIENT_CLOSED', `the ${service} client is closed`, { service, method }));
    const best = this.pick();
    if (best) {
      // Spread load: open another slot once the least busy connection is at its target and the
      // calls in flight exceed what the open and connecting slots take at the target (a burst
      // during a connect opens only as many slots as it needs).
      if (best.inFlight >= this.opts.targetInFlightPerConnection) this.growFor(1);
      return this.start(best, method, args, deadline);
    }
    let hope = false;
    let connecting = 0;
    for (const s of this.slots) {
      if (s.state === 'ready') hope = true;
      else if (s.state === 'connecting') { hope = true; connecting++; }
    }
    // Nothing ready with room: open another slot unless the connecting ones will take every waiter.
    if ((!hope || this.queue.length + 1 > connecting * this.opts.targetInFlightPerConnection) && this.connectOneIdle()) hope = true;
    if (!hope) {
      const last = this.slots.find((s) => s.lastError)?.lastError ?? 'not connected';
      return Promise.reject(clientError('UNAVAILABLE', `${service} at ${this.opts.host}:${this.opts.port} is unavailable (${last}); reconnecting`, { service, method }));
    }
    if (this.queue.length >= this.opts.maxQueue) {
      return Promise.reject(clientError('POOL_EXHAUSTED', `${service}: ${this.queue.length} calls already waiting for a connection (limit ${this.opts.maxQueue})`, { service, method }));
    }
    return new Promise<unknown>((resolve, reject) => {
      const waiter: Waiter = {
        method, reject,
        start: (conn) => { this.start(conn, method, args, deadline).then(resolve, reject); },
        timer: setTimeout(() => {
          this.queue = this.queue.filter((w) => w !== waiter);
          reject(clientError('DEADLINE_EXCEEDED', `${service}.${method} waited for a connection until its deadline`, { service, method }));
        }, Math.max(0, deadline - Date.now())),
      };
      this.queue.push(waiter);
    });
  }

  private start(conn: ThriftConnection, method: string, args: unknown[], deadline: number): Promise<unknown> {
    return conn.call(method, args, deadline);
  }

  private pick(): ThriftConnection | undefined {
    let best: ThriftConnection | undefined;
    for (const s of this.slots) {
      const c = s.conn;
      if (s.state !== 'ready' || !c || c.inFlight >= this.opts.maxInFlightPerConnection) continue;
      if (!best || c.inFlight < best.inFlight) best = c;
      if (best.inFlight === 0) break;
    }
    return best;
  }

  /** Opens one idle slot when the calls in flight plus `extra` exceed what open and connecting slots take at the target. */
  private growFor(extra: number): void {
    let inFlight = 0;
    let slots = 0;
    for (const s of this.slots) {
      if (s.state === 'ready' || s.state === 'connecting') slots++;
      inFlight += s.conn?.inFlight ?? 0;
    }
    if (inFlight + extra > slots * this.opts.targetInFlightPerConnection) this.connectOneIdle();
  }

  private connectOneIdle(): boolean {
    const slot = this.slots.find((s) => s.state === 'idle');
    if (!slot) return false;
    this.connect(slot);
    return true;
  }

  private connect(slot: Slot): void {
    if (this.closed) return;
    slot.state = 'connecting';
    slot.timer = undefined;
    const conn = new ThriftConnection(this.opts, () => this.onConnClosed(slot, conn), () => {
      if (this.queue.length) this.drain();
    });
    slot.conn = conn;
    conn.ready.then(() => {
      if (slot.conn !== conn || this.closed) return;
      slot.state = 'ready';
      slot.attempts = 0;
      slot.lastError = undefined;
      this.drain();
    }, () => undefined);
  }

  private onConnClosed(slot: Slot, conn: ThriftConnection): void {
    if (slot.conn !== conn) return;
    slot.conn = undefined;
    slot.lastError = conn.closeReason || 'connection closed';
    if (this.closed) {
      slot.state = 'idle';
      return;
    }
    if (conn.readyAt > 0 && Date.now() - conn.readyAt >= STABLE_CONNECTION_MS) {
      // A connection that had been working closed (idle timeout, server restart).
      slot.attempts = 0;
      if (this.slots.some((s) => s !== slot && s.state === 'ready')) {
        // Others serve: this slot reopens when load needs it again (the pool shrinks when idle).
        slot.state = 'idle';
      } else {
        // The last one: try again at once; calls meanwhile wait for the attempt instead of failing.
        this.connect(slot);
      }
    } else {
      slot.attempts++;
      slot.state = 'backoff';
      slot.timer = setTimeout(() => this.connect(slot), backoffDelay(slot.attempts, this.opts.backoff, this.opts.rand));
      slot.timer.unref();
    }
    // Nobody left to serve the waiters: fail them now rather than at their deadlines.
    if (!this.slots.some((s) => s.state === 'ready' || s.state === 'connecting')) {
      const waiters = this.queue;
      this.queue = [];
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.reject(clientError('UNAVAILABLE', `${this.opts.service} at ${this.opts.host}:${this.opts.port} is unavailable (${slot.lastError})`, { service: this.opts.service, method: w.method }));
      }
    } else this.drain();
  }

  private drain(): void {
    while (this.queue.length) {
      const conn = this.pick();
      if (!conn) return;
      const w = this.queue.shift()!;
      clearTimeout(w.timer);
      w.start(conn);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.queue) {
      clearTimeout(w.timer);
      w.reject(clientError('CLIENT_CLOSED', `the ${this.opts.service} client is closed`, { service: this.opts.service, method: w.method }));
    }
    this.queue = [];
    for (const s of this.slots) {
      if (s.timer) clearTimeout(s.timer);
      s.conn?.destroy('client closed');
      s.state = 'idle';
    }
  }
}
