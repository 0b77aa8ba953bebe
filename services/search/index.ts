/**
 * Search service bootstrap: backend (SEARCH_BACKEND: embedded by default,
 * MySQL FULLTEXT, or Elasticsearch), HTTP edge (GET /api/search),
 * Thrift server (SearchService), the indexer worker on the product events
 * queue and the full-reindex job worker. `node services/search/index.ts` runs it until SIGTERM/SIGINT.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Gauge, Registry } from 'prom-client';
import { parseConfig } from '../../lib/config.ts';
import { createKnex, ensureDatabase, type Knex } from '../../lib/db.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import { migrateLatest } from '../../lib/migrate.ts';
import { createRedis } from '../../lib/events/queues.ts';
import SearchService from '../../thrift/gen-nodejs/SearchService.js';
import { closeServiceClients, createServiceClients } from '../../rpc/index.ts';
import { listenHttp, listenThrift, runUntilSignal, type RunningService } from '../common/bootstrap.ts';
import { parseHostPort } from '../common/config.ts';
import { sessionVerifierOver, type UserApi } from '../../rpc/thrift-ports.ts';
import { openBackend } from './backend-factory.ts';
import { EmbeddedBackend } from './backends/embedded.ts';
import type { SearchBackend } from './backends/types.ts';
import { searchConfigSchema, type SearchConfig } from './config.ts';
import { createSearchHandler } from './handler.ts';
import { createSearchEdge, type SearchLog } from './http.ts';
import { SearchIndexer } from './indexer.ts';
import { enqueueReindex, ReindexWorker, SEARCH_MAINTENANCE_QUEUE } from './reindex-worker.ts';
import { ReindexRunStore } from './repository.ts';
import { KnexProductSource, type ProductSource } from './source.ts';
import { ThriftProductSource, type ProductApi } from './thrift-source.ts';

export { searchConfigSchema } from './config.ts';

/** The legacy-owned event log gets one `search` row per search, as the legacy user API wrote it. */
export class LegacySearchLog implements SearchLog {
  readonly #knex: Knex;
  constructor(knex: Knex) {
    this.#knex = knex;
  }
  async write(e: Parameters<SearchLog['write']>[0]): Promise<void> {
    await this.#knex('logs').insert({ type: 'search', user_id: e.userId, query: e.query.slice(0, 255), meta: JSON.stringify({ total: e.total, page: e.page }) });
  }
}

export interface StartSearchOptions {
  logger?: Logger;
  /** In-process peers instead of Thrift clients (tests, single-process runs). */
  peers?: { product?: ProductApi; user?: UserApi };
  /** Overrides PRODUCT_SOURCE (tests). */
  source?: ProductSource;
}

export interface RunningSearchService extends RunningService {
  backend: SearchBackend;
  indexer: SearchIndexer | null;
}

/** The search database always exists (reindex checkpoints); it holds the index only with SEARCH_BACKEND=mysql. */
async function createBackend(config: SearchConfig, logger: Logger): Promise<{ backend: SearchBackend; knex: Knex }> {
  if (config.SEARCH_DB_MIGRATE) await ensureDatabase(config.SEARCH_DB_URL);
  const knex = createKnex(config.SEARCH_DB_URL);
  if (config.SEARCH_DB_MIGRATE) await migrateLatest(knex, 'search');
  try {
    return { backend: await openBackend(config, knex, logger), knex };
  } catch (err) {
    await knex.destroy();
    throw err;
  }
}

