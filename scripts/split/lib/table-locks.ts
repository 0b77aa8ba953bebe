import { createHash } from 'node:crypto';
import type { Knex } from '../../../lib/db.ts';
import { SplitError } from './errors.ts';
import { openConnection } from './side.ts';

/**
 * Runtime claims: one named server lock (GET_LOCK) per moved table of a source
 * database, plus one per service. Two split-db processes cannot work on the
 * same table at the same time, whatever their service names or manifests.
 * Locks are taken in one global order (the service's, then the tables' sorted),
 * on one dedicated connection; the server frees them if the process dies. Each
 * waits at most LOCK_WAIT_SECONDS: a process killed with -9 a moment ago still
 * holds its locks until the server has noticed its connection closed, and the
 * re-run that follows at once must not be refused for that (seen in the fault
 * harness: "another split-db process is working on …" right after a kill).
 */
export const LOCK_WAIT_SECONDS = 3;

export function tableLockName(db: string, table: string): string {
  return `split-db:t:${createHash('sha1').update(`${db}\0${table}`).digest('hex')}`;
}

export function serviceLockName(db: string, service: string): string {
  return `split-db:${db}:${service}`.slice(0, 64);
}

export async function acquireTableLocks(dsn: string, db: string, service: string, tables: string[]): Promise<() => Promise<void>> {
  const conn = await openConnection(dsn);
  const wanted: Array<{ name: string; what: string }> = [
    { name: serviceLockName(db, service), what: `service ${service}` },
    ...[...new Set(tables)].sort().map((t) => ({ name: tableLockName(db, t), what: `table ${t}` })),
  ];
  const held: string[] = [];
  // never throws: a lock it could not release (the server went away) dies with the connection, which is closed
  // here either way; an error from here would hide the one the command failed with
  const release = async () => {
    try {
      for (const n of held.reverse()) await conn.query('SELECT RELEASE_LOCK(?)', [n]);
      await conn.end();
    } catch {
      conn.destroy();
    }
  };
  try {
    for (const w of wanted) {
      const [rows] = await conn.query('SELECT GET_LOCK(?, ?) AS ok', [w.name, LOCK_WAIT_SECONDS]);
      if (Number((rows as Array<{ ok: number }>)[0].ok) !== 1) {
        throw new SplitError('LOCKED', `another split-db process is working on ${w.what} of ${db} (lock ${w.name}); stop it first`);
      }
      held.push(w.name);
    }
  } catch (err) {
    await release().catch(() => undefined);
    throw err;
  }
  return release;
}

/** Read-only: which of these locks another session holds now. */
export async function busyLocks(knex: Knex, db: string, service: string, tables: string[]): Promise<{ service: boolean; tables: string[] }> {
  const names = [serviceLockName(db, service), ...tables.map((t) => tableLockName(db, t))];
  const [[row]] = await knex.raw(`SELECT ${names.map((_, i) => `IS_FREE_LOCK(?) AS f${i}`).join(', ')}`, names);
  const free = names.map((_, i) => Number((row as Record<string, number>)[`f${i}`]) === 1);
  return { service: !free[0], tables: tables.filter((_, i) => !free[i + 1]) };
}
