/**
 * Starts Taskboard.
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/taskboard npx node examples/taskboard/src/server.ts
 * Env: PORT (3000; 0 = any free port), HOST (127.0.0.1), JWT_SECRET, TOKEN_TTL_SECONDS, SCRYPT_COST, DB_POOL_MAX,
 * MIGRATE=1 to apply migrations first. Prints `taskboard listening on http://host:port` once it accepts requests.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.ts';
import { DEV_JWT_SECRET, loadConfig, type Config } from './config.ts';
import { connect, redactUrl } from './db/connection.ts';
import { createRepos } from './db/index.ts';
import { migrateLatest } from './db/migrations.ts';

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startServer(config: Config, opts: { migrate?: boolean } = {}): Promise<RunningServer> {
  const knex = connect(config.databaseUrl, { max: config.dbPoolMax });
  if (opts.migrate) await migrateLatest(knex);
  const app = createApp(createRepos(knex), { jwtSecret: config.jwtSecret, tokenTtlSeconds: config.tokenTtlSeconds, scryptCost: config.scryptCost });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await knex.destroy();
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  if (config.jwtSecret === DEV_JWT_SECRET) console.error('taskboard: JWT_SECRET not set, using the development secret');
  const running = await startServer(config, { migrate: process.env.MIGRATE === '1' }).catch((err: Error) => {
    console.error(`taskboard: cannot start on ${redactUrl(config.databaseUrl)}: ${err.message}`);
    process.exit(1);
  });
  console.log(`taskboard listening on ${running.url}`);
  const stop = () => {
    running.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
