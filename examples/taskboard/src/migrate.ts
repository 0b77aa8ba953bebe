/**
 * Applies the migrations to DATABASE_URL (creating the database if missing).
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/taskboard npx node examples/taskboard/src/migrate.ts [--rollback]
 * Exit codes: 0 done, 1 failed, 2 bad configuration.
 */
import { connect, redactUrl } from './db/connection.ts';
import { createDatabase, migrateLatest, rollbackAll } from './db/migrations.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('taskboard migrate: DATABASE_URL is required (mysql://user:pass@host:port/database)');
  process.exit(2);
}
const rollback = process.argv.includes('--rollback');
try {
  if (!rollback) await createDatabase(url);
  const knex = connect(url, { max: 1 });
  try {
    const names = rollback ? await rollbackAll(knex) : await migrateLatest(knex);
    console.log(`taskboard migrate: ${rollback ? 'rolled back' : 'applied'} ${names.length} migration(s) on ${redactUrl(url)}${names.length ? ': ' + names.join(', ') : ''}`);
  } finally {
    await knex.destroy();
  }
} catch (err) {
  console.error(`taskboard migrate: failed on ${redactUrl(url)}: ${(err as Error).message}`);
  process.exit(1);
}
