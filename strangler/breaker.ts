/**
 * Per-route circuit breaker (pure state machine, time injected).
 * closed → open when `consecutiveFailures` failures happen in a row, or when
 * the error rate over the last `windowMs` reaches `errorRate` with at least
 * `minRequests` outcomes; open → half-open after `openMs`; half-open lets
 * `halfOpenProbes` requests through at a time: a success closes it, a failure
 * opens it again.
 */
import type { BreakerSpec } from './table/schema.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Outcomes are kept in fixed time buckets so recording is O(1) with no allocation. */
const BUCKETS = 10;

export class Breaker {
  spec: BreakerSpec;
  state: BreakerState = 'closed';
  openedAt = 0;
  consecutive = 0;
  probesInFlight = 0;
  opens = 0;
  private readonly okCounts = new Array<number>(BUCKETS).fill(0);
  private readonly failCounts = new Array<number>(BUCKETS).fill(0);
  private readonly bucketStamp = new Array<number>(BUCKETS).fill(-1);

  constructor(spec: BreakerSpec) {
    this.spec = spec;
  }

  /** Current state, advancing open → half-open when `openMs` has passed. */
  current(now: number): BreakerState {
    if (this.state === 'open' && now - this.openedAt >= this.spec.openMs) {
      this.state = 'half-open';
      this.probesInFlight = 0;
    }
    return this.state;
  }

  /**
   * May a request go to the service? 'yes' when closed, 'probe' when it is a
   * half-open probe (report its outcome with `record(..., true)`), 'no' otherwise.
   */
  admit(now: number): 'yes' | 'probe' | 'no' {
    const s = this.current(now);
    if (s === 'closed') return 'yes';
    if (s === 'half-open' && this.probesInFlight < this.spec.halfOpenProbes) {
      this.probesInFlight++;
      return 'probe';
    }
    return 'no';
  }

  record(ok: boolean, now: number, probe = false): void {
    if (probe) {
      this.probesInFlight = Math.max(0, this.probesInFlight - 1);
      if (this.state !== 'half-open') return;
      if (ok) this.close();
      else this.open(now);
      return;
    }
    if (this.state !== 'closed') return; // late outcomes of requests admitted before opening
    const bucketMs = this.spec.windowMs / BUCKETS;
    const slot = Math.floor(now / bucketMs);
    const i = slot % BUCKETS;
    if (this.bucketStamp[i] !== slot) {
      this.bucketStamp[i] = slot;
      this.okCounts[i] = 0;
      this.failCounts[i] = 0;
    }
    if (ok) {
      this.okCounts[i]++;
      this.consecutive = 0;
      return;
    }
    this.failCounts[i]++;
    this.consecutive++;
    if (this.consecutive >= this.spec.consecutiveFailures) {
      this.open(now);
      return;
    }
    let okN = 0;
    let failN = 0;
    for (let b = 0; b < BUCKETS; b++) {
      if (slot - this.bucketStamp[b] < BUCKETS) {
        okN += this.okCounts[b];
        failN += this.failCounts[b];
      }
    }
    const total = okN + failN;
    if (total >= this.spec.minRequests && failN / total >= this.spec.errorRate) this.open(now);
  }

  private open(now: number): void {
    this.state = 'open';
    this.openedAt = now;
    this.consecutive = 0;
    this.probesInFlight = 0;
    this.opens++;
  }

  private close(): void {
    this.state = 'closed';
    this.consecutive = 0;
    this.probesInFlight = 0;
    this.bucketStamp.fill(-1);
  }

  /** A probe ended without an outcome (client went away): free its slot. */
  cancelProbe(): void {
    this.probesInFlight = Math.max(0, this.probesInFlight - 1);
  }

  /** Manual reset (e.g. after a rollback). */
  reset(): void {
    this.close();
  }
}
