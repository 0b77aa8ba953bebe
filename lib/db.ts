import knexFactory, { type Knex } from 'knex';
import { maskDsn } from './mask.ts';

export type { Knex };

export type DbProfile = 'app' | 'move';

export interface DbOptions {
  /** `app`: ids as numbers where safe; `move`: every BIGINT/DECIMAL as a string, for byte-exact data moves. */
  profile?: DbProfile;
  pool?: { min?: number; max?: number };
  /** A SET statement run on every new connection instead of the default `SET time_zone = '+00:00'` (must set the time zone too). */
  sessionSql?: string;
  /** Extra `SET SESSION …` assignments for every new connection (e.g. `innodb_lock_wait_timeout = 1`). */
  session?: string[];
  /** Called with each new connection's server thread id (so a watchdog can KILL QUERY it). */
  onConnect?: (threadId: number) => void;
}

/** Parses a mysql:// DSN into mysql2 connection options. The database part is optional. */
export function parseMysqlDsn(dsn: string): { host: string; port: number; user: string; password: string; database?: string } {
  let u: URL;
  try {
    u = new URL(dsn);
  } catch {
    throw new Error(`not a valid MySQL DSN: ${maskDsn(dsn)}`);
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') throw new Error(`DSN must start with mysql://: ${maskDsn(dsn)}`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined;
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password || ''),
    database,
  };
}

/** Returns the DSN with another database name (same server and credentials). */
export function withDatabase(dsn: string, database: string | undefined): string {
  const u = new URL(dsn);
  u.pathname = database ? `/${encodeURIComponent(database)}` : '/';
  return u.toString();
}

export function createKnex(dsn: string, opts: DbOptions = {}): Knex {
  const c = parseMysqlDsn(dsn);
  const move = opts.profile === 'move';
  return knexFactory({
    client: 'mysql2',
    connection: {
      ...c,
      charset: 'utf8mb4',
      timezone: 'Z',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: move,
      decimalNumbers: false,
      multipleStatements: false,
    },
    pool: {
      min: opts.pool?.min ?? 0,
      max: opts.pool?.max ?? 10,
      // DATETIME defaults (CURRENT_TIMESTAMP(6)) follow the session time zone: pin it to UTC so every
      // timestamp the database writes means UTC whatever the server's system zone is.
      afterCreate(conn: { threadId?: number; query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
        const extra = opts.session?.length ? `, ${opts.session.map((a) => `SESSION ${a}`).join(', ')}` : '';
        conn.query(`${opts.sessionSql ?? "SET time_zone = '+00:00'"}${extra}`, (err) => {
          if (!err && opts.onConnect && conn.threadId !== undefined) opts.onConnect(conn.threadId);
          done(err, conn);
        });
      },
    },
  });
}

/** Creates the database if missing (utf8mb4, unicode collation). */
export async function ensureDatabase(dsn: string): Promise<void> {
  const { database } = parseMysqlDsn(dsn);
  if (!database) throw new Error(`DSN names no database: ${maskDsn(dsn)}`);
  const admin = createKnex(withDatabase(dsn, undefined), { pool: { max: 1 } });
  try {
    await admin.raw('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [database]);
  } finally {
    await admin.destroy();
  }
}

export async function dropDatabase(dsn: string): Promise<void> {
  const { database } = parseMysqlDsn(dsn);
  if (!database) return;
  const admin = createKnex(withDatabase(dsn, undefined), { pool: { max: 1 } });
  try {
    await admin.raw('DROP DATABASE IF EXISTS ??', [database]);
  } finally {
    await admin.destroy();
  }
}

/** InnoDB picked the transaction as a deadlock victim (ER_LOCK_DEADLOCK) and rolled it back whole. */
export function isDeadlock(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === 'ER_LOCK_DEADLOCK' || e.errno === 1213) return true;
  return e.cause !== undefined && e.cause !== err ? isDeadlock(e.cause) : false;
}

export const DEADLOCK_ATTEMPTS = 3;

/**
 * knex.transaction, run again when InnoDB rolls it back as a deadlock victim.
 * A victim's transaction is undone completely, so running the callback again
 * is safe as long as it only talks to this database (no calls out, no
 * in-memory effects that outlive a failed attempt). Concurrent writers that
 * lock the same rows in different orders (a like's FK check then its counter
 * update, against an edit's SELECT … FOR UPDATE) deadlock now and then under
 * real traffic; clients should never see that as a 500.
 */
export async function transact<T>(knex: Knex, fn: (trx: Knex.Transaction) => Promise<T>, attempts = DEADLOCK_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await knex.transaction(fn);
    } catch (err) {
      if (!isDeadlock(err) || attempt >= attempts) throw err;
      // a short, jittered pause lets the winner commit first
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.floor(Math.random() * 10)));
    }
  }
}
