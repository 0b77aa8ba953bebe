/**
 * Step 6: search moves to the search service. The jobs process's outbox relay
 * turns product changes into BullMQ events; the search service's indexer
 * consumes them; a full reindex builds the index from the product service's
 * Thrift API; then the search route goes shadow → canary → service, and a
 * probe measures product-update-to-searchable through the facade.
 */
import { need, StepUnavailable, type DemoContext, type Step } from '../context.ts';
import { cutoverRoutes } from './cutover.ts';
import { ensureServices } from './services.ts';

type StartJobs = typeof import('../../../services/jobs/index.ts').startJobs;
type StartSearch = typeof import('../../../services/search/index.ts').startSearchService;

export function queuePrefix(ctx: DemoContext): string {
  return ctx.env.queuePrefix;
}

/** The events/jobs process (outbox relay + periodic jobs worker), started once. */
export async function ensureJobs(ctx: DemoContext): Promise<Awaited<ReturnType<StartJobs>>> {
  if (ctx.shared.jobs) return ctx.shared.jobs as Awaited<ReturnType<StartJobs>>;
  const startJobs = await need<StartJobs>('services/jobs/index.ts', 'startJobs', 'the events/jobs process is missing');
  const { jobsConfigSchema } = await import('../../../services/jobs/config.ts');
  const p = ctx.env.ports;
  // each owner's tables where they live now (the legacy database until its split was cut over)
  const where = (d: 'product' | 'shop' | 'user') => (ctx.shared[`cutover:${d}`] ? ctx.env.serviceDsns[d] : ctx.env.legacyDsn);
  const config = jobsConfigSchema.parse({
    PRODUCT_DB_URL: where('product'), SHOP_DB_URL: where('shop'), USER_DB_URL: where('user'), OUTBOX_DB_URL: ctx.env.legacyDsn,
    MYSQL_URL: ctx.env.legacyDsn, REDIS_URL: ctx.env.redisUrl, QUEUE_PREFIX: queuePrefix(ctx), JOBS_PEERS: 'thrift',
    PRODUCT_THRIFT: `127.0.0.1:${p.productThrift}`, SHOP_THRIFT: `127.0.0.1:${p.shopThrift}`, SCHEDULES_ENABLED: 'true', LOG_LEVEL: 'warn',
  });
  const jobs = await startJobs(config, { logger: ctx.stack.logger.child({ component: 'jobs' }) });
  ctx.stack.add({ name: 'jobs process', close: () => jobs.close() });
  ctx.shared.jobs = jobs;
  return jobs;
}

