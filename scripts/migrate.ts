/**
 * `npm run migrate`: creates the legacy database if missing and applies
 * migrations/legacy. Config: MYSQL_URL (default mysql://root@127.0.0.1:3306/legacy).
 */
import mysql from 'mysql2/promise';
import { z } from 'zod';
import { DEFAULT_MYSQL_URL, parseConfig } from '../lib/config.ts';
import { createKnex, ensureDatabase, parseMysqlDsn } from '../lib/db.ts';
import { maskDsn, maskSecretsInText } from '../lib/mask.ts';
import { migrateLatest } from '../lib/migrate.ts';

export const migrateConfigSchema = z.object({ MYSQL_URL: z.string().min(1).default(DEFAULT_MYSQL_URL) });

/**
 * Connects once to the server (not the database) so an unreachable server or
 * bad credentials fail with one clear line, before knex's pool retries and
 * prints its own stack traces.
 */
export async function checkServer(dsn: string, timeoutMs = 5000): Promise<void> {
  const { database: _db, ...server } = parseMysqlDsn(dsn);
  const conn = await mysql.createConnection({ ...server, connectTimeout: timeoutMs });
  await conn.end();
}

/** Ensures the database exists and is migrated; returns the migrations applied now. */
export async function migrateLegacy(dsn: string): Promise<string[]> {
  await checkServer(dsn);
  await ensureDatabase(dsn);
  const knex = createKnex(dsn, { pool: { max: 1 } });
  try {
    return await migrateLatest(knex, 'legacy');
  } finally {
    await knex.destroy();
  }
}

async function main(): Promise<void> {
  const config = parseConfig(migrateConfigSchema, process.env);
  const where = maskDsn(config.MYSQL_URL);
  let applied: string[];
  try {
    applied = await migrateLegacy(config.MYSQL_URL);
  } catch (err) {
    throw new Error(`${where}: ${oneLine(err)}`);
  }
  console.log(applied.length ? `migrate: ${where}: applied ${applied.join(', ')}` : `migrate: ${where}: already up to date`);
}

/** One line, credentials masked: how CLI errors are printed. */
export function oneLine(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown };
  const msg = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return maskSecretsInText(msg).split('\n')[0];
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(`migrate: ${oneLine(err)}`);
    process.exit(1);
  });
}
