/**
 * Shadow copies at sample 1.0 are all sent while the route is under its `maxConcurrency`: the upstream's shadow
 * connections (`shadowPool`) must not be a lower, hidden cap. With the old default of 4 connections, copies queued
 * behind 4 slow answers, the queue filled the route's in-flight cap and further copies were skipped: in the facade
 * benchmark 58 % of the requests at "sample 1.0" got no copy, and the copies' latency was mostly the queue.
 */
import { expect } from 'chai';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_SHADOW_MAX_CONCURRENCY } from '../table/schema.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { formatRoute } from '../cli/format.ts';
import { admin, json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';

describe('shadow capacity: the default shadow pool carries a route\'s default in-flight copies @integration', () => {
  let legacy: StandIn;
  let svc: Server;
  /** Copies the service holds unanswered. */
  const held: ServerResponse[] = [];
  let maxHeld = 0;
  let f: TestFacade;

  before(async () => {
    legacy = await startStandIn((_req, res) => json(res, 200, { ok: true }));
    svc = createServer((req, res) => {
      req.resume();
      held.push(res);
      maxHeld = Math.max(maxHeld, held.length);
    });
    await new Promise<void>((r) => svc.listen(0, '127.0.0.1', () => r()));
    // no shadowPool in the table and no maxConcurrency on the route: the defaults
    f = await startTestFacade(table(legacy.url, `http://127.0.0.1:${(svc.address() as AddressInfo).port}`, [
      { id: 'all', path: '/api/all', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { timeoutMs: 5000, noiseSample: 0 } },
    ]));
  });
  after(async () => {
    for (const r of held.splice(0)) r.destroy();
    await f.stop();
    await legacy.close();
    svc.closeAllConnections();
    await new Promise<void>((r) => svc.close(() => r()));
  });

  it(`sends all ${DEFAULT_SHADOW_MAX_CONCURRENCY} copies at once while the service holds them, skips the next, and compares them all`, async () => {
    const n = DEFAULT_SHADOW_MAX_CONCURRENCY;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => send(`${f.url}/api/all?i=${i}`)));
    expect(answers.map((a) => a.status)).to.deep.equal(answers.map(() => 200));
    // every copy reaches the service while none is answered (the old 4-connection pool stopped at 4)
    await waitFor(() => held.length === n, { what: `${n} copies held by the service at once (max seen ${maxHeld})`, timeoutMs: 3000 });
    const s = () => f.stats.get('all').shadow;
    expect(s().inFlight).to.equal(n);
    // at the route's cap the next request gets no copy, and says so
    expect((await send(`${f.url}/api/all?i=over`)).status).to.equal(200);
    expect(s().skipped).to.equal(1);
    for (const r of held.splice(0)) json(r, 200, { ok: true });
    await waitFor(() => s().inFlight === 0 && s().matched === n, { what: 'every copy compared' });
    expect(s()).to.include({ sent: n, matched: n, mismatched: 0, errors: 0, skipped: 1 });
    // and `strangler route show` says so
    expect(formatRoute((await admin(f, '/routes/all')).json())).to.include(`shadow    sent ${n}, match ${n}, mismatch 0, errors 0, skipped 1 (over maxConcurrency copies in flight)`);
  });
});
