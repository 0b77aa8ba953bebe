import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { Knex } from 'knex';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');

/** Folder of one database's migrations: migrations/<name>. */
export function migrationsDir(name: string): string {
  return join(ROOT, 'migrations', name);
}

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * A knex migration source that imports TypeScript migrations with native
 * type stripping, ordered by file name (NNN_description.ts).
 */
export function folderSource(dir: string): Knex.MigrationSource<string> {
  return {
    async getMigrations() {
      const files = await readdir(dir);
      return files.filter((f) => /^\d+_.*\.ts$/.test(f) && !f.endsWith('.test.ts')).sort();
    },
    getMigrationName(file) {
      return file;
    },
    async getMigration(file) {
      return (await import(pathToFileURL(join(dir, file)).href)) as MigrationModule;
    },
  };
}

export async function migrateLatest(knex: Knex, name: string): Promise<string[]> {
  const [, applied] = await knex.migrate.latest({
    migrationSource: folderSource(migrationsDir(name)),
    tableName: 'knex_migrations',
    disableMigrationsListValidation: true,
  });
  return applied as string[];
}
