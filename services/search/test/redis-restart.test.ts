import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix, waitFor } from '../../../test/helpers/wait.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { createRedis } from '../../../lib/events/queues.ts';
import { OutboxRelay } from '../../../lib/events/relay.ts';
import { OUTBOX_TABLE } from '../../../lib/events/outbox.ts';
import { MysqlFulltextBackend } from '../backends/mysql-fulltext.ts';
import { KnexProductSource } from '../source.ts';
import { SearchIndexer } from '../indexer.ts';
import { createProduct, seedShops } from './seed.ts';
import { freePort } from '../../../lib/free-ports.ts';

/** A private redis-server child with an fsync-always append-only file, so a kill loses nothing acknowledged. */
class RedisChild {
  proc: ChildProcess | null = null;
  readonly port: number;
  readonly dir: string;
  constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }
  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes',
      '--appendfsync', 'always', '--dir', this.dir], { stdio: 'ignore' });
    await waitFor(async () => {
      const c = new Redis({ port: this.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => {});
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } finally {
        c.disconnect();
      }
    }, { timeoutMs: 5000, what: 'redis-server up' });
  }
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
}

describe('events survive a Redis restart @integration', function () {
  this.timeout(60_000);
  let legacy: TestDatabase;
  let search: TestDatabase;
  let redis: RedisChild;
  let dir: string;

  before(async function () {
    [legacy, search] = await Promise.all([createTestDatabase('rr_legacy', ['legacy']), createTestDatabase('rr_search', ['search'])]);
    dir = await mkdtemp(join(tmpdir(), 'search-redis-'));
    redis = new RedisChild(await freePort(), dir);
    await redis.start();
  });
  after(async () => {
    await redis?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
    await Promise.all([legacy?.drop(), search?.drop()]);
  });

  it('Redis killed and restarted while products change: every change is indexed, none lost', async () => {
    const url = `redis://127.0.0.1:${redis.port}`;
    const prefix = uniqueRedisPrefix('rr');
    const producer = createRedis(url, 'producer');
    const worker = createRedis(url, 'worker');
    for (const c of [producer, worker]) c.on('error', () => {});
    const backend = new MysqlFulltextBackend(search.knex);
    const relay = new OutboxRelay({ knex: legacy.knex, connection: producer, prefix, pollMs: 10, maxBackoffMs: 200, jobDefaults: { attempts: 20, backoffMs: 50, keepCompleted: 10_000 }, logger: silentLogger() });
    const indexer = new SearchIndexer({ connection: worker, prefix, backend, source: new KnexProductSource(legacy.knex), logger: silentLogger(), concurrency: 4, lockDurationMs: 2000, stalledIntervalMs: 1000 });
    relay.start();
    const [shop] = await seedShops(legacy.knex, 1);
    const ids: number[] = [];
    try {
      const write = async (n: number) => {
        for (let i = 0; i < n; i++) ids.push(await createProduct(legacy.knex, shop, `재시작 테스트 상품 ${ids.length}`));
      };
      await write(40);
      await waitFor(async () => (await backend.count()) >= 10, { timeoutMs: 10_000, what: 'some indexed before the kill' });
      await redis.kill();
      await write(40); // changes commit while Redis is down: they wait in the outbox
      const unpublished = Number((await legacy.knex(OUTBOX_TABLE).whereNull('published_at').count({ n: '*' }))[0].n);
      expect(unpublished).to.be.at.least(40);
      await redis.start();
      await write(40);
      await waitFor(async () => (await backend.count()) === ids.length, { timeoutMs: 30_000, intervalMs: 100, what: `all ${ids.length} products indexed` });
      for (const id of ids) expect(await backend.get(id), `product ${id}`).to.not.equal(null);
      const left = Number((await legacy.knex(OUTBOX_TABLE).whereNull('published_at').count({ n: '*' }))[0].n);
      expect(left).to.equal(0);
    } finally {
      await relay.stop();
      await indexer.close();
      producer.disconnect();
      worker.disconnect();
    }
  });
});
