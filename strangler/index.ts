/**
 * Facade entry point. `node strangler/index.ts` parses the config once from
 * the environment and starts the proxy port and the admin port;
 * `startFacade(config)` does the same in-process (tests, demos).
 */
import { createServer, type Server } from 'node:http';
import { access, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { parse as parseYaml } from 'yaml';
import { createAdminApp } from './admin/api.ts';
import { FileAudit, RedisAudit, type AuditLog } from './audit.ts';
import { loadFacadeConfig, ROUTES_TEMPLATE_FILE, type FacadeConfig } from './config.ts';
import { RouteController } from './controller.ts';
import { ConnectionGuard, DEFAULT_CONNECTION_LIMITS, DEFAULT_MAX_CONNECTIONS, checkIntervalMs, clampToOpenFiles, readOpenFilesLimit, type ConnectionLimits } from './connections.ts';
import { fastServerEnabled, handBack, installFastServer, isFastRequest, type FastServerLeg } from './fastpath/server-leg.ts';
import { createRequestHandler } from './facade.ts';
import { createMetrics, type FacadeMetrics } from './metrics.ts';
import { FileSource } from './sources/file.ts';
import { LAST_APPLIED_FILE, lastAppliedPathFor } from './sources/last-applied.ts';
import { RedisSource } from './sources/redis.ts';
import type { RouteSource } from './sources/types.ts';
import { StatsStore } from './stats.ts';
import { diffTables } from './table/diff.ts';
import { validateTable } from './table/schema.ts';
import { createUpgradeHandler } from './upgrade.ts';
import { OwnershipWatch } from './ownership-watch.ts';
import { createDashboard, type Dashboard } from './dashboard/index.ts';
import { ConfigError } from '../lib/config.ts';
import { errorHandler, notFound, requestId } from '../lib/http.ts';
import { createLogger, silentLogger, type Logger } from '../lib/logger.ts';

export interface FacadeOptions {
  logger?: Logger;
  rand?: () => number;
  now?: () => number;
  /** Override the route source / audit log built from the config. */
  source?: RouteSource;
  audit?: AuditLog;
  defaultMetrics?: boolean;
}

export interface FacadeHandle {
  url: string;
  adminUrl: string;
  /** The control room: `<adminUrl>/dashboard/`. */
  dashboardUrl: string;
  dashboard: Dashboard;
  port: number;
  adminPort: number;
  server: Server;
  adminServer: Server;
  controller: RouteController;
  stats: StatsStore;
  /** The ownership registry view, when STRANGLER_OWNERSHIP_URL is set. */
  ownership?: OwnershipWatch;
  metrics: FacadeMetrics;
  /** The fast server leg, when STRANGLER_FAST_SERVER=1. */
  fastLeg?: FastServerLeg;
  close(): Promise<void>;
}

async function readDoc(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  return /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Creates the live route table from the seed (the adopter's STRANGLER_ROUTES, else the committed template) when it
 * does not exist yet. The seed is only read. A seed that later differs from the live table is reported (warn) with
 * the command that applies it, never applied behind the operators' back.
 */
async function seedRoutesFile(path: string, seed: string | undefined, logger: Logger): Promise<void> {
  if (!seed || resolve(path) === resolve(seed)) return;
  try {
    await access(path);
  } catch {
    await mkdir(dirname(path), { recursive: true });
    const text = /\.ya?ml$/i.test(seed) === /\.ya?ml$/i.test(path) ? await readFile(seed, 'utf8') : JSON.stringify(await readDoc(seed), null, 2) + '\n';
    const tmp = `${path}.${process.pid}.seed.tmp`;
    await writeFile(tmp, text, { flag: 'wx' });
    // link fails when another process created the live table meanwhile: theirs wins
    await link(tmp, path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    }).finally(() => unlink(tmp).catch(() => undefined));
    logger.info({ seed, live: path }, 'live route table created from the seed file');
    return;
  }
  try {
    const [seedDoc, liveDoc] = await Promise.all([readDoc(seed), readDoc(path)]);
    const a = validateTable(seedDoc);
    const b = validateTable(liveDoc);
    if (a.ok && b.ok && !diffTables(b.table, a.table).empty) {
      (seed === ROUTES_TEMPLATE_FILE ? logger.info.bind(logger) : logger.warn.bind(logger))({ seed, live: path }, `the seed route file differs from the live table; the live table serves. To apply the seed: strangler apply -f ${seed} --dry-run`);
    }
  } catch {
    // an unreadable seed or live table is reported by the source/controller
  }
}

/**
 * The connection limits in force: the configured ones over the defaults. An unset maxConnections is the default
 * lowered to leave half the open-files limit to upstream sockets and files (an explicit one is kept, with a warning).
 */
function connectionLimits(configured: Partial<ConnectionLimits> | undefined, logger: Logger): ConnectionLimits {
  const set = Object.fromEntries(Object.entries(configured ?? {}).filter(([, v]) => v !== undefined)) as Partial<ConnectionLimits>;
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...set };
  const openFiles = readOpenFilesLimit();
  const room = clampToOpenFiles(limits.maxConnections, openFiles);
  if (room !== null) {
    if (set.maxConnections === undefined) {
      limits.maxConnections = room;
      logger.info({ maxConnections: room, default: DEFAULT_MAX_CONNECTIONS, openFiles }, 'max connections lowered to fit the open-files limit');
    } else logger.warn({ maxConnections: limits.maxConnections, openFiles }, 'max connections leaves less than half the open-files limit for upstreams');
  }
  return limits;
}

export async function startFacade(config: FacadeConfig, opts: FacadeOptions = {}): Promise<FacadeHandle> {
  const logger = (opts.logger ?? silentLogger()).child({ component: 'facade' });
  const now = opts.now ?? Date.now;
  const rand = opts.rand ?? Math.random;
  const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics });
  const stats = new StatsStore(metrics);

  let source = opts.source;
  let audit = opts.audit;
  if (!source) {
    if (config.source.kind === 'redis') {
      const stateFile = config.stateDir !== undefined ? join(config.stateDir, LAST_APPLIED_FILE) : lastAppliedPathFor(config.auditFile);
      const rs = new RedisSource({ url: config.source.url, prefix: config.source.prefix, seed: await readDoc(config.source.seedFile), stateFile });
      source = rs;
      audit ??= new RedisAudit(rs.client, `${config.source.prefix}audit`);
    } else {
      await seedRoutesFile(config.source.path, config.source.template, logger);
      source = new FileSource(config.source.path);
    }
  }
  audit ??= new FileAudit(config.auditFile);

  const controller = new RouteController({ source, audit, stats, metrics, logger });
  await controller.start();

  // off unless STRANGLER_OWNERSHIP_URL is set; starts in the background and never holds the facade up (ownership-watch.ts)
  const ownership = config.ownership ? new OwnershipWatch({ ...config.ownership, logger }) : undefined;
  ownership?.start();

  const unmatchedApp = express();
  unmatchedApp.disable('x-powered-by');
  unmatchedApp.use(requestId());
  unmatchedApp.use(notFound());
  unmatchedApp.use(errorHandler(logger));

  const deps = {
    active: controller.active, stats, rand, now, logger,
    bodyLimit: config.bodyLimit, captureLimit: config.captureLimit,
    bufferTotalLimit: config.bufferTotalLimit, bodyIdleTimeoutMs: config.bodyIdleTimeoutMs,
    clientDrainTimeoutMs: config.clientDrainTimeoutMs, trustedProxies: config.trustedProxies, ownership,
    // a request of the fast server leg goes back to node:http, which gives it to the app (fastpath/server-leg.ts)
    unmatched: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      if (isFastRequest(req)) handBack(res);
      else (unmatchedApp as unknown as (q: typeof req, s: typeof res) => void)(req, res);
    },
  };
  const limits = connectionLimits(config.connections, logger);
  const guard = new ConnectionGuard(metrics, logger, limits);
  const handler = guard.wrap(createRequestHandler(deps));
  const server = createServer(guard.serverOptions(), handler);
  // before the guard's listener, so the guard still sees every connection once (fastpath/server-leg.ts)
  const fastLeg = fastServerEnabled() ? installFastServer(server, checkIntervalMs(limits)) : undefined;
  guard.attach(server);
  const upgraded = new Set<import('node:net').Socket>();
  server.on('upgrade', createUpgradeHandler({ ...deps, metrics, guard, limits }, upgraded));
  const dashboard = createDashboard({ controller, stats, metrics, ownership, token: config.adminToken, logger, splitStateDsns: config.splitStateDsns });
  const adminServer = createServer(createAdminApp({ controller, stats, metrics, ownership, dashboard, token: config.adminToken, logger, now, startedAt: now() }));

  let port: number;
  let adminPort: number;
  try {
    port = await listen(server, config.port, config.host);
    adminPort = await listen(adminServer, config.adminPort, config.adminHost);
  } catch (err) {
    server.close();
    await controller.close();
    await ownership?.close();
    await dashboard.close();
    throw err;
  }
  dashboard.start();
  const hostFor = (h: string) => (h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h);
  logger.info({ port, adminPort, source: controller.sourceStatus().detail }, 'facade listening');

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      guard.beginShutdown();
      const done = Promise.all([new Promise((r) => server.close(r)), new Promise((r) => adminServer.close(r))]);
      server.closeIdleConnections();
      adminServer.closeIdleConnections();
      for (const s of upgraded) s.destroy();
      const timer = setTimeout(() => {
        server.closeAllConnections();
        fastLeg?.closeAll();
        adminServer.closeAllConnections();
      }, config.shutdownGraceMs);
      await done;
      clearTimeout(timer);
      await controller.close();
      await ownership?.close();
      await dashboard.close();
    })();
    return closing;
  };

  return {
    url: `http://${hostFor(config.host)}:${port}`,
    adminUrl: `http://${hostFor(config.adminHost)}:${adminPort}`,
    dashboardUrl: `http://${hostFor(config.adminHost)}:${adminPort}/dashboard/`, dashboard,
    port, adminPort, server, adminServer, controller, stats, metrics, ownership, fastLeg, close,
  };
}

/** Starts the facade from the environment and stops it on SIGINT/SIGTERM (also the `strangler-facade` bin). */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: FacadeConfig;
  try {
    config = loadFacadeConfig(env);
  } catch (err) {
    console.error(`strangler: ${err instanceof ConfigError ? err.message : String(err)}`);
    process.exit(2);
  }
  const logger = createLogger('strangler');
  for (const w of config.warnings ?? []) logger.warn(w);
  const handle = await startFacade(config, { logger, defaultMetrics: true });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    handle.close().then(() => process.exit(0), (err) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`strangler: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
