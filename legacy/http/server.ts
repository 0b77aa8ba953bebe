import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Knex } from 'knex';
import { createKnex } from '../../lib/db.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import { maskDsn } from '../../lib/mask.ts';
import type { AppDeps } from './deps.ts';
import { startSeam, type SeamApis, type SeamConfig } from '../seam/index.ts';
import type { OwnershipRegistry } from '../../lib/ownership/index.ts';

export interface LegacyApiConfig {
  port: number;
  mysqlUrl: string;
  host?: string;
  logLevel?: string;
}

export interface RunningApi {
  name: string;
  port: number;
  url: string;
  server: Server;
  knex: Knex;
  /** Stops accepting, lets in-flight requests finish (bounded), then closes the pool. Idempotent. */
  close(): Promise<void>;
}

export const SHUTDOWN_GRACE_MS = 10_000;

export interface ApiStartOptions {
  logger?: Logger;
  knex?: Knex;
  clock?: AppDeps['clock'];
  /** Attach the anti-corruption seam (legacy/seam); `registry`/`seamApis` override what it builds (tests). */
  seam?: SeamConfig;
  registry?: OwnershipRegistry;
  seamApis?: SeamApis;
}

/** Starts one legacy API in this process: its own knex pool and logger unless given. */
export async function startApi(
  name: string,
  createApp: (deps: AppDeps) => Express,
  config: LegacyApiConfig,
  opts: ApiStartOptions = {},
): Promise<RunningApi> {
  const logger = opts.logger ?? createLogger(name, { level: config.logLevel });
  const ownKnex = !opts.knex;
  const knex = opts.knex ?? createKnex(config.mysqlUrl);
  // anti-corruption seam: products/shops/users through their owning service when the ownership registry says so
  const seam = opts.seam ? await startSeam(knex, opts.seam, logger, { registry: opts.registry, apis: opts.seamApis }) : undefined;
  const app = createApp({ knex, logger, clock: opts.clock });
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host ?? '0.0.0.0', () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, mysql: maskDsn(config.mysqlUrl) }, `${name} listening`);
  let closing: Promise<void> | undefined;
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    server,
    knex,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        await closed;
        clearTimeout(timer);
        await seam?.close();
        if (ownKnex) await knex.destroy();
        logger.info(`${name} stopped`);
      })();
      return closing;
    },
  };
}

/** Entry-point helper: start, then stop gracefully on SIGTERM/SIGINT; a start failure is one line and exit 1. */
export async function runUntilSignal(start: () => Promise<RunningApi>): Promise<void> {
  let api: RunningApi;
  try {
    api = await start();
  } catch (err) {
    process.stderr.write(`failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const stop = (signal: string) => {
    process.stderr.write(`${api.name}: ${signal}, shutting down\n`);
    api.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
