import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connect, parseDatabaseUrl, type Knex } from './connection.ts';

export const MIGRATIONS_DIR = resolve(fileURLToPath(import.meta.url), '../../../migrations');

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Knex migration source reading NNN_name.ts files (imported with Node's type stripping). */
function source(dir: string): Knex.MigrationSource<string> {
  return {
    async getMigrations() {
      return (await readdir(dir)).filter((f) => /^\d+_.*\.ts$/.test(f)).sort();
    },
    getMigrationName: (file) => file,
    async getMigration(file) {
      return (await import(pathToFileURL(join(dir, file)).href)) as Migration;
    },
  };
}

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = await knex.migrate.latest({ migrationSource: source(MIGRATIONS_DIR), disableMigrationsListValidation: true });
  return applied as string[];
}

export async function rollbackAll(knex: Knex): Promise<string[]> {
  const [, undone] = await knex.migrate.rollback({ migrationSource: source(MIGRATIONS_DIR), disableMigrationsListValidation: true }, true);
  return undone as string[];
}

function serverUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/';
  return u.toString();
}

/** CREATE DATABASE IF NOT EXISTS for the database the URL names. */
export async function createDatabase(url: string): Promise<void> {
  const { database } = parseDatabaseUrl(url);
  if (!database) throw new Error('DATABASE_URL names no database');
  const admin = connect(serverUrl(url), { max: 1 });
  try {
    await admin.raw('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [database]);
  } finally {
    await admin.destroy();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const { database } = parseDatabaseUrl(url);
  if (!database) throw new Error('DATABASE_URL names no database');
  const admin = connect(serverUrl(url), { max: 1 });
  try {
    await admin.raw('DROP DATABASE IF EXISTS ??', [database]);
  } finally {
    await admin.destroy();
  }
}
