/**
 * One run of a periodic job at a time, whoever starts it (legacy's scheduler, `npm run jobs`, this process's
 * worker): a MariaDB named lock (GET_LOCK) on the legacy database, named after that database and the job's lock key
 * (lib/contract/jobs/periodic.ts), held by one pooled connection for the run and released when that connection
 * ends, even if the process dies. The same lock as legacy/jobs/lock.ts — a copy on purpose (each side owns its
 * scheduling); the name must stay identical on both sides for the two to exclude each other.
 */
import type { Knex } from 'knex';


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
