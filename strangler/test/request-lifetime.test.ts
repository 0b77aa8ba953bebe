/**
 * Requests die young (issue 15): once a request has been answered, nothing of the facade's keeps its objects alive
 * until a later timer tick. A request body's idle watcher used to hold every settled body-carrying exchange (and
 * with it the request, the response and their buffers) until its next sweep, up to 1 s later: under load thousands
 * of finished requests survived young-generation collections and were copied into the old generation.
 */
import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The body watcher's sweep period with this idle timeout (facade.ts: a quarter of it, at most 1 s). */
const BODY_IDLE_TIMEOUT_MS = 60_000;
const SWEEP_MS = 1000;

describe('strangler request lifetime: answered requests are garbage at once', () => {
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade;
  let requests: WeakRef<IncomingMessage>[];

  beforeEach(async () => {
    legacy = await startStandIn((_req, res, body) => json(res, 200, { from: 'legacy', got: body.length }));
    svc = await startStandIn((_req, res, body) => json(res, 200, { from: 'svc', got: body.length }));
    f = await startTestFacade(table(legacy.url, svc.url, [
      // a body on a route that may fall back to legacy is buffered first (one copy for both)
      { id: 'orders.create', methods: ['POST'], path: '/api/orders', legacy: 'legacy', service: 'svc', mode: 'service' },
    ]), { config: { bodyIdleTimeoutMs: BODY_IDLE_TIMEOUT_MS } });
    requests = [];
    f.server.on('request', (req: IncomingMessage) => requests.push(new WeakRef(req)));
  });

  afterEach(async () => {
    await f.stop();
    await legacy.close();
    await svc.close();
  });

  /** Collects until every request seen is gone; false when one is still reachable after a few collections. */
  async function allCollected(): Promise<boolean> {
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      gc();
      if (requests.every((r) => r.deref() === undefined)) return true;
    }
    return false;
  }

  for (const c of [
    { name: 'a streamed body (fallback rule)', path: '/api/uploads', from: 'legacy' },
    { name: 'a buffered body (service route with legacy fallback)', path: '/api/orders', from: 'svc' },
  ]) {
    it(`${c.name}: the request is collectable as soon as it is answered, before the body watcher's next sweep`, async function () {
      const started = performance.now();
      const r = await send(f.url + c.path, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(4096) });
      expect(r.status).to.equal(200);
      expect(r.json()).to.deep.equal({ from: c.from, got: 4096 });
      expect(requests.length).to.equal(1);
      const collected = await allCollected();
      // a sweep in between would have let go of it anyway: then this run proves nothing
      if (performance.now() - started >= SWEEP_MS) this.skip();
      expect(collected, 'the answered request is still reachable').to.equal(true);
    });
  }
});
