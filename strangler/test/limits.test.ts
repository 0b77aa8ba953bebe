/** The request path's limits without sockets: the gate's queue, the rate-limited log, and their validation. */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { Gate, type Waiter } from '../gate.ts';
import { LimitedLog } from '../log-limit.ts';
import { loadFacadeConfig } from '../config.ts';
import { DEFAULT_BODY_IDLE_TIMEOUT_MS, DEFAULT_BUFFER_TOTAL_LIMIT } from '../facade.ts';
import { DEFAULT_QUEUE_TIMEOUT_MS, DEFAULT_SHADOW_POOL_SIZE, validateTable } from '../table/schema.ts';
import { uploadCap } from '../upstreams.ts';
import { createLogger } from '../../lib/logger.ts';
import { waitFor } from '../../test/helpers/wait.ts';

function waiter(name: string, log: string[]): Waiter {
  return {
    queuedAt: 0, nextWaiter: null, dequeued: false,
    admit: (ms) => log.push(`${name} admitted after ${ms}`),
    expire: (ms) => log.push(`${name} expired after ${ms}`),
  };
}

describe('strangler request-path limits (pure)', () => {
  it('the gate admits up to capacity, queues the rest in order, skips cancelled waiters', () => {
    let t = 0;
    const g = new Gate(2, 10_000, 1, () => t);
    const log: string[] = [];
    expect(g.tryAcquire()).to.equal(true);
    expect(g.tryAcquire()).to.equal(true);
    expect(g.tryAcquire()).to.equal(false);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => waiter(n, log));
    g.enqueue(a);
    t = 5;
    g.enqueue(b);
    g.enqueue(c);
    expect(g.queued).to.equal(3);
    g.cancel(b);
    expect(g.queued).to.equal(2);
    t = 20;
    g.release();
    g.release();
    expect(log).to.deep.equal(['a admitted after 20', 'c admitted after 15']);
    expect(g.inFlight).to.equal(2);
    expect(g.queued).to.equal(0);
    expect(g.tryAcquire()).to.equal(false);
    g.release();
    g.release();
    expect(g.inFlight).to.equal(0);
    g.close();
  });

  it('the gate turns away waiters past the queue deadline with one timer, keeping the younger ones', async () => {
    const g = new Gate(1, 60, 1);
    const log: string[] = [];
    expect(g.tryAcquire()).to.equal(true);
    const old = waiter('old', log);
    g.enqueue(old);
    await new Promise((r) => setTimeout(r, 40));
    const young = waiter('young', log);
    g.enqueue(young);
    await waitFor(() => log.length === 1, { what: 'first expiry' });
    expect(log[0]).to.match(/^old expired after \d+/);
    expect(g.queued).to.equal(1);
    await waitFor(() => log.length === 2, { what: 'second expiry' });
    expect(log[1]).to.match(/^young expired/);
    expect(g.queued).to.equal(0);
    const idle = g.idle();
    g.release();
    await idle;
    g.close();
  });

  it('logs at most N lines per kind per second and reports how many were suppressed', () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({ write(chunk, _e, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    } });
    let now = 1_000;
    const log = new LimitedLog(createLogger('t', { level: 'warn', destination }), 3, () => now);
    for (let i = 0; i < 10; i++) log.warn('busy', { i }, 'busy');
    log.warn('abort', { i: 0 }, 'abort');
    expect(lines.map((l) => `${l.kind}:${l.i}`)).to.deep.equal(['busy:0', 'busy:1', 'busy:2', 'abort:0']);
    now = 2_100;
    log.warn('busy', { i: 10 }, 'busy');
    expect(lines.at(-1)).to.include({ kind: 'busy', i: 10, suppressed: 7, level: 40 });
  });

  it('env limits have defaults and clear messages', () => {
    const c = loadFacadeConfig({});
    expect(c).to.include({ bufferTotalLimit: DEFAULT_BUFFER_TOTAL_LIMIT, bodyIdleTimeoutMs: DEFAULT_BODY_IDLE_TIMEOUT_MS });
    expect(() => loadFacadeConfig({ STRANGLER_BODY_LIMIT: '2000000', STRANGLER_BUFFER_TOTAL_LIMIT: '1048576' }))
      .to.throw('STRANGLER_BUFFER_TOTAL_LIMIT: must be at least STRANGLER_BODY_LIMIT (2000000)');
    expect(() => loadFacadeConfig({ STRANGLER_BODY_IDLE_TIMEOUT_MS: '0' })).to.throw('STRANGLER_BODY_IDLE_TIMEOUT_MS: Too small: expected number to be >=10');
    expect(() => loadFacadeConfig({ STRANGLER_BODY_IDLE_TIMEOUT_MS: 'soon' })).to.throw(/STRANGLER_BODY_IDLE_TIMEOUT_MS/);
  });

  it('per-upstream limits: defaults, the upload cap, and validation', () => {
    const ok = validateTable({ upstreams: { a: { url: 'http://127.0.0.1:1', pool: 10 }, b: { url: 'http://127.0.0.1:2', pool: 2, maxUploads: 2, queueTimeoutMs: 50, shadowPool: 1 } } });
    expect(ok.ok).to.equal(true);
    if (!ok.ok) return;
    expect(ok.table.upstreams.a).to.include({ queueTimeoutMs: DEFAULT_QUEUE_TIMEOUT_MS, shadowPool: DEFAULT_SHADOW_POOL_SIZE });
    expect(uploadCap(ok.table.upstreams.a)).to.equal(2);
    expect(uploadCap(ok.table.upstreams.b)).to.equal(2);
    const bad = validateTable({ upstreams: { a: { url: 'http://127.0.0.1:1', pool: 4, maxUploads: 5, queueTimeoutMs: 0, shadowPool: 0 } } });
    expect(bad.ok).to.equal(false);
    if (bad.ok) return;
    expect(bad.errors).to.include.members([
      'upstreams.a.maxUploads: must not exceed pool (4)',
      'upstreams.a.queueTimeoutMs: Too small: expected number to be >=1',
      'upstreams.a.shadowPool: Too small: expected number to be >=1',
    ]);
  });
});