export async function startSearchService(config: SearchConfig, opts: StartSearchOptions = {}): Promise<RunningSearchService> {
  const logger = opts.logger ?? createLogger('search-service', { level: config.LOG_LEVEL });
  const { backend, knex: searchKnex } = await createBackend(config, logger);
  const legacyKnex = createKnex(config.MYSQL_URL, { pool: { min: 0, max: 4 } });
  const wantProductClient = !opts.peers?.product && !opts.source && config.PRODUCT_SOURCE === 'thrift';
  const clients = createServiceClients({
    ...(wantProductClient ? { product: parseHostPort(config.PRODUCT_THRIFT) } : {}),
    ...(opts.peers?.user ? {} : { user: parseHostPort(config.USER_THRIFT) }),
  } as never, { timeoutMs: config.CALL_TIMEOUT_MS }) as { product?: ProductApi; user?: UserApi };
  const productApi = opts.peers?.product ?? clients.product;
  const source: ProductSource = opts.source ?? (config.PRODUCT_SOURCE === 'db' || !productApi ? new KnexProductSource(legacyKnex) : new ThriftProductSource(productApi));
  const registry = new Registry();
  if (backend instanceof EmbeddedBackend) {
    // how the embedded index started: a refused snapshot (damaged, foreign) means a full load, logged at warn too
    const load = backend.lastLoad;
    new Gauge({ name: 'search_index_load_seconds', help: 'Time the embedded index took to load at start', registers: [registry] }).set(load.ms / 1000);
    new Gauge({ name: 'search_index_snapshot_refused', help: '1 when the last start could not use the embedded index snapshot', registers: [registry] })
      .set(load.snapshotError ? 1 : 0);
  }

  let redis: Redis | null = null;
  let indexer: SearchIndexer | null = null;
  let reindexer: ReindexWorker | null = null;
  if (config.INDEXER_ENABLED) {
    redis = createRedis(config.REDIS_URL, 'worker');
    redis.on('error', () => {}); // reconnects; the worker logs
    indexer = new SearchIndexer({
      connection: redis, prefix: config.QUEUE_PREFIX, backend, source, concurrency: config.INDEXER_CONCURRENCY,
      logger: logger.child({ component: 'indexer' }), registry,
    });
    // full reindex jobs (queue search-maintenance; `node services/search/cli.ts reindex --queue` enqueues one)
    reindexer = new ReindexWorker({ connection: redis, prefix: config.QUEUE_PREFIX, backend, source, runs: new ReindexRunStore(searchKnex), logger: logger.child({ component: 'reindex' }) });
  }

  const handler = createSearchHandler({ backend, source });
  const thrift = await listenThrift('search', SearchService, handler, config.SEARCH_THRIFT_PORT, config.HOST, logger, { backend: () => backend.ping() });
  const edge = createSearchEdge({
    backend, sessions: sessionVerifierOver(opts.peers?.user ?? clients.user!), searchLog: new LegacySearchLog(legacyKnex), logger, registry,
  });
  const http = await listenHttp(edge, config.SEARCH_HTTP_PORT, config.HOST);
  logger.info({ http: http.port, thrift: thrift.port, indexer: !!indexer }, 'search service listening');
  if (reindexer && redis && config.REINDEX_WHEN_EMPTY && (await backend.count()) === 0) {
    // one job id for every instance: several services starting on an empty index queue one rebuild
    const queue = new Queue(SEARCH_MAINTENANCE_QUEUE, { connection: redis, prefix: config.QUEUE_PREFIX });
    try {
      const job = await enqueueReindex(queue, {}, { jobId: 'reindex-when-empty' });
      logger.info({ job: job.id }, 'index is empty: full reindex queued');
    } finally {
      await queue.close();
    }
  }

  let closing: Promise<void> | undefined;
  return {
    name: 'search-service', httpPort: http.port, thriftPort: thrift.port, httpUrl: `http://127.0.0.1:${http.port}`, backend, indexer,
    close() {
      closing ??= (async () => {
        await http.close();
        await thrift.close();
        // jobs in flight finish; the rest stay queued for the next start; a reindex stops after its batch and resumes later
        await indexer?.close();
        await reindexer?.close();
        redis?.disconnect();
        await closeServiceClients(clients as never);
        await backend.close();
        await searchKnex.destroy();
        await legacyKnex.destroy();
      })();
      return closing;
    },
  };
}

if (import.meta.main) {
  await runUntilSignal(() => startSearchService(parseConfig(searchConfigSchema, process.env)));
}
