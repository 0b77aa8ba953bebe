/**
 * A client that leaves while a fallback is under way: the service's failed answer (a 5xx whose body is still
 * arriving, swallowed) and the legacy request that replaced it are both cancelled, and the client's abort is
 * counted. Pins the behaviour the engine's shared response `close` listener must keep (engine.ts: every forward
 * on a response hears of its client leaving, the one a fallback took over from included).
 */
import { expect } from 'chai';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { waitFor } from '../../test/helpers/wait.ts';
import { startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';

describe('strangler client abort during a fallback @integration', () => {
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade;
  const closed = { legacy: 0, svc: 0 };

  before(async () => {
    // legacy never answers; the service sends a 500 head and one chunk of its body, then holds the rest
    legacy = await startStandIn((req) => {
      req.on('close', () => closed.legacy++);
    }, { readBody: false });
    svc = await startStandIn((req, res) => {
      req.on('close', () => closed.svc++);
      res.writeHead(500, { 'content-type': 'application/json' });
      res.write('{"error":');
    }, { readBody: false });
    const doc = table(legacy.url, svc.url, [
      { id: 'orders.list', methods: ['GET'], path: '/api/orders', legacy: 'legacy', service: 'svc', mode: 'service' },
    ]);
    // upstream deadlines far beyond the wait below: only the client's leaving can end these requests in time
    doc.upstreams.legacy.timeoutMs = 60_000;
    doc.upstreams.svc.timeoutMs = 60_000;
    f = await startTestFacade(doc);
  });

  after(async () => {
    await f.stop();
    await legacy.close();
    await svc.close();
  });

  it('cancels the swallowed service request and the legacy one, and counts one abort', async () => {
    let client: ClientRequest | null = null;
    client = httpRequest(`${f.url}/api/orders`, { agent: false });
    client.on('error', () => undefined);
    client.end();
    await waitFor(() => svc.hits.length === 1 && legacy.hits.length === 1, { what: 'the service answered 500 and legacy got the fallback' });
    expect(closed).to.deep.equal({ legacy: 0, svc: 0 });
    client.destroy();
    await waitFor(() => closed.legacy === 1 && closed.svc === 1, { what: 'both upstream requests cancelled', timeoutMs: 5000 });
    const stats = f.stats.get('orders.list');
    await waitFor(() => stats.aborted === 1, { what: 'the abort counted' });
    // one client left once: one abort by phase too (the swallowed service forward cancels without counting)
    expect(Object.values(stats.aborts).reduce((a, b) => a + b, 0), JSON.stringify(stats.aborts)).to.equal(1);
    expect(stats.aborts.waiting).to.equal(1);
    expect(svc.sockets.size + legacy.sockets.size, 'no upstream connection kept').to.equal(0);
  });
});
