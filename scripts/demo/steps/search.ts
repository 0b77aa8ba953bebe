/**
 * Search and events. The events/jobs process (outbox relay → BullMQ, periodic
 * jobs worker) and the search service (FULLTEXT index in the demo's search
 * database, indexer consuming product events) start with the other services
 * in step 3, and the search index is built then: through the product
 * service's Thrift API when it serves the full reindex, otherwise from the
 * product tables while they are still complete in the monolith. Step 6 walks
 * the search route shadow → canary → service and measures product change →
 * searchable through the facade.
 */
import { need, StepUnavailable, type DemoContext, type Step } from '../context.ts';
import { cutoverRoutes } from './cutover.ts';
import { ensureServices } from './services.ts';

type StartJobs = typeof import('../../../services/jobs/index.ts').startJobs;
type StartSearch = typeof import('../../../services/search/index.ts').startSearchService;
type Jobs = Awaited<ReturnType<StartJobs>>;

export function queuePrefix(ctx: DemoContext): string {
  return ctx.env.queuePrefix;
}

/**
 * The events/jobs process, started once. Nothing in its configuration moves at a cutover: it relays the product
 * outbox of the legacy database and of the product database (whichever has rows), and the periodic jobs reach
 * likes, products and shops through the services' Thrift APIs, so splits and rollbacks need no restart.
 */
export async function ensureJobs(ctx: DemoContext): Promise<Jobs> {
  const current = ctx.shared.jobs as { jobs: Jobs } | undefined;
  if (current) return current.jobs;
  const startJobs = await need<StartJobs>('services/jobs/index.ts', 'startJobs', 'the events/jobs process is missing');
  const { jobsConfigSchema } = await import('../../../services/jobs/config.ts');
  const p = ctx.env.ports;
  const config = jobsConfigSchema.parse({
    MYSQL_URL: ctx.env.legacyDsn, PRODUCT_DB_URL: ctx.env.serviceDsns.product, REDIS_URL: ctx.env.redisUrl, QUEUE_PREFIX: queuePrefix(ctx), JOBS_PEERS: 'thrift',
    PRODUCT_THRIFT: `127.0.0.1:${p.productThrift}`, SHOP_THRIFT: `127.0.0.1:${p.shopThrift}`, USER_THRIFT: `127.0.0.1:${p.userThrift}`, SCHEDULES_ENABLED: 'true', LOG_LEVEL: 'warn',
  });
  const jobs = await startJobs(config, { logger: ctx.stack.logger.child({ component: 'jobs' }), registry: await ctx.stack.registry() });
  ctx.stack.add({ name: 'jobs process', close: () => jobs.close() });
  ctx.shared.jobs = { jobs };
  return jobs;
}