async function facadeCall(ctx: DemoContext, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(ctx.stack.facade!.url + path, {
    method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

/** Uploads products with a unique word through the admin API and times how long until search finds each. */
async function freshnessProbe(ctx: DemoContext, n: number): Promise<number[]> {
  const { DEMO_ADMIN } = await import('../../seed/demo.ts');
  const login = await facadeCall(ctx, 'POST', '/admin/sessions', undefined, { email: DEMO_ADMIN.email, password: DEMO_ADMIN.password });
  const token = (login.body as { token?: string }).token;
  if (!token) throw new Error(`probe: admin sign-in answered ${login.status}`);
  const shopId = ctx.traffic.world!.bulkShopId;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const word = `probe${ctx.env.runId}x${i}`;
    const t0 = performance.now();
    const up = await facadeCall(ctx, 'POST', '/admin/products/bulk', token, { items: [{ shopId, externalId: `probe-${ctx.env.runId}-${i}`, name: `검색 프로브 ${word}`, price: '10000.00' }] });
    if (up.status !== 200) throw new Error(`probe: bulk upload answered ${up.status}`);
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
    const startSearch = await need<StartSearch>('services/search/index.ts', 'startSearchService', 'the search service is missing');
    await ensureServices(ctx);
    const { searchConfigSchema } = await import('../../../services/search/config.ts');
    const p = ctx.env.ports;
    const jobs = await ensureJobs(ctx);
    ctx.say(`events: outbox relay running (queue prefix ${queuePrefix(ctx)})`);
    const svc = await startSearch(searchConfigSchema.parse({
      HOST: '127.0.0.1', SEARCH_HTTP_PORT: String(p.searchHttp), SEARCH_THRIFT_PORT: String(p.searchThrift), SEARCH_DB_URL: ctx.env.serviceDsns.search,
      MYSQL_URL: ctx.env.legacyDsn, REDIS_URL: ctx.env.redisUrl, QUEUE_PREFIX: queuePrefix(ctx), PRODUCT_SOURCE: 'thrift',
      PRODUCT_THRIFT: `127.0.0.1:${p.productThrift}`, USER_THRIFT: `127.0.0.1:${p.userThrift}`, LOG_LEVEL: 'warn',
    }), { logger: ctx.stack.logger.child({ component: 'search-service' }) });
    ctx.stack.add({ name: 'search service', close: () => svc.close() });
    ctx.say(`search service ${svc.httpUrl} (Thrift :${svc.thriftPort}), backend ${svc.backend.kind}, indexer ${svc.indexer ? 'on' : 'off'}`);

    // full index from the product service's batch Thrift API
    const { runReindex } = await import('../../../services/search/reindex.ts');
    const { ReindexRunStore } = await import('../../../services/search/repository.ts');
    const { ThriftProductSource } = await import('../../../services/search/thrift-source.ts');
    const { createServiceClients, closeServiceClients } = await import('../../../services/common/thrift/index.ts');
    const { createKnex } = await import('../../../lib/db.ts');
    const clients = createServiceClients({ product: { host: '127.0.0.1', port: p.productThrift } });
    const searchKnex = createKnex(ctx.env.serviceDsns.search, { pool: { min: 0, max: 2 } });
    const { KnexProductSource } = await import('../../../services/search/source.ts');
    const productDsn = ctx.shared['cutover:product'] ? ctx.env.serviceDsns.product : ctx.env.legacyDsn;
    const productKnex = createKnex(productDsn, { pool: { min: 0, max: 2 } });
    try {
      const t0 = performance.now();
      let via = 'the product service (Thrift batch API)';
      let r;
      try {
        r = await runReindex({ backend: svc.backend, source: new ThriftProductSource(clients.product as never), runs: new ReindexRunStore(searchKnex) });
      } catch (err) {
        const why = (err as Error).message.split('\n')[0];
        ctx.say(`full reindex over Thrift failed: ${why}`);
        if (productDsn !== ctx.env.legacyDsn) {
          throw new StepUnavailable(`the full reindex reads products through the product service's Thrift API, which refused it ("${why}"); after the product split there is no other complete source`);
        }
        ctx.evidence.notes.push(`search reindex over the product service's Thrift API failed ("${why}"); the demo indexed from the product tables instead`);
        via = `the product tables (${productDsn === ctx.env.legacyDsn ? 'legacy' : 'product'} database), because the Thrift source failed`;
        r = await runReindex({ backend: svc.backend, source: new KnexProductSource(productKnex), runs: new ReindexRunStore(searchKnex), restart: true });
      }
      ctx.say(`full reindex from ${via}: ${r.processed} documents in ${r.batches} batches, ${((performance.now() - t0) / 1000).toFixed(1)} s; index holds ${await svc.backend.count()} documents`);
    } finally {
      await closeServiceClients(clients as never);
      await searchKnex.destroy();
      await productKnex.destroy();
    }
    await cutoverRoutes(ctx, 'search', '6 search');
    const lat = (await freshnessProbe(ctx, 3)).sort((a, b) => a - b);
    ctx.say(`product change → searchable through the facade (admin bulk upload, then search until found): ${lat.map((x) => `${Math.round(x)} ms`).join(', ')}; relay published ${jobs.relay?.published ?? 0} events so far`);
    return { status: 'done' };
  },
};
