/**
 * One run of a periodic job at a time, whoever starts it: the legacy
 * scheduler, `npm run jobs`, or the events process's BullMQ worker. The lock
 * is a MariaDB named lock (GET_LOCK) on the legacy database — where the jobs'
 * own tables (`logs`, `shop_daily_stats`) stay — named after that database
 * and the job, so two processes on one database exclude each other and test
 * databases on one server do not. It is held by one pooled connection for the
 * length of the run (the pool needs room for the job's own queries: at least
 * 2 connections) and released when that connection ends, even if the process
 * dies.
 */
import type { Knex } from 'knex';

export { jobLockKey } from '../../lib/contract/jobs/periodic.ts';

const NAME = "LEFT(CONCAT('pj:', DATABASE(), ':', ?), 64)";

export type Locked<T> = { ran: true; value: T } | { ran: false };

/** Runs `fn` holding the lock; waits up to `waitSeconds` (0: not at all) for it, else resolves `{ ran: false }`. */
export async function withJobLock<T>(knex: Knex, key: string, waitSeconds: number, fn: () => Promise<T>): Promise<Locked<T>> {
  const client = knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
  const conn = await client.acquireConnection();
  try {
    const [[row]] = (await knex.raw(`SELECT GET_LOCK(${NAME}, ?) AS got`, [key, waitSeconds]).connection(conn)) as [[{ got: number | null }]];
    if (Number(row?.got) !== 1) return { ran: false };
    try {
      return { ran: true, value: await fn() };
    } finally {
      await knex.raw(`SELECT RELEASE_LOCK(${NAME})`, [key]).connection(conn).catch(() => undefined);
    }
  } finally {
    await client.releaseConnection(conn);
  }
}
