/**
 * The running pieces of one demo, started in this process on the demo's
 * ports and databases: legacy APIs, the facade, the services. Every start
 * registers its close; closeAll stops them in reverse order.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createKnex, dropDatabase, type Knex } from '../../lib/db.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import type { DemoEnv } from './env.ts';
import type { RouteDoc } from './routes.ts';
import type { OwnershipRegistry } from '../../lib/ownership/index.ts';
import { FacadeAdmin } from './facade-admin.ts';
import { completeRouteTable, demoRouteTable } from './routes.ts';

export interface Closable {
  name: string;
  close(): Promise<void>;
}

export class DemoStack {
  readonly env: DemoEnv;
  readonly logger: Logger;
  readonly logFile: string;
  private readonly logStream: ReturnType<typeof createWriteStream>;
  private readonly closers: Closable[] = [];
  legacyKnex: Knex | undefined;
  facade: { url: string; adminUrl: string; admin: FacadeAdmin; routes: RouteDoc } | undefined;

  constructor(env: DemoEnv, opts: { logLevel?: string } = {}) {
    this.env = env;
    this.logFile = join(env.dir, 'demo.log');
    this.logStream = createWriteStream(this.logFile, { flags: 'a' });
    this.logger = createLogger('demo', { level: opts.logLevel ?? 'warn', destination: this.logStream });
  }

  add(c: Closable): void {
    this.closers.push(c);
  }

  get legacyUrls() {
    const p = this.env.ports;
    return { api: `http://127.0.0.1:${p.userApi}`, admin: `http://127.0.0.1:${p.adminApi}`, merchant: `http://127.0.0.1:${p.merchantApi}` };
  }

  /** A knex on the demo's legacy database (evidence queries). */
  legacy(): Knex {
    if (!this.legacyKnex) {
      const k = createKnex(this.env.legacyDsn, { pool: { min: 0, max: 3 } });
      this.legacyKnex = k;
      this.add({ name: 'legacy knex', close: () => k.destroy() });
    }
    return this.legacyKnex;
  }

  private registryP: Promise<OwnershipRegistry> | undefined;

  /**
   * The ownership registry every process of the demo shares: the MySQL table in the demo's legacy
   * database, changes announced on the demo's own Redis channel (never the stack's default channel).
   */
  registry(): Promise<OwnershipRegistry> {
    this.registryP ??= (async () => {
      const { createMysqlOwnershipRegistry } = await import('../../lib/ownership/index.ts');
      const r = await createMysqlOwnershipRegistry({
        knex: this.legacy(), redisUrl: this.env.redisUrl, channel: this.env.ownershipChannel, pollMs: 500, logger: this.logger.child({ component: 'ownership' }),
      });
      this.add({ name: 'ownership registry', close: () => r.close() });
      return r;
    })();
    return this.registryP;
  }

  /** Seam settings for the legacy APIs: the registry decides, the services' Thrift ports of this demo. */
  seamConfig() {
    const p = this.env.ports;
    const at = (port: number) => ({ host: '127.0.0.1', port });
    return { mode: 'registry' as const, endpoints: { product: at(p.productThrift), shop: at(p.shopThrift), user: at(p.userThrift) }, redisUrl: this.env.redisUrl, callTimeoutMs: 2000 };
  }

  /** Starts the three legacy APIs; with `seam`, legacy reaches products, shops and users through the registry's owner. */
  async startLegacyApis(opts: { seam: boolean }): Promise<void> {
    const [{ startUserApi }, { startAdminApi }, { startMerchantApi }] = await Promise.all([
      import('../../legacy/user-api/index.ts'), import('../../legacy/admin-api/index.ts'), import('../../legacy/merchant-api/index.ts'),
    ]);
    const p = this.env.ports;
    const cfg = (port: number) => ({ port, host: '127.0.0.1', mysqlUrl: this.env.legacyDsn, logLevel: 'warn' });
    const seam = opts.seam ? { seam: this.seamConfig(), registry: await this.registry() } : {};
    const log = (n: string) => ({ logger: this.logger.child({ component: n }), ...seam });
    this.add(await startUserApi(cfg(p.userApi), log('legacy-user-api')));
    this.add(await startAdminApi(cfg(p.adminApi), log('legacy-admin-api')));
    this.add(await startMerchantApi(cfg(p.merchantApi), log('legacy-merchant-api')));
  }

  /**
   * Starts the facade with the project's route table (demo ports, all legacy), completed with
   * `served` (routes the services serve that the table lacks — listed in `changes`).
   */
  async startFacade(served: { routes: Record<string, string>; serviceOf: (id: string) => string } | undefined): Promise<NonNullable<DemoStack['facade']> & { changes: { added: string[]; replaced: string[] } }> {
    const { startFacade } = await import('../../strangler/index.ts');
    const { DEFAULT_BODY_LIMIT, DEFAULT_CAPTURE_LIMIT } = await import('../../strangler/facade.ts');
    const { ROUTES_TEMPLATE_FILE } = await import('../../strangler/config.ts');
    let routes = demoRouteTable(JSON.parse(readFileSync(ROUTES_TEMPLATE_FILE, 'utf8')), this.env.ports);
    let changes = { added: [] as string[], replaced: [] as string[] };
    if (served) {
      const c = completeRouteTable(routes, served.routes, served.serviceOf);
      routes = c.doc;
      changes = { added: c.added, replaced: c.replaced };
    }
    const routesFile = join(this.env.dir, 'routes.json');
    await writeFile(routesFile, JSON.stringify(routes, null, 2));
    const token = randomBytes(18).toString('base64url');
    const h = await startFacade({
      host: '127.0.0.1', port: this.env.ports.facade, adminHost: '127.0.0.1', adminPort: this.env.ports.facadeAdmin, adminToken: token,
      source: { kind: 'file', path: routesFile }, auditFile: join(this.env.dir, 'audit.jsonl'),
      bodyLimit: DEFAULT_BODY_LIMIT, captureLimit: DEFAULT_CAPTURE_LIMIT, shutdownGraceMs: 2000,
    }, { logger: this.logger.child({ component: 'facade' }) });
    this.add({ name: 'facade', close: () => h.close() });
    this.facade = { url: h.url, adminUrl: h.adminUrl, admin: new FacadeAdmin(h.adminUrl, token), routes };
    return { ...this.facade, changes };
  }

  /** The log as written so far (every pending write flushed first): the verdict reads its error lines. */
  async readLog(): Promise<string> {
    await new Promise<void>((resolve) => this.logStream.write('', () => resolve()));
    return readFileSync(this.logFile, 'utf8');
  }

  async closeAll(): Promise<void> {
    while (this.closers.length) {
      const c = this.closers.pop()!;
      try {
        await c.close();
      } catch (err) {
        this.logger.warn({ err, piece: c.name }, 'close failed');
      }
    }
  }

  /** Deletes the run's Redis keys (BullMQ queues under the queue prefix, anything under the Redis prefix). */
  async cleanupRedis(): Promise<number> {
    const { Redis } = await import('ioredis');
    const r = new Redis(this.env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    let n = 0;
    try {
      await r.connect();
      for (const pattern of [`${this.env.queuePrefix}:*`, `${this.env.redisPrefix}*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
          cursor = next;
          if (keys.length) n += await r.del(...keys);
        } while (cursor !== '0');
      }
    } finally {
      r.disconnect();
    }
    return n;
  }

  /** Drops every database of this run (legacy and service databases). */
  async dropDatabases(): Promise<void> {
    for (const dsn of [this.env.legacyDsn, ...Object.values(this.env.serviceDsns)]) await dropDatabase(dsn).catch(() => undefined);
  }
}
