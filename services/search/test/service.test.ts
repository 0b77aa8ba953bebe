import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseConfig } from '../../../lib/config.ts';
import { dropDatabase, withDatabase } from '../../../lib/db.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { createRedis } from '../../../lib/events/queues.ts';
import { OutboxRelay } from '../../../lib/events/relay.ts';
import { createTestDatabase, testServerDsn, uniqueName, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix, waitFor } from '../../../test/helpers/wait.ts';
import { dropRedisPrefix } from '../../../test/helpers/redis.ts';
import { createServiceClients, closeServiceClients } from '../../../rpc/index.ts';
import { searchConfigSchema, startSearchService, type RunningSearchService } from '../index.ts';
import { KnexProductSource } from '../source.ts';
import { createProduct, renameProduct, seedShops } from './seed.ts';

describe('search service bootstrap: HTTP edge + Thrift + indexer @integration', function () {
  let legacy: TestDatabase;
  let svc: RunningSearchService;
  let relay: OutboxRelay;
  let prefix: string;
  const searchDb = withDatabase(testServerDsn(), uniqueName('search_svc'));
  const indexDir = mkdtempSync(join(tmpdir(), 'search-svc-'));
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'producer');

  before(async () => {
    legacy = await createTestDatabase('svc_legacy', ['legacy']);
    prefix = uniqueRedisPrefix('svc');
    const config = parseConfig(searchConfigSchema, {
      SEARCH_HTTP_PORT: '0', SEARCH_THRIFT_PORT: '0', SEARCH_DB_URL: searchDb, MYSQL_URL: legacy.dsn, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent',
      SEARCH_INDEX_DIR: indexDir,
    });
    svc = await startSearchService(config, {
      logger: silentLogger(),
      source: new KnexProductSource(legacy.knex),
      peers: { user: { verifySession: async () => ({ user: { id: '1' } }) } },
    });
    relay = new OutboxRelay({ knex: legacy.knex, connection: redis, prefix, pollMs: 20, logger: silentLogger() });
    relay.start();
  });
  after(async () => {
    await relay?.stop();
    await svc?.close();
    redis.disconnect();
    await dropRedisPrefix(prefix);
    await dropDatabase(searchDb);
    rmSync(indexDir, { recursive: true, force: true });
    await legacy?.drop();
  });

  it('creates and migrates its own database, and a product change reaches GET /api/search through the queue', async () => {
    const [shop] = await seedShops(legacy.knex, 1);
    const id = await createProduct(legacy.knex, shop, '오버사이즈 데님 자켓', { price: '59000.00' });
    await waitFor(async () => {
      const body = (await (await fetch(`${svc.httpUrl}/api/search?q=${encodeURIComponent('데님 자켓')}`)).json()) as { items: { id: number }[] };
      return body.items.some((i) => i.id === id);
    }, { timeoutMs: 8000, what: 'searchable over HTTP' });
    await renameProduct(legacy.knex, id, '오버사이즈 데님 재킷');
    await waitFor(async () => (await svc.backend.get(id))?.name === '오버사이즈 데님 재킷', { timeoutMs: 8000, what: 'update indexed' });
    const logs = await legacy.knex('logs').where({ type: 'search' }).count({ n: '*' });
    expect(Number(logs[0].n)).to.be.at.least(1);
    const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    expect(metrics).to.match(/search_index_update_to_searchable_seconds_count [1-9]/);
    expect(metrics).to.match(/search_index_snapshot_refused 0/);
  });

  it('answers search and documentCount over Thrift', async () => {
    const clients = createServiceClients({ search: { port: svc.thriftPort } });
    try {
      const r = await clients.search.search({}, { q: '데님', page: { limit: 5, offset: 0 } }) as { hits: { productId: string }[]; page: { total?: number } };
      expect(r.hits.length).to.equal(1);
      expect(r.page.total).to.equal(1);
      expect(await clients.search.documentCount({})).to.equal(1);
      let err: { code?: string } | undefined;
      await clients.search.search({}, { q: ' ' }).catch((e: { code?: string }) => { err = e; });
      expect(err?.code).to.equal('VALIDATION_FAILED');
    } finally {
      await closeServiceClients(clients);
    }
  });

  it('restarts on the same embedded index: documents are back without a reindex', async () => {
    const before = await svc.backend.count();
    expect(svc.backend.kind).to.equal('embedded');
    expect(before).to.be.above(0);
    await svc.close();
    svc = await startSearchService(parseConfig(searchConfigSchema, {
      SEARCH_HTTP_PORT: '0', SEARCH_THRIFT_PORT: '0', SEARCH_DB_URL: searchDb, MYSQL_URL: legacy.dsn, QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent', SEARCH_INDEX_DIR: indexDir,
    }), { logger: silentLogger(), source: new KnexProductSource(legacy.knex), peers: { user: { verifySession: async () => ({ user: { id: '1' } }) } } });
    expect(await svc.backend.count()).to.equal(before);
    const body = (await (await fetch(`${svc.httpUrl}/api/search?q=${encodeURIComponent('데님 재킷')}`)).json()) as { items: { name: string }[] };
    expect(body.items.map((i) => i.name)).to.deep.equal(['오버사이즈 데님 재킷']);
  });
});

describe('search service start on an empty index @integration', function () {
  let legacy: TestDatabase;
  let svc: RunningSearchService | undefined;
  const searchDb = withDatabase(testServerDsn(), uniqueName('search_empty'));
  const prefix = uniqueRedisPrefix('empty');
  const indexDir = mkdtempSync(join(tmpdir(), 'search-empty-'));

  before(async () => { legacy = await createTestDatabase('svc_empty', ['legacy']); });
  after(async () => {
    await svc?.close();
    await dropRedisPrefix(prefix);
    await dropDatabase(searchDb);
    rmSync(indexDir, { recursive: true, force: true });
    await legacy?.drop();
  });

  it('with REINDEX_WHEN_EMPTY, queues one full reindex and the existing catalogue becomes searchable', async () => {
    const [shop] = await seedShops(legacy.knex, 1);
    const id = await createProduct(legacy.knex, shop, '린넨 셔츠 원피스', { price: '39000.00' });
    await legacy.knex('event_outbox').del(); // only the rebuild can index it: no events to replay
    const config = parseConfig(searchConfigSchema, {
      SEARCH_HTTP_PORT: '0', SEARCH_THRIFT_PORT: '0', SEARCH_DB_URL: searchDb, MYSQL_URL: legacy.dsn, QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent', REINDEX_WHEN_EMPTY: 'true', SEARCH_INDEX_DIR: indexDir,
    });
    svc = await startSearchService(config, { logger: silentLogger(), source: new KnexProductSource(legacy.knex), peers: { user: { verifySession: async () => ({ user: { id: '1' } }) } } });
    await waitFor(async () => (await svc!.backend.get(id))?.name === '린넨 셔츠 원피스', { timeoutMs: 10_000, what: 'catalogue reindexed' });
    expect(await svc.backend.count()).to.equal(1);
  });
});
