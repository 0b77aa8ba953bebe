import { createKnex, parseMysqlDsn } from '../../../lib/db.ts';
import { maskDsn } from '../../../lib/mask.ts';
import type { Link } from './link.ts';
import type { Side } from './side.ts';
import type { Watchdog } from './watch.ts';

/**
 * The write freeze is bounded by `--abort-after-ms` plus this margin: the
 * watchdog's KILL QUERY round trip, the error reaching the tool and the
 * ROLLBACK of the source's uncommitted fence (no lock wait: writers queued
 * behind the fence proceed the moment it is rolled back).
 */
export const FREEZE_MARGIN_MS = 500;

/** Connections per side used inside the freeze (the applier and the checks run one statement at a time per side). */
const FREEZE_POOL_MAX = 2;

/**
 * Session lock waits of every tool connection used inside the freeze: the
 * abort limit rounded up to whole seconds (the server's unit). They are the
 * backstop; the watchdog's KILL at the limit is the bound.
 */
export function freezeLockWaitSeconds(abortMs: number): number {
  return Math.max(1, Math.ceil(abortMs / 1000));
}

/** A copy of a side whose connections have short lock waits and are watched by the freeze watchdog. */
export function watchedSide(side: Side, watchdog: Watchdog, abortMs: number): Side {
  const s = freezeLockWaitSeconds(abortMs);
  const c = parseMysqlDsn(side.dsn);
  return {
    dsn: side.dsn,
    db: c.database ?? side.db,
    masked: maskDsn(side.dsn),
    knex: createKnex(side.dsn, {
      profile: 'move',
      pool: { min: 0, max: FREEZE_POOL_MAX },
      // READ COMMITTED from the first transaction on: the final catch-up's INSERT … SELECT must not take shared
      // locks on source rows — a writer queued behind the uncommitted fence holds its row's lock (AFTER triggers
      // run after the row change), and waiting for it would wait for the fence itself
      session: [`innodb_lock_wait_timeout = ${s}`, `lock_wait_timeout = ${s}`, "tx_isolation = 'READ-COMMITTED'"],
      onConnect: (threadId) => watchdog.watch({ dsn: side.dsn, threadId }),
    }),
  };
}

/** The link the freeze works through: same direction and shapes, watched sessions on both servers. */
export function watchedLink(link: Link, watchdog: Watchdog, abortMs: number): Link {
  return { ...link, from: watchedSide(link.from, watchdog, abortMs), to: watchedSide(link.to, watchdog, abortMs) };
}

export async function closeWatchedLink(link: Link): Promise<void> {
  await Promise.allSettled([link.from.knex.destroy(), link.to.knex.destroy()]);
}
