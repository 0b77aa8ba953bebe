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
  private readonly knex: Knex;
  private readonly write: (k: Knex, i: number) => Promise<unknown>;

  constructor(dsn: string, write: (k: Knex, i: number) => Promise<unknown>) {
    this.knex = createKnex(dsn, { pool: { min: 1, max: 1 } });
    this.write = write;
  }

  start(): void {
    this.loop = (async () => {
      for (let i = 0; !this.stopped; i++) {
        const t = performance.now();
        let errno: number | undefined;
        try {
          await this.write(this.knex, i);
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
    await this.knex.destroy();
  }

  /** Longest single write (ms), and how many writes succeeded. */
  get maxMs(): number {
    return Math.max(0, ...this.samples.map((s) => s.ms));
  }

  get ok(): number {
    return this.samples.filter((s) => s.errno === undefined).length;
  }
}
