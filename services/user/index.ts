import { parseConfig } from '../../lib/config.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import type { OwnershipRegistry } from '../../lib/ownership/index.ts';
import type { Knex } from '../../lib/db.ts';
import UserServiceModule from '../../thrift/gen-nodejs/UserService.js';
import { closeServiceClients, createServiceClients } from '../common/thrift/index.ts';
import type { ServiceConfig } from '../kit/config.ts';
import { listenHttp, listenThrift, runUntilSignal, setupDb, type RunningService } from '../kit/bootstrap.ts';
import { LegacyActivityLog } from '../kit/legacy-owned.ts';
import { catalogOver, shopDirectoryOver, type ProductApi, type ShopApi } from '../kit/thrift-ports.ts';
import { userConfigSchema } from './config.ts';
import { createUserHandler } from './handler.ts';
import { createUserEdge } from './http.ts';
import { UserRepository } from './repository.ts';
import { UserService } from './service.ts';

export { userConfigSchema } from './config.ts';

export interface StartOptions {
  logger?: Logger;
  registry?: OwnershipRegistry;
  legacyKnex?: Knex;
  peers?: { product?: ProductApi; shop?: ShopApi };
}

/** Starts the user service: HTTP edge + Thrift server (verifySession for every other edge). */
export async function startUserService(config: ServiceConfig, opts: StartOptions = {}): Promise<RunningService & { handler: ReturnType<typeof createUserHandler> }> {
  const logger = opts.logger ?? createLogger('user-service', { level: config.logLevel });
  const db = await setupDb(config, logger, opts);
  const endpoints: Record<string, object> = {};
  if (!opts.peers?.product) endpoints.product = config.peers.product!;
  if (!opts.peers?.shop) endpoints.shop = config.peers.shop!;
  const clients = createServiceClients(endpoints as never, { timeoutMs: config.callTimeoutMs }) as { product?: ProductApi; shop?: ShopApi };
  const service = new UserService({
    repo: new UserRepository(db.live), catalog: catalogOver(opts.peers?.product ?? clients.product!),
    shops: shopDirectoryOver(opts.peers?.shop ?? clients.shop!), activity: new LegacyActivityLog(db.legacyKnex), logger,
  });
  const handler = createUserHandler({ service });
  const dbCheck = async () => { await db.live.current().raw('SELECT 1'); };
  let thrift: Awaited<ReturnType<typeof listenThrift>> | undefined;
  let http: Awaited<ReturnType<typeof listenHttp>> | undefined;
  try {
    thrift = await listenThrift('user', UserServiceModule, handler, config.thriftPort, config.host, logger, { db: dbCheck });
    const edge = createUserEdge({ service, logger, health: async () => ({ db: await dbCheck().then(() => 'ok', () => 'down') }) });
    http = await listenHttp(edge, config.httpPort, config.host);
  } catch (err) {
    // a port in use (or similar) must not leave pools, clients or a half-started server behind
    await thrift?.close();
    await closeServiceClients(clients as never);
    await db.close();
    throw err;
  }
  logger.info({ http: http!.port, thrift: thrift!.port }, 'user service listening');
  let closing: Promise<void> | undefined;
  return {
    name: 'user-service', httpPort: http.port, thriftPort: thrift.port, httpUrl: `http://127.0.0.1:${http.port}`, handler,
    close() {
      closing ??= (async () => {
        await http.close();
        await thrift.close();
        await closeServiceClients(clients as never);
        await db.close();
      })();
      return closing;
    },
  };
}

if (import.meta.main) {
  await runUntilSignal(() => startUserService(parseConfig(userConfigSchema, process.env)));
}
