/**
 * Horizontal scaling, end to end: three facade *processes* (the real
 * `strangler-facade` start command, each with its own event loop, sockets and
 * state dir) on one Redis route source, no load balancer. A route change made
 * through one instance's admin API must reach the request path of all three
 * within a deadline shorter than the Redis source's poll interval (5 s), so
 * it is pub/sub that converges them, not the periodic re-read. Waits on
 * conditions with deadlines, never sleeps. (redis-source.test.ts covers the
 * same with in-process facades; this one has nothing shared but Redis.)
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { dropRedisPrefix } from '../../test/helpers/redis.ts';
import { uniqueRedisPrefix, waitFor } from '../../test/helpers/wait.ts';
import { DEFAULT_REDIS_POLL_MS } from '../sources/redis.ts';
import { json, startStandIn, type StandIn } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/strangler-facade.ts', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = 'multi-process-test-token-0123';
/** Well under the poll interval: only pub/sub can meet it. */
const CONVERGE_MS = 2_000;

interface Instance { child: ChildProcess; url: string; adminUrl: string }

/** Starts one facade process; resolves with its ports from the 'facade listening' log line. */
function startInstance(seed: string, prefix: string, stateDir: string): Promise<Instance> {
  const child = spawn(process.execPath, [BIN, '--routes', seed, '--state-dir', stateDir, '--audit-file', join(stateDir, 'audit.jsonl'), '--host', '127.0.0.1', '--port', '0', '--admin-host', '127.0.0.1', '--admin-port', '0'], {
    env: { ...process.env, STRANGLER_SOURCE: 'redis', REDIS_URL, STRANGLER_REDIS_PREFIX: prefix, STRANGLER_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`facade process did not report listening within 20 s: ${stderr}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let rec: { msg?: string; port?: number; adminPort?: number };
      try {
        rec = JSON.parse(line);
      } catch {
        return;
      }
      if (rec.msg === 'facade listening') {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${rec.port}`, adminUrl: `http://127.0.0.1:${rec.adminPort}` });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`facade process exited with ${code} before listening: ${stderr}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function from(url: string): Promise<string> {
  const r = await request(`${url}/api/p`);
  const body = await r.body.text();
  return r.statusCode === 200 ? (JSON.parse(body) as { from: string }).from : `HTTP ${r.statusCode}`;
}

describe('strangler: three facade processes on one Redis route source @integration', function () {
  this.timeout(60_000);
  let legacy: StandIn;
  let svc: StandIn;
  let dir: string;
  const prefix = uniqueRedisPrefix('strangler_procs');
  const instances: Instance[] = [];

  before(async () => {
    legacy = await startStandIn((_req, res) => json(res, 200, { from: 'legacy' }));
    svc = await startStandIn((_req, res) => json(res, 200, { from: 'service' }));
    dir = await mkdtemp(join(tmpdir(), 'strangler-procs-'));
    const seed = join(dir, 'routes.json');
    await writeFile(seed, JSON.stringify({
      version: 1,
      upstreams: { legacy: { url: legacy.url }, svc: { url: svc.url } },
      fallbacks: [{ prefix: '/', upstream: 'legacy' }],
      routes: [{ id: 'p', methods: ['GET'], path: '/api/p', legacy: 'legacy', service: 'svc', mode: 'legacy' }],
    }));
    // one after another: the first seeds the empty key, the others read it
    for (let i = 0; i < 3; i++) instances.push(await startInstance(seed, prefix, join(dir, `state-${i}`)));
  });
  after(async () => {
    await Promise.all(instances.map((i) => stop(i.child)));
    await legacy?.close();
    await svc?.close();
    await dropRedisPrefix(prefix, REDIS_URL);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`a change through one instance's admin API reaches all three request paths within ${CONVERGE_MS} ms (poll interval ${DEFAULT_REDIS_POLL_MS} ms), and back`, async () => {
    expect(CONVERGE_MS).to.be.lessThan(DEFAULT_REDIS_POLL_MS);
    expect(await Promise.all(instances.map((i) => from(i.url)))).to.deep.equal(['legacy', 'legacy', 'legacy']);
    for (const [via, mode, want] of [[1, 'service', 'service'], [2, 'legacy', 'legacy']] as const) {
      const r = await request(`${instances[via]!.adminUrl}/routes/p`, {
        method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ mode, reason: 'multi-process test' }),
      });
      expect(r.statusCode, await r.body.text()).to.equal(200);
      await waitFor(async () => {
        const seen = await Promise.all(instances.map((i) => from(i.url)));
        if (!seen.every((s) => s === want)) throw new Error(`instances 1..3 serve from ${seen.join(', ')}`);
        return true;
      }, { what: `all three instances serving from ${want} after the change through instance ${via + 1}`, timeoutMs: CONVERGE_MS, intervalMs: 10 });
    }
  });
});
