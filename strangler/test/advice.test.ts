import { expect } from 'chai';
import { shadowPoolShortfalls } from '../table/advice.ts';
import { DEFAULT_SHADOW_MAX_CONCURRENCY, DEFAULT_SHADOW_POOL_SIZE, validateTable, type RouteTableInput } from '../table/schema.ts';
import { DEFAULT_PIPELINE_DEPTH } from '../relay/pipeline-pool.ts';
import { captureLogger, startTestFacade, table, type TestFacade } from './helpers.ts';

const doc = (routes: RouteTableInput['routes'], svcPool?: number): RouteTableInput => ({
  version: 1,
  upstreams: { legacy: { url: 'http://127.0.0.1:1' }, svc: { url: 'http://127.0.0.1:2', ...(svcPool ? { shadowPool: svcPool } : {}) } },
  routes,
});
const shortfalls = (d: RouteTableInput, depth = 1) => {
  const v = validateTable(d);
  if (!v.ok) throw new Error(v.errors.join('; '));
  return shadowPoolShortfalls(v.table, () => depth);
};

describe('table advice: shadow pool shortfalls', () => {
  it('the defaults carry one shadowed route', () => {
    expect(DEFAULT_SHADOW_POOL_SIZE).to.be.at.least(DEFAULT_SHADOW_MAX_CONCURRENCY);
    expect(shortfalls(doc([{ id: 'a', path: '/a', legacy: 'legacy', service: 'svc', mode: 'shadow' }]))).to.deep.equal([]);
  });

  it('one copy per connection: names the upstream when its shadow routes may have more copies in flight than it has shadow connections', () => {
    const routes: RouteTableInput['routes'] = [
      { id: 'a', path: '/a', legacy: 'legacy', service: 'svc', mode: 'shadow' },
      { id: 'b', path: '/b', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { maxConcurrency: 8 } },
      // not shadowing: no copies
      { id: 'c', path: '/c', legacy: 'legacy', service: 'svc', mode: 'canary', percent: 5 },
      { id: 'd', path: '/d', legacy: 'legacy', service: 'svc', mode: 'legacy' },
    ];
    const n = DEFAULT_SHADOW_MAX_CONCURRENCY + 8;
    expect(shortfalls(doc(routes))).to.deep.equal([{ upstream: 'svc', shadowPool: DEFAULT_SHADOW_POOL_SIZE, inFlight: n, connections: n, routes: ['a', 'b'] }]);
    expect(shortfalls(doc(routes, n))).to.deep.equal([]);
    expect(shortfalls(doc([routes[0]], 4))).to.deep.equal([{ upstream: 'svc', shadowPool: 4, inFlight: DEFAULT_SHADOW_MAX_CONCURRENCY, connections: DEFAULT_SHADOW_MAX_CONCURRENCY, routes: ['a'] }]);
  });

  it('pipelined: GET copies need one connection per `depth` of them; write copies and HEAD-only routes still one each', () => {
    const get: NonNullable<RouteTableInput['routes']>[number] = { id: 'get', path: '/g', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { maxConcurrency: 200 } };
    // 200 GET copies over 16-deep pipelines: 13 connections, within the default 32 (one per connection: 200, a warning)
    expect(shortfalls(doc([get]), 16)).to.deep.equal([]);
    expect(shortfalls(doc([get]), 1)[0]).to.include({ inFlight: 200, connections: 200 });
    expect(shortfalls(doc([get], 12), 16)).to.deep.equal([{ upstream: 'svc', shadowPool: 12, inFlight: 200, connections: 13, routes: ['get'] }]);
    // a route copying writes to a dark copy sends them alone (a body): counted one per connection
    const writes: NonNullable<RouteTableInput['routes']>[number] = { id: 'w', path: '/w', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { maxConcurrency: 30, writes: 'dark-copy' } };
    expect(shortfalls(doc([get, writes]), 16)).to.deep.equal([{ upstream: 'svc', shadowPool: DEFAULT_SHADOW_POOL_SIZE, inFlight: 230, connections: 43, routes: ['get', 'w'] }]);
    // dark-copy on a route that takes only safe methods copies no writes
    expect(shortfalls(doc([get, { ...writes, methods: ['GET'] }]), 16)).to.deep.equal([]);
    // HEAD copies are never pipelined
    expect(shortfalls(doc([{ ...get, methods: ['HEAD'] }]), 16)[0]).to.include({ connections: 200 });
  });
});

describe('table advice: the facade logs the shortfall its shadow client really has @integration', () => {
  let f: TestFacade | undefined;
  const saved = process.env.STRANGLER_SHADOW_PIPELINE;
  afterEach(async () => {
    await f?.stop();
    f = undefined;
    if (saved === undefined) delete process.env.STRANGLER_SHADOW_PIPELINE;
    else process.env.STRANGLER_SHADOW_PIPELINE = saved;
  });
  // 100 GET copies in flight: 7 connections pipelined 16 deep, 100 one per connection, against the default 32
  const routes: RouteTableInput['routes'] = [{ id: 'list', methods: ['GET'], path: '/api/list', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { maxConcurrency: 100 } }];
  const shortfallLines = (lines: Record<string, unknown>[]) => lines.filter((l) => String(l.msg).includes('shadowPool is'));

  it('pipelining on (the default): no warning for GET copies the pipelines carry', async () => {
    expect(DEFAULT_PIPELINE_DEPTH).to.be.at.least(4);
    const cap = captureLogger();
    f = await startTestFacade(table('http://127.0.0.1:1', 'http://127.0.0.1:2', routes), { logger: cap.logger });
    expect(f.controller.table.routes.map((r) => r.id)).to.deep.equal(['list']);
    expect(shortfallLines(cap.lines)).to.deep.equal([]);
  });

  it('pipelining off (STRANGLER_SHADOW_PIPELINE=0): one warning naming the upstream, its copies and the connections they need', async () => {
    process.env.STRANGLER_SHADOW_PIPELINE = '0';
    const cap = captureLogger();
    f = await startTestFacade(table('http://127.0.0.1:1', 'http://127.0.0.1:2', routes), { logger: cap.logger });
    const warned = shortfallLines(cap.lines);
    expect(warned).to.have.length(1);
    expect(warned[0]).to.include({ level: 40, upstream: 'svc', inFlight: 100, connections: 100, shadowPool: DEFAULT_SHADOW_POOL_SIZE });
  });
});
