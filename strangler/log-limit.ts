/**
 * Rate-limited warn logging for failures a flood could trigger (aborts, queue timeouts, body timeouts…):
 * at most `perSecond` lines per kind per second; the next line that gets through carries `suppressed`,
 * how many of that kind were dropped since the last one.
 */
import type { Logger } from '../lib/logger.ts';

export const DEFAULT_LOG_LINES_PER_SECOND = 10;

interface Bucket {
  second: number;
  lines: number;
  suppressed: number;
}

export class LimitedLog {
  private readonly buckets = new Map<string, Bucket>();
  private readonly logger: Logger;
  private readonly perSecond: number;
  private readonly now: () => number;

  constructor(logger: Logger, perSecond = DEFAULT_LOG_LINES_PER_SECOND, now: () => number = Date.now) {
    this.logger = logger;
    this.perSecond = perSecond;
    this.now = now;
  }

  /** Logs at warn unless this kind already logged `perSecond` lines this second. */
  warn(kind: string, fields: Record<string, unknown>, msg: string): void {
    const second = Math.floor(this.now() / 1000);
    let b = this.buckets.get(kind);
    if (b === undefined) {
      b = { second, lines: 0, suppressed: 0 };
      this.buckets.set(kind, b);
    }
    if (b.second !== second) {
      b.second = second;
      b.lines = 0;
    }
    if (b.lines >= this.perSecond) {
      b.suppressed++;
      return;
    }
    b.lines++;
    if (b.suppressed > 0) {
      fields.suppressed = b.suppressed;
      b.suppressed = 0;
    }
    fields.kind = kind;
    this.logger.warn(fields, msg);
  }
}
