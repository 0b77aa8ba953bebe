/**
 * Admission to one upstream's connection pool. At most `capacity` requests (the pool size) are handed to
 * undici at once; the rest wait here in FIFO order, where a client that leaves is simply dropped (never sent)
 * and a request that waits longer than `queueTimeoutMs` is turned away. One timer per gate (armed for the
 * oldest waiter's deadline), no timer per request. It also counts streamed uploads in flight, so slow
 * uploaders cannot take every pooled connection.
 */

/** A request waiting for a pooled connection. */
export interface Waiter {
  /** Set by the gate while queued. */
  queuedAt: number;
  /** Intrusive FIFO link (no allocation per queued request). */
  nextWaiter: Waiter | null;
  /** True once it left the queue (admitted, expired or cancelled). */
  dequeued: boolean;
  /** Its turn: it now holds a slot and must call `release()` once when done. */
  admit(waitedMs: number): void;
  /** It waited longer than the queue deadline; it holds no slot. */
  expire(waitedMs: number): void;
}

export class Gate {
  readonly capacity: number;
  readonly queueTimeoutMs: number;
  readonly maxUploads: number;
  inFlight = 0;
  queued = 0;
  uploads = 0;
  private head: Waiter | null = null;
  private tail: Waiter | null = null;
  private timer: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => number;

  constructor(capacity: number, queueTimeoutMs: number, maxUploads: number, now: () => number = () => performance.now()) {
    this.capacity = capacity;
    this.queueTimeoutMs = queueTimeoutMs;
    this.maxUploads = maxUploads;
    this.now = now;
  }

  /** Takes a slot at once, or returns false (the caller then `enqueue`s). */
  tryAcquire(): boolean {
    if (this.inFlight < this.capacity && this.queued === 0) {
      this.inFlight++;
      return true;
    }
    return false;
  }

  enqueue(w: Waiter): void {
    w.queuedAt = this.now();
    w.nextWaiter = null;
    w.dequeued = false;
    if (this.tail === null) this.head = w;
    else this.tail.nextWaiter = w;
    this.tail = w;
    this.queued++;
    if (this.timer === null) this.arm(this.queueTimeoutMs);
  }

  /** A queued waiter whose client left: it is skipped when its turn comes. */
  cancel(w: Waiter): void {
    if (w.dequeued) return;
    w.dequeued = true;
    this.queued--;
    this.pump();
  }

  release(): void {
    this.inFlight--;
    this.pump();
    if (this.inFlight === 0 && this.queued === 0 && this.idleWaiters.length) for (const r of this.idleWaiters.splice(0)) r();
  }

  /** Resolves once nothing is in flight or queued (a retired upstream closes its pool after that). */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.queued === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private shift(): Waiter | null {
    let w = this.head;
    while (w !== null && w.dequeued) w = w.nextWaiter; // cancelled ones were already uncounted
    if (w === null) {
      this.head = this.tail = null;
      return null;
    }
    this.head = w.nextWaiter;
    if (this.head === null) this.tail = null;
    w.nextWaiter = null;
    w.dequeued = true;
    this.queued--;
    return w;
  }

  private pump(): void {
    while (this.inFlight < this.capacity && this.queued > 0) {
      const w = this.shift();
      if (w === null) break;
      this.inFlight++;
      w.admit(this.now() - w.queuedAt);
    }
    if (this.queued === 0) {
      // drop cancelled leftovers so they can be collected
      this.head = this.tail = null;
    }
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.sweep(), Math.max(1, ms));
    this.timer.unref();
  }

  private sweep(): void {
    this.timer = null;
    const now = this.now();
    for (;;) {
      let w = this.head;
      while (w !== null && w.dequeued) w = w.nextWaiter;
      this.head = w;
      if (w === null) {
        this.tail = null;
        return;
      }
      const waited = now - w.queuedAt;
      if (waited < this.queueTimeoutMs) {
        this.arm(this.queueTimeoutMs - waited);
        return;
      }
      this.head = w.nextWaiter;
      if (this.head === null) this.tail = null;
      w.nextWaiter = null;
      w.dequeued = true;
      this.queued--;
      w.expire(waited);
    }
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
