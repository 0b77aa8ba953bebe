import mysql from 'mysql2/promise';
import { createKnex, parseMysqlDsn, type Knex } from '../../../lib/db.ts';
import { maskDsn } from '../../../lib/mask.ts';
import { EXACT_SESSION_SQL } from './exact.ts';

/** One end of a move: a database on some server, reached with the byte-exact 'move' profile and the tool's session settings (exact.ts). */
export interface Side {
  dsn: string;
  db: string;
  knex: Knex;
  masked: string;
}

export function openSide(dsn: string, poolMax = 4): Side {
  const c = parseMysqlDsn(dsn);
  if (!c.database) throw new Error(`DSN names no database: ${maskDsn(dsn)}`);
  return { dsn, db: c.database, knex: createKnex(dsn, { profile: 'move', pool: { min: 0, max: poolMax }, sessionSql: EXACT_SESSION_SQL }), masked: maskDsn(dsn) };
}

/** True when both DSNs reach the same server as the same user: server-side INSERT … SELECT is possible. */
export function sameServer(a: string, b: string): boolean {
  const x = parseMysqlDsn(a);
  const y = parseMysqlDsn(b);
  const host = (h: string) => (h === 'localhost' ? '127.0.0.1' : h);
  return host(x.host) === host(y.host) && x.port === y.port && x.user === y.user && x.password === y.password;
}

/** A dedicated connection (not pooled): named locks and the cutover session, whose id the watchdog can KILL. */
export async function openConnection(dsn: string, extra: { multipleStatements?: boolean } = {}): Promise<mysql.Connection> {
  const c = parseMysqlDsn(dsn);
  const conn = await mysql.createConnection({
    ...extra,
    host: c.host, port: c.port, user: c.user, password: c.password, database: c.database,
    charset: 'utf8mb4', timezone: 'Z', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true,
  });
  try {
    await conn.query(EXACT_SESSION_SQL);
  } catch (err) {
    conn.destroy();
    throw err;
  }
  return conn;
}

/** Whether the DSN's database exists (asked without selecting it, so no connection error is logged). */
export async function databaseExists(dsn: string): Promise<boolean> {
  const c = parseMysqlDsn(dsn);
  const conn = await mysql.createConnection({ host: c.host, port: c.port, user: c.user, password: c.password });
  try {
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [c.database]);
    return Number((rows as Array<{ n: number }>)[0].n) > 0;
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}
