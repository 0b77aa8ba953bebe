import { createKnex, type Knex } from '../../lib/db.ts';

/**
 * Where a service's tables live right now. Before the split they are in the
 * legacy database; after cutover in the service's own database. The choice
 * comes from a `which()` function (a config switch, or the ownership
 * registry) read on every call, so a flip takes effect without a restart.
 * Both pools are created lazily and closed together.
 */
export type DbSide = 'legacy' | 'own';

export interface LiveDb {
  /** The knex of the side that owns the tables now. */
  current(): Knex;
  side(): DbSide;
  close(): Promise<void>;
}

export interface LiveDbOptions {
  legacyDsn: string;
  ownDsn: string;
  which: () => DbSide;
  pool?: { min?: number; max?: number };
  /** Injected for tests: use these handles instead of creating pools. */
  handles?: Partial<Record<DbSide, Knex>>;
}

export function createLiveDb(opts: LiveDbOptions): LiveDb {
  const pools: Partial<Record<DbSide, Knex>> = { ...opts.handles };
  const owned = new Set<DbSide>();
  const get = (side: DbSide): Knex => {
    let k = pools[side];
    if (!k) {
      k = createKnex(side === 'legacy' ? opts.legacyDsn : opts.ownDsn, { pool: opts.pool });
      pools[side] = k;
      owned.add(side);
    }
    return k;
  };
  return {
    current: () => get(opts.which()),
    side: () => opts.which(),
    async close() {
      await Promise.all([...owned].map((s) => pools[s]!.destroy()));
      owned.clear();
    },
  };
}

/** A LiveDb over one fixed handle (tests, tools). */
export function fixedDb(knex: Knex, side: DbSide = 'legacy'): LiveDb {
  return { current: () => knex, side: () => side, close: async () => {} };
}
