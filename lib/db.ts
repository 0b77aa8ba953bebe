import knexFactory, { type Knex } from 'knex';
import { maskDsn } from './mask.ts';

export type { Knex };

export type DbProfile = 'app' | 'move';

export interface DbOptions {
  /** `app`: ids as numbers where safe; `move`: every BIGINT/DECIMAL as a string, for byte-exact data moves. */
  profile?: DbProfile;
  pool?: { min?: number; max?: number };
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
      afterCreate(conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
        conn.query("SET time_zone = '+00:00'", (err) => done(err, conn));
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
