import knexFactory, { type Knex } from 'knex';

export type { Knex };

export interface ConnectionSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
}

/** Parses mysql://user:pass@host:port/db. */
export function parseDatabaseUrl(url: string): ConnectionSettings {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('DATABASE_URL is not a valid URL (expected mysql://user:pass@host:port/database)');
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') throw new Error('DATABASE_URL must start with mysql://');
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password || ''),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined,
  };
}

/** The URL with its credentials hidden, for log lines. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

export function connect(url: string, pool: { min?: number; max?: number } = {}): Knex {
  return knexFactory({
    client: 'mysql2',
    connection: { ...parseDatabaseUrl(url), charset: 'utf8mb4', timezone: 'Z', dateStrings: true, supportBigNumbers: true },
    pool: {
      min: pool.min ?? 0,
      max: pool.max ?? 10,
      afterCreate(conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, c: unknown) => void) {
        conn.query("SET time_zone = '+00:00'", (err) => done(err, conn));
      },
    },
  });
}
