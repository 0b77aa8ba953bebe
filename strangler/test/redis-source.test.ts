import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { uniqueRedisPrefix, waitFor } from '../../test/helpers/wait.ts';
import { RedisAudit } from '../audit.ts';
import { RedisSource } from '../sources/redis.ts';
import { validateTable } from '../table/schema.ts';
import { admin, json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';
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
});
