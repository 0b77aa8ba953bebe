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

describe('pipelined shadow copies through the facade (STRANGLER_SHADOW_PIPELINE=1) @integration', () => {
  let legacy: StandIn;
  let svc: Server;
  const sockets: Socket[] = [];
  /** Request heads per received chunk, to see pipelining happen. */
  let maxPerChunk = 0;
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
          chain = chain.then(() => new Promise<void>((done) => {
            if (s.destroyed) return done();
            if (path.includes('kill')) {
              s.destroy();
              return done();
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
    f = await facadeWith('1', doc);
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

  it('by default (STRANGLER_SHADOW_PIPELINE unset): copies go one per connection at a time, never two in one write', async () => {
    const g = await facadeWith(undefined, table(legacy.url, `http://127.0.0.1:${(svc.address() as AddressInfo).port}`, [
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
