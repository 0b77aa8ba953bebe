import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createKnex, type Knex } from '../../lib/db.ts';
import type { Logger } from '../../lib/logger.ts';
import { maskDsn } from '../../lib/mask.ts';
import { createMysqlOwnershipRegistry, type Domain, type OwnershipRegistry } from '../../lib/ownership/index.ts';
import { createThriftServer, type ServiceModule, type ThriftServer } from '../../rpc/index.ts';
import type { ServiceConfig } from './config.ts';
import { createLiveDb, type LiveDb } from './live-db.ts';

/** Pieces every service bootstrap needs: the live DB (per ownership), HTTP edge, Thrift server, ordered shutdown. */
export interface DbSetup {
  legacyKnex: Knex;
  live: LiveDb;
  registry: OwnershipRegistry | undefined;
  close(): Promise<void>;
}

export async function setupDb(config: ServiceConfig, logger: Logger, opts: { registry?: OwnershipRegistry; legacyKnex?: Knex } = {}): Promise<DbSetup> {
  const ownLegacy = !opts.legacyKnex;
  const legacyKnex = opts.legacyKnex ?? createKnex(config.mysqlUrl);
  let registry = opts.registry;
  let ownRegistry = false;
  if (config.dbMode === 'registry' && !registry) {
    registry = await createMysqlOwnershipRegistry({ knex: legacyKnex, redisUrl: config.redisUrl, logger: logger.child({ component: 'ownership' }) });
    ownRegistry = true;
  }
  const domain = config.service as Domain;
  const which = config.dbMode === 'registry' ? () => registry!.get(domain).database : () => config.dbMode as 'legacy' | 'own';
  const live = createLiveDb({ legacyDsn: config.mysqlUrl, ownDsn: config.ownDbUrl, which, handles: { legacy: legacyKnex } });
  registry?.onChange((next, prev) => {
    if (next.domain === domain && next.database !== prev?.database) logger.warn({ from: prev?.database, to: next.database }, `${domain} tables now served from the ${next.database} database`);
  });
  logger.info({ mode: config.dbMode, side: live.side(), legacy: maskDsn(config.mysqlUrl), own: maskDsn(config.ownDbUrl) }, 'database');
  return {
    legacyKnex, live, registry,
    async close() {
      if (ownRegistry) await registry!.close();
      await live.close();
      if (ownLegacy) await legacyKnex.destroy();
    },
  };
}

export async function listenHttp(app: Express, port: number, host: string): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), 5000);
      await closed;
      clearTimeout(timer);
    },
  };
}

export async function listenThrift(service: string, module: ServiceModule, handler: object, port: number, host: string, logger: Logger, healthChecks?: Record<string, () => Promise<unknown>>): Promise<ThriftServer> {
  return createThriftServer({ service, module, handler, port, host, logger, healthChecks });
}

export interface RunningService {
  name: string;
  httpPort: number;
  thriftPort: number;
  httpUrl: string;
  /** Stops accepting, drains HTTP and Thrift, closes clients and pools. Idempotent. */
  close(): Promise<void>;
}

/** Entry-point helper: start, stop gracefully on SIGTERM/SIGINT; a start failure is one line and exit 1. */
export async function runUntilSignal(start: () => Promise<RunningService>): Promise<void> {
  let svc: RunningService;
  try {
    svc = await start();
  } catch (err) {
    process.stderr.write(`failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const stop = (signal: string) => {
    process.stderr.write(`${svc.name}: ${signal}, shutting down\n`);
    svc.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

export interface ServeOptions {
  /** `product`, `shop`, …: the Thrift service name and the `<name>-service` process name. */
  service: string;
  module: ServiceModule;
  handler: object;
  config: Pick<ServiceConfig, 'host' | 'httpPort' | 'thriftPort'>;
  logger: Logger;
  /** Checks behind the Thrift health method and the edge's /health. */
  healthChecks: Record<string, () => Promise<unknown>>;
  /** Builds the HTTP edge once the Thrift server listens. */
  edge: () => Express;
  /** Releases what the service opened before serving (peer clients, database pools). */
  release: () => Promise<void>;
}

/**
 * Serves a service: Thrift first, then the HTTP edge. If either cannot
 * listen (a port in use, say) nothing is left behind — the started server is
 * closed and `release` runs. The handle closes HTTP, Thrift, then `release`,
 * once however often it is called.
 */
export async function serveService(o: ServeOptions): Promise<RunningService> {
  let thrift: ThriftServer | undefined;
  let http: Awaited<ReturnType<typeof listenHttp>>;
  try {
    thrift = await listenThrift(o.service, o.module, o.handler, o.config.thriftPort, o.config.host, o.logger, o.healthChecks);
    http = await listenHttp(o.edge(), o.config.httpPort, o.config.host);
  } catch (err) {
    await thrift?.close();
    await o.release();
    throw err;
  }
  const started = thrift;
  o.logger.info({ http: http.port, thrift: started.port }, `${o.service} service listening`);
  let closing: Promise<void> | undefined;
  return {
    name: `${o.service}-service`, httpPort: http.port, thriftPort: started.port, httpUrl: `http://127.0.0.1:${http.port}`,
    close() {
      closing ??= (async () => {
        await http.close();
        await started.close();
        await o.release();
      })();
      return closing;
    },
  };
}

/** `/health` and Thrift health entries from one check: 'ok' or 'down'. */
export function healthOf(checks: Record<string, () => Promise<unknown>>): () => Promise<Record<string, string>> {
  return async () => Object.fromEntries(await Promise.all(Object.entries(checks).map(async ([k, c]) => [k, await c().then(() => 'ok', () => 'down')])));
}
