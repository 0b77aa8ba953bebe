/**
 * Pipelined shadow copies through the facade (relay/pipeline-pool.ts behind shadow.ts): a service that kills its
 * connection mid-pipeline or answers after the copy's deadline costs shadow errors, never a primary answer, and
 * every copy is counted exactly once.
 */
import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../../test/helpers/wait.ts';
import { json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';
import { metricValue } from './raw.ts';

const BODY = JSON.stringify({ ok: true });

/** Starts a facade with STRANGLER_SHADOW_PIPELINE set to `value` (undefined: unset, the default), then restores it. */
async function facadeWith(value: string | undefined, doc: Parameters<typeof startTestFacade>[0]): Promise<TestFacade> {
  const saved = process.env.STRANGLER_SHADOW_PIPELINE;
  if (value === undefined) delete process.env.STRANGLER_SHADOW_PIPELINE;
  else process.env.STRANGLER_SHADOW_PIPELINE = value;
  try {
    return await startTestFacade(doc);
  } finally {
    if (saved === undefined) delete process.env.STRANGLER_SHADOW_PIPELINE;
    else process.env.STRANGLER_SHADOW_PIPELINE = saved;
  }
}
const ANSWER = `HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`;

describe('pipelined shadow copies through the facade (the default; STRANGLER_SHADOW_PIPELINE=0 turns it off) @integration', () => {
  let legacy: StandIn;
  let svc: Server;
  const sockets: Socket[] = [];
  /** Request heads per received chunk, to see pipelining happen. */
  let maxPerChunk = 0;
  /** Answers of `hold` requests, sent when the test releases them. */
  const held: (() => void)[] = [];
  /** Every request path the service received, in order. */
  const received: string[] = [];
  let f: TestFacade;

  before(async () => {
    legacy = await startStandIn((_req, res) => json(res, 200, { ok: true }));
    // the service: answers in order; `kill` destroys the connection (with whatever is pipelined behind it), `slow` answers after the copy's deadline
    svc = createServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
      let buf = '';
      let chain = Promise.resolve();
      s.on('data', (d) => {
        buf += d.toString('latin1');
        const heads = buf.split('\r\n\r\n');
        buf = heads.pop()!;
        maxPerChunk = Math.max(maxPerChunk, heads.length);
        for (const h of heads) {
          const path = h.slice(h.indexOf(' ') + 1, h.indexOf(' HTTP/'));
          received.push(path);
          chain = chain.then(() => new Promise<void>((done) => {
            if (s.destroyed) return done();
            if (path.includes('kill')) {
              s.destroy();
              return done();
            }
            if (path.includes('hold')) {
              held.push(() => {
                if (!s.destroyed) s.write(ANSWER);
                done();
              });
              return;
            }
            if (path.includes('slow')) {
              setTimeout(() => {
                if (!s.destroyed) s.write(ANSWER);
                done();
              }, 400);
              return;
            }
            s.write(ANSWER);
            done();
          }));
        }
      });
    });
    await new Promise<void>((r) => svc.listen(0, '127.0.0.1', () => r()));
    const svcUrl = `http://127.0.0.1:${(svc.address() as AddressInfo).port}`;
    const doc = table(legacy.url, svcUrl, [
      { id: 'piped', path: '/api/piped', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { timeoutMs: 150, noiseSample: 0, maxConcurrency: 1000 } },
    ]);
    // few connections, so 60 copies at once must share them (pipelined)
    (doc.upstreams.svc as { shadowPool?: number }).shadowPool = 4;
    f = await facadeWith(undefined, doc); // the default: pipelined
  });
  after(async () => {
    await f.stop();
    await legacy.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => svc.close(() => r()));
  });

  it('kills and deadlines mid-pipeline: every primary answers 200, every copy is counted once, the healthy ones match', async () => {
    const kinds = Array.from({ length: 60 }, (_, i) => (i % 15 === 7 ? 'kill' : i % 20 === 3 ? 'slow' : 'ok'));
    const t0 = performance.now();
    const answers = await Promise.all(kinds.map((k, i) => send(`${f.url}/api/piped?kind=${k}&i=${i}`)));
    expect(answers.map((a) => a.status)).to.deep.equal(kinds.map(() => 200));
    expect(answers.every((a) => a.body === BODY)).to.equal(true);
    expect(performance.now() - t0).to.be.below(3000);
    const s = () => f.stats.get('piped').shadow;
    await waitFor(() => s().inFlight === 0 && s().matched + s().mismatched + s().errors + s().skipped === kinds.length, { what: 'every copy counted', timeoutMs: 5000 });
    expect(s().sent).to.equal(kinds.length);
    expect(s().mismatched).to.equal(0);
    expect(s().errors).to.be.at.least(kinds.filter((k) => k !== 'ok').length);
    expect(s().matched).to.be.above(0);
    expect(maxPerChunk, 'copies shared a write').to.be.above(1);
    // afterwards the service is healthy again and so are the copies
    const before = s().matched;
    for (let i = 0; i < 5; i++) expect((await send(`${f.url}/api/piped?kind=ok&after=${i}`)).status).to.equal(200);
    await waitFor(() => s().matched === before + 5, { what: 'healthy copies match again' });
  });

  it('copies pipelined behind a held answer record the service\'s own latency, not the wait behind it', async () => {
    const doc = table(legacy.url, `http://127.0.0.1:${(svc.address() as AddressInfo).port}`, [
      { id: 'lat', path: '/api/lat', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { timeoutMs: 5000, noiseSample: 0, maxConcurrency: 1000 } },
    ]);
    (doc.upstreams.svc as { shadowPool?: number }).shadowPool = 1; // one connection: every copy goes behind the held one
    const g = await facadeWith(undefined, doc);
    const HOLD_MS = 300;
    try {
      expect((await send(`${g.url}/api/lat?kind=hold`)).status).to.equal(200);
      await waitFor(() => held.length === 1, { what: 'the held copy at the service' });
      const answers = await Promise.all(Array.from({ length: 15 }, (_, i) => send(`${g.url}/api/lat?kind=ok&n=${i}`)));
      expect(answers.every((a) => a.status === 200)).to.equal(true);
      await waitFor(() => received.filter((p) => p.startsWith('/api/lat?kind=ok')).length === 15, { what: 'the 15 copies written behind the held one' });
      await new Promise((r) => setTimeout(r, HOLD_MS)); // the service's own time for the held copy (not a readiness wait)
      held.shift()!();
      await waitFor(() => g.stats.get('lat').shadow.matched === 16, { what: 'all 16 copies matched' });
      const labels = { route: 'lat', upstream: 'svc' };
      const count = await metricValue(g.metrics.registry, 'strangler_shadow_duration_seconds_count', labels);
      const sum = await metricValue(g.metrics.registry, 'strangler_shadow_duration_seconds_sum', labels);
      const fast = await metricValue(g.metrics.registry, 'strangler_shadow_duration_seconds_bucket', { ...labels, le: '0.1' });
      expect(count).to.equal(16);
      // the held copy took ≥ 300 ms; the 15 behind it waited as long but were answered at once: their own time is small
      expect(fast, `copies recorded under 100 ms (sum ${sum.toFixed(3)} s)`).to.equal(15);
      expect(sum).to.be.below(HOLD_MS / 1000 + 15 * 0.1);
    } finally {
      await g.stop();
    }
  });

  it('with STRANGLER_SHADOW_PIPELINE=0: copies go one per connection at a time, never two in one write', async () => {
    const g = await facadeWith('0', table(legacy.url, `http://127.0.0.1:${(svc.address() as AddressInfo).port}`, [
      { id: 'alone', path: '/api/alone', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { timeoutMs: 1000, noiseSample: 0, maxConcurrency: 1000 } },
    ]));
    try {
      maxPerChunk = 0;
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(`${g.url}/api/alone?kind=ok&i=${i}`)));
      expect(answers.every((a) => a.status === 200)).to.equal(true);
      await waitFor(() => g.stats.get('alone').shadow.matched === 20, { what: 'all copies matched' });
      expect(maxPerChunk).to.equal(1);
    } finally {
      await g.stop();
    }
  });
});