/** Starts the search service and builds its index (see the module comment). Records why if it cannot. */
export async function ensureSearch(ctx: DemoContext): Promise<{ url: string } | undefined> {
  if (ctx.shared.search) return ctx.shared.search as { url: string };
  const startSearch = await need<StartSearch>('services/search/index.ts', 'startSearchService', 'the search service is missing');
  const { searchConfigSchema } = await import('../../../services/search/config.ts');
  const p = ctx.env.ports;
  await ensureJobs(ctx);
  const svc = await startSearch(searchConfigSchema.parse({
    HOST: '127.0.0.1', SEARCH_HTTP_PORT: String(p.searchHttp), SEARCH_THRIFT_PORT: String(p.searchThrift), SEARCH_DB_URL: ctx.env.serviceDsns.search,
    MYSQL_URL: ctx.env.legacyDsn, REDIS_URL: ctx.env.redisUrl, QUEUE_PREFIX: queuePrefix(ctx), PRODUCT_SOURCE: 'thrift',
    PRODUCT_THRIFT: `127.0.0.1:${p.productThrift}`, USER_THRIFT: `127.0.0.1:${p.userThrift}`, LOG_LEVEL: 'warn',
  }), { logger: ctx.stack.logger.child({ component: 'search-service' }) });
  ctx.stack.add({ name: 'search service', close: () => svc.close() });
  ctx.say(`search service ${svc.httpUrl} (Thrift :${svc.thriftPort}), backend ${svc.backend.kind}, indexer ${svc.indexer ? 'on' : 'off'}; events/jobs process relaying product events (queue prefix ${queuePrefix(ctx)})`);

  const { runReindex } = await import('../../../services/search/reindex.ts');
  const { ReindexRunStore } = await import('../../../services/search/repository.ts');
  const { ThriftProductSource } = await import('../../../services/search/thrift-source.ts');
  const { KnexProductSource } = await import('../../../services/search/source.ts');
  const { createServiceClients, closeServiceClients } = await import('../../../rpc/index.ts');
  const { createKnex } = await import('../../../lib/db.ts');
  const clients = createServiceClients({ product: { host: '127.0.0.1', port: p.productThrift } });
  const searchKnex = createKnex(ctx.env.serviceDsns.search, { pool: { min: 0, max: 2 } });
  const productsInLegacy = !ctx.shared['cutover:product'];
  const productKnex = createKnex(ctx.env.legacyDsn, { pool: { min: 0, max: 2 } });
  try {
    const t0 = performance.now();
    let via = "the product service's Thrift batch API";
    let r;
    try {
      r = await runReindex({ backend: svc.backend, source: new ThriftProductSource(clients.product as never), runs: new ReindexRunStore(searchKnex) });
    } catch (err) {
      const why = (err as Error).message.split('\n')[0];
      ctx.say(`full reindex through the product service's Thrift API refused: ${why}`);
      if (!productsInLegacy) throw new StepUnavailable(`the full reindex reads products through the product service's Thrift API, which refused it ("${why}"); after the product split there is no other complete source`);
      ctx.evidence.notes.push(`search: full reindex over the product service's Thrift API was refused ("${why}"); the demo built the index from the product tables while they were still in the monolith, events keep it current`);
      via = 'the product tables, still complete in the monolith (the Thrift source was refused)';
      r = await runReindex({ backend: svc.backend, source: new KnexProductSource(productKnex), runs: new ReindexRunStore(searchKnex), restart: true });
    }
    ctx.say(`search index built from ${via}: ${r.processed} documents in ${r.batches} batches, ${((performance.now() - t0) / 1000).toFixed(1)} s; index holds ${await svc.backend.count()} documents`);
  } finally {
    await closeServiceClients(clients as never);
    await searchKnex.destroy();
    await productKnex.destroy();
  }
  ctx.shared.search = { url: svc.httpUrl };
  return ctx.shared.search as { url: string };
}

async function facadeCall(ctx: DemoContext, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(ctx.stack.facade!.url + path, {
    method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

/**
 * Times product change → searchable through the facade: a merchant (the product service's edge serves merchant
 * product writes) creates a product with a unique word, then searches until it is found.
 */
async function freshnessProbe(ctx: DemoContext, n: number): Promise<number[]> {
  const { DEMO_MERCHANT, merchantEmail } = await import('../../seed/demo.ts');
  const shopId = ctx.traffic.world!.shopIds[ctx.traffic.world!.shopIds.length - 1];
  const login = await facadeCall(ctx, 'POST', '/merchant/sessions', undefined, { email: merchantEmail(shopId), password: DEMO_MERCHANT.password });
  const token = (login.body as { token?: string } | undefined)?.token;
  if (!token) throw new Error(`probe: merchant sign-in answered ${login.status}`);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const word = `probe${ctx.env.runId}x${i}`;
    const t0 = performance.now();
    const up = await facadeCall(ctx, 'POST', '/merchant/products', token, { externalId: `probe-${ctx.env.runId}-${i}`, name: `검색 프로브 ${word}`, price: '10000.00' });
    if (up.status !== 201) throw new Error(`probe: product create answered ${up.status}`);
    for (;;) {
      const r = await facadeCall(ctx, 'GET', `/api/search?q=${word}`);
      const total = (r.body as { page?: { total?: number } } | undefined)?.page?.total ?? 0;
      if (r.status === 200 && total > 0) break;
      if (performance.now() - t0 > 20_000) throw new Error(`probe: product "${word}" not searchable after 20 s`);
      await new Promise((res) => setTimeout(res, 25));
    }
    out.push(performance.now() - t0);
  }
  return out;
}

export const searchStep: Step = {
  id: '6',
  title: 'search moved to the search service, fed by product events (outbox → BullMQ → indexer)',
  needs: ['3'],
  async run(ctx) {
    await ensureServices(ctx);
    await ensureSearch(ctx);
    await cutoverRoutes(ctx, 'search', '6 search');
    const jobs = await ensureJobs(ctx);
    const lat = (await freshnessProbe(ctx, 3)).sort((a, b) => a - b);
    ctx.say(`product created through the facade → searchable through the facade: ${lat.map((x) => `${Math.round(x)} ms`).join(', ')} (outbox → relay → BullMQ → indexer; relays published ${jobs.relay?.published ?? 0} events since the start: ${Object.entries(jobs.relay?.status() ?? {}).map(([db, st]) => `${db} database ${st.published}${st.relaying ? '' : ' (no outbox yet)'}`).join(', ')})`);
    return { status: 'done' };
  },
};
