import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { uniqueRedisPrefix, waitFor } from '../../test/helpers/wait.ts';
import { RedisAudit } from '../audit.ts';
import { RedisSource } from '../sources/redis.ts';
import { validateTable } from '../table/schema.ts';
import { admin, json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';
import type { RouteTableInput } from '../table/schema.ts';
import { freePort } from '../../lib/free-ports.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  await waitFor(async () => {
    try {
      if (probe.status !== 'ready') await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      probe.disconnect();
      return false;
    }
  }, { what: `redis-server on ${port}`, timeoutMs: 5000 });
  probe.disconnect();
  return child;
}

function stopRedis(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('strangler Redis route source @integration', () => {
  let legacy: StandIn;
  let svc: StandIn;
  const facades: TestFacade[] = [];

  before(async () => {
    legacy = await startStandIn((_req, res) => json(res, 200, { from: 'legacy' }));
    svc = await startStandIn((_req, res) => json(res, 200, { from: 'service' }));
  });
  after(async () => {
    for (const f of facades) await f.stop();
    await legacy.close();
    await svc.close();
  });

  const doc = () => table(legacy.url, svc.url, [{ id: 'p', methods: ['GET'], path: '/api/p', legacy: 'legacy', service: 'svc' }]);

  async function facadeOn(url: string, prefix: string): Promise<TestFacade> {
    const source = new RedisSource({ url, prefix, seed: doc(), pollMs: 60_000 });
    const f = await startTestFacade(doc(), { source, audit: new RedisAudit(source.client, `${prefix}audit`) });
    facades.push(f);
    return f;
  }

  it('several instances converge within a second after a change through one admin API, and the audit is shared', async () => {
    const prefix = uniqueRedisPrefix('strangler');
    const a = await facadeOn(REDIS_URL, prefix);
    const b = await facadeOn(REDIS_URL, prefix);
    const c = await facadeOn(REDIS_URL, prefix);
    expect((await send(`${b.url}/api/p`)).json().from).to.equal('legacy');
    const t0 = Date.now();
    const r = await admin(a, '/routes/p', { method: 'POST', body: { mode: 'service', reason: 'go' } });
    expect(r.status).to.equal(200);
    await waitFor(() => b.controller.table.routes[0].mode === 'service' && c.controller.table.routes[0].mode === 'service', { what: 'convergence', timeoutMs: 1000, intervalMs: 5 });
    const took = Date.now() - t0;
    expect(took).to.be.lessThan(1000);
    expect((await send(`${c.url}/api/p`)).json().from).to.equal('service');
    const audit = (await admin(b, '/audit')).json().entries;
    expect(audit).to.have.length(1);
    expect(audit[0]).to.include({ route: 'p', reason: 'go' });
    // a concurrent writer with a stale version is refused, not lost: instance c (already converged) can still write
    expect((await admin(c, '/routes/p/rollback', { method: 'POST', body: {} })).status).to.equal(200);
    await waitFor(() => a.controller.table.routes[0].mode === 'legacy' && b.controller.table.version === 3, { what: 'rollback converged', timeoutMs: 1000 });
    const cleanup = new Redis(REDIS_URL);
    await cleanup.del(`${prefix}routes`, `${prefix}audit`);
    cleanup.disconnect();
  });

  it('an invalid document in Redis is rejected and the last good table keeps serving', async () => {
    const prefix = uniqueRedisPrefix('strangler');
    const f = await facadeOn(REDIS_URL, prefix);
    const writer = new Redis(REDIS_URL);
    await writer.set(`${prefix}routes`, JSON.stringify({ version: 9, upstreams: {}, routes: [{ id: 'p', path: '/api/p', legacy: 'missing' }] }));
    await writer.publish(`${prefix}routes:changed`, '9');
    await waitFor(() => f.controller.lastRejection !== null, { what: 'rejection' });
    expect(f.controller.lastRejection!.errors).to.include('routes.0.legacy: unknown upstream "missing"');
    expect((await send(`${f.url}/api/p`)).json().from).to.equal('legacy');
    await writer.del(`${prefix}routes`);
    writer.disconnect();
  });

  (hasRedisServer ? it : it.skip)('Redis down: the last good table keeps serving, changes are refused, and it reconnects and catches up', async function () {
    this.timeout(30_000);
    const port = await freePort();
    let redis = await startRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    const prefix = 'strangler:';
    const f = await facadeOn(url, prefix);
    try {
      expect((await admin(f, '/status')).json().source.healthy).to.equal(true);
      await stopRedis(redis);
      await waitFor(async () => (await admin(f, '/status')).json().source.healthy === false, { what: 'source unhealthy' });
      for (let i = 0; i < 5; i++) expect((await send(`${f.url}/api/p`)).json().from).to.equal('legacy');
      const refused = await admin(f, '/routes/p', { method: 'POST', body: { mode: 'service' } });
      expect(refused.status).to.equal(503);
      expect(f.controller.table.routes[0].mode).to.equal('legacy');

      redis = await startRedis(port); // empty: --save '' (nothing persisted)
      await waitFor(async () => (await admin(f, '/status')).json().source.healthy === true, { what: 'reconnected', timeoutMs: 10_000 });
      // Redis came back empty: the key is seeded again with the table in force (not left empty, not the seed file)
      const probe = new Redis(url);
      const reseeded = await waitFor(async () => await probe.get(`${prefix}routes`), { what: 'key re-seeded', timeoutMs: 5000 });
      expect(JSON.parse(reseeded as string).version).to.equal(f.controller.table.version);
      probe.disconnect();
      // and changes work again (they answered 500 with an empty key)
      const changed = await admin(f, '/routes/p', { method: 'POST', body: { mode: 'legacy', reason: 'after the outage' } });
      expect(changed.status, changed.body).to.equal(200);
      // a change published by another writer after the outage reaches this instance (resubscribed)
      const writer = new Redis(url);
      const next = validateTable(doc());
      if (!next.ok) throw new Error('bad doc');
      next.table.version = 7;
      next.table.routes[0].mode = 'service';
      await writer.set(`${prefix}routes`, JSON.stringify(next.table));
      await writer.publish(`${prefix}routes:changed`, '7');
      writer.disconnect();
      await waitFor(() => f.controller.table.version === 7, { what: 'caught up after reconnect', timeoutMs: 5000 });
      expect((await send(`${f.url}/api/p`)).json().from).to.equal('service');
    } finally {
      await stopRedis(redis);
    }
  });

  describe('never serves an older table', () => {
    const dirs: string[] = [];
    const redisKeys: string[] = [];
    after(async () => {
      for (const d of dirs) await rm(d, { recursive: true, force: true });
      const cleanup = new Redis(REDIS_URL);
      if (redisKeys.length) await cleanup.del(...redisKeys);
      cleanup.disconnect();
    });

    const serviceDoc = (version = 1): RouteTableInput => ({ ...doc(), version, routes: [{ id: 'p', methods: ['GET'], path: '/api/p', legacy: 'legacy', service: 'svc', mode: 'service' }] });

    async function stateDir(): Promise<string> {
      const d = await mkdtemp(join(tmpdir(), 'strangler-state-'));
      dirs.push(d);
      return join(d, 'routes.last-applied.json');
    }

    async function start(url: string, prefix: string, seed: unknown, stateFile: string): Promise<TestFacade> {
      redisKeys.push(`${prefix}routes`, `${prefix}audit`);
      const source = new RedisSource({ url, prefix, seed, pollMs: 60_000, stateFile });
      const f = await startTestFacade(seed, { source, audit: new RedisAudit(source.client, `${prefix}audit`) });
      facades.push(f);
      return f;
    }

    async function closedPortUrl(): Promise<string> {
      return `redis://127.0.0.1:${await freePort()}`; // nothing listens there: Redis is unreachable
    }

    it('a facade restarted while Redis is unreachable serves the rolled-back table, not the seed, and refuses changes with 503', async () => {
      const prefix = uniqueRedisPrefix('strangler');
      const stateFile = await stateDir();
      const a = await start(REDIS_URL, prefix, serviceDoc(), stateFile);
      expect((await send(`${a.url}/api/p`)).json().from).to.equal('service');
      const rb = await admin(a, '/routes/p/rollback', { method: 'POST', body: { reason: 'bad release' } });
      expect(rb.status).to.equal(200);
      // remembered on disk before the rollback was acknowledged
      expect(JSON.parse(await readFile(stateFile, 'utf8'))).to.deep.include({ version: 2 });
      await a.stop();
      facades.splice(facades.indexOf(a), 1);

      const b = await start(await closedPortUrl(), prefix, serviceDoc(), stateFile);
      expect(b.controller.table.version).to.equal(2);
      for (let i = 0; i < 3; i++) expect((await send(`${b.url}/api/p`)).json().from).to.equal('legacy');
      const status = (await admin(b, '/status')).json();
      expect(status.source.healthy).to.equal(false);
      const refused = await admin(b, '/routes/p', { method: 'POST', body: { mode: 'service' } });
      expect(refused.status).to.equal(503);
      expect(refused.json().error.code).to.equal('ROUTE_SOURCE_UNAVAILABLE');
      expect(refused.json().error.requestId).to.be.a('string');
      expect((await admin(b, '/metrics')).body).to.match(/strangler_route_source_failures_total\{op="write"\} 1/);
      expect((await send(`${b.url}/api/p`)).json().from).to.equal('legacy');
      const audit = await admin(b, '/audit');
      expect(audit.status).to.equal(503);
      expect(audit.json().error.code).to.equal('AUDIT_UNAVAILABLE');
    });

    it('an unreadable remembered table is logged, counted and ignored (the seed serves during an outage)', async () => {
      const stateFile = await stateDir();
      await writeFile(stateFile, '{"version": 9, "upstr');
      const f = await start(await closedPortUrl(), uniqueRedisPrefix('strangler'), serviceDoc(), stateFile);
      expect(f.controller.table.version).to.equal(1);
      expect((await send(`${f.url}/api/p`)).json().from).to.equal('service');
      expect((await admin(f, '/metrics')).body).to.match(/strangler_route_source_failures_total\{op="remember"\} 1/);
    });

    it('a table with a lower version than the one applied is refused and counted, live and at restart', async () => {
      const prefix = uniqueRedisPrefix('strangler');
      const stateFile = await stateDir();
      const f = await start(REDIS_URL, prefix, doc(), stateFile);
      expect((await admin(f, '/routes/p', { method: 'POST', body: { mode: 'legacy', reason: 'bump' } })).status).to.equal(200); // version 2
      await waitFor(async () => JSON.parse(await readFile(stateFile, 'utf8')).version === 2, { what: 'remembered v2' });
      const writer = new Redis(REDIS_URL);
      try {
        // an older table (version 1, route in service) lands in Redis: restored from an old backup, say
        const old = validateTable(serviceDoc(1));
        if (!old.ok) throw new Error(old.errors.join());
        await writer.set(`${prefix}routes`, JSON.stringify(old.table));
        await writer.publish(`${prefix}routes:changed`, '1');
        await waitFor(() => f.controller.lastRejection !== null, { what: 'stale table refused' });
        expect(f.controller.lastRejection!.errors[0]).to.match(/^version: 1 is older than the table applied \(version 2\)/);
        expect(f.controller.table.version).to.equal(2);
        expect((await send(`${f.url}/api/p`)).json().from).to.equal('legacy');
        expect((await admin(f, '/metrics')).body).to.match(/strangler_table_reloads_total\{result="stale"\} 1/);
        // an admin change still works: the applied table is written back over the older one, then changed (version 3)
        const changed = await admin(f, '/routes/p', { method: 'POST', body: { mode: 'shadow' } });
        expect(changed.status, changed.body).to.equal(200);
        expect(JSON.parse((await writer.get(`${prefix}routes`))!)).to.deep.include({ version: 3 });
        expect(f.controller.table.routes[0].mode).to.equal('shadow');
        await waitFor(async () => JSON.parse(await readFile(stateFile, 'utf8')).version === 3, { what: 'remembered v3' });
        // stale again (version 1 once more) for the restart below
        await writer.set(`${prefix}routes`, JSON.stringify(old.table));
        // a new instance with the same remembered table, Redis reachable but older: the remembered table wins
        await f.stop();
        facades.splice(facades.indexOf(f), 1);
        const g = await start(REDIS_URL, prefix, serviceDoc(1), stateFile);
        expect(g.controller.table.version).to.equal(3);
        expect(g.controller.lastRejection!.errors[0]).to.match(/^version: 1 is older/);
        expect((await send(`${g.url}/api/p`)).json().from).to.equal('legacy'); // shadow mode: legacy answers
      } finally {
        writer.disconnect();
      }
    });

    it('an emptied key is seeded again from the table in force; admin changes keep working (never 500)', async () => {
      const prefix = uniqueRedisPrefix('strangler');
      const f = await start(REDIS_URL, prefix, serviceDoc(), await stateDir());
      expect((await admin(f, '/routes/p/rollback', { method: 'POST', body: {} })).status).to.equal(200); // version 2, legacy
      const writer = new Redis(REDIS_URL);
      try {
        await writer.del(`${prefix}routes`); // Redis flushed or restarted empty
        const r = await admin(f, '/routes/p', { method: 'POST', body: { mode: 'canary', percent: 10 } });
        expect(r.status, r.body).to.equal(200);
        const stored = JSON.parse((await writer.get(`${prefix}routes`))!);
        expect(stored.version).to.equal(3);
        expect(stored.routes[0]).to.include({ mode: 'canary', percent: 10 });
        // emptied again, then noticed by a refresh (a message): re-seeded with the table in force, version 3, not the seed
        await writer.del(`${prefix}routes`);
        await writer.publish(`${prefix}routes:changed`, 'x');
        const again = await waitFor(async () => await writer.get(`${prefix}routes`), { what: 're-seeded' });
        expect(JSON.parse(again as string)).to.deep.include({ version: 3 });
        expect(f.controller.table.version).to.equal(3);
      } finally {
        writer.disconnect();
      }
    });
  });
});
