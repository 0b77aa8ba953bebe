import { randomBytes } from 'node:crypto';
import { createKnex, dropDatabase, ensureDatabase, withDatabase, type Knex } from '../../lib/db.ts';
import { migrateLatest } from '../../lib/migrate.ts';

/** Server DSN for tests (no database part). Override with TEST_MYSQL_URL. */
export function testServerDsn(): string {
  return process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
}

export function uniqueName(prefix: string): string {
  return `t_${prefix.replace(/[^a-z0-9_]/gi, '_').slice(0, 20)}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export interface TestDatabase {
  name: string;
  dsn: string;
  knex: Knex;
  drop(): Promise<void>;
}

/**
 * Creates a fresh, uniquely named database on the real MariaDB, applies the
 * named migration folders (migrations/<folder>) and returns a knex handle.
 * Call drop() in after().
 */
/** `serverDsn`: another server (e.g. the second MariaDB of test/helpers/mariadb-server.ts); default the test server. */
export async function createTestDatabase(prefix: string, migrations: string[] = ['legacy'], profile: 'app' | 'move' = 'app', serverDsn = testServerDsn()): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const dsn = withDatabase(serverDsn, name);
  await ensureDatabase(dsn);
  const knex = createKnex(dsn, { profile });
  for (const m of migrations) await migrateLatest(knex, m);
  return {
    name,
    dsn,
    knex,
    async drop() {
      await knex.destroy();
      await dropDatabase(dsn);
    },
  };
}
