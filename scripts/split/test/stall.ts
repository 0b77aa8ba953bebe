import { createKnex, type Knex } from '../../../lib/db.ts';

/**
 * An independent application writer that timestamps every write: one session,
 * autocommit, one statement at a time, recording how long each one took and
 * how it ended. The longest duration is how long the application was stalled.
 */
export class StallMeter {
  readonly samples: Array<{ at: number; ms: number; errno?: number }> = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly knex: Knex | undefined;
  private readonly write: (i: number) => Promise<unknown>;

  /** `write(i)` does one application write; with a DSN, `write(knex, i)` gets a one-connection pool of its own. */
  constructor(dsnOrWrite: string | ((i: number) => Promise<unknown>), write?: (k: Knex, i: number) => Promise<unknown>) {
    if (typeof dsnOrWrite === 'string') {
      const k = createKnex(dsnOrWrite, { pool: { min: 1, max: 1 } });
      this.knex = k;
      this.write = (i) => write!(k, i);
    } else {
      this.write = dsnOrWrite;
    }
  }

  start(): void {
    this.loop = (async () => {
      for (let i = 0; !this.stopped; i++) {
        const t = performance.now();
        let errno: number | undefined;
        try {
          await this.write(i);
        } catch (err) {
          errno = (err as { errno?: number }).errno ?? -1;
        }
        this.samples.push({ at: t, ms: performance.now() - t, ...(errno === undefined ? {} : { errno }) });
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.knex?.destroy();
  }

  /** Longest single write (ms), and how many writes succeeded. */
  get maxMs(): number {
    return Math.max(0, ...this.samples.map((s) => s.ms));
  }

  /**
   * The longest time without a successful write: between consecutive successful
   * completions (blocked writes and failed writes both count as stalled time).
   */
  get maxGapMs(): number {
    const done = this.samples.filter((s) => s.errno === undefined).map((s) => s.at + s.ms).sort((a, b) => a - b);
    let gap = 0;
    for (let i = 1; i < done.length; i++) gap = Math.max(gap, done[i] - done[i - 1]);
    return gap;
  }

  get ok(): number {
    return this.samples.filter((s) => s.errno === undefined).length;
  }
}
