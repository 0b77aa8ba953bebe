import { expect } from 'chai';
import { shadowPoolShortfalls } from '../table/advice.ts';
import { DEFAULT_SHADOW_MAX_CONCURRENCY, DEFAULT_SHADOW_POOL_SIZE, validateTable, type RouteTableInput } from '../table/schema.ts';

const doc = (routes: RouteTableInput['routes'], svcPool?: number): RouteTableInput => ({
  version: 1,
  upstreams: { legacy: { url: 'http://127.0.0.1:1' }, svc: { url: 'http://127.0.0.1:2', ...(svcPool ? { shadowPool: svcPool } : {}) } },
  routes,
});
const shortfalls = (d: RouteTableInput) => {
  const v = validateTable(d);
  if (!v.ok) throw new Error(v.errors.join('; '));
  return shadowPoolShortfalls(v.table);
};

describe('table advice: shadow pool shortfalls', () => {
  it('the defaults carry one shadowed route', () => {
    expect(DEFAULT_SHADOW_POOL_SIZE).to.be.at.least(DEFAULT_SHADOW_MAX_CONCURRENCY);
    expect(shortfalls(doc([{ id: 'a', path: '/a', legacy: 'legacy', service: 'svc', mode: 'shadow' }]))).to.deep.equal([]);
  });

  it('names the upstream when its shadow routes may have more copies in flight than it has shadow connections', () => {
    const routes: RouteTableInput['routes'] = [
      { id: 'a', path: '/a', legacy: 'legacy', service: 'svc', mode: 'shadow' },
      { id: 'b', path: '/b', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { maxConcurrency: 8 } },
      // not shadowing: no copies
      { id: 'c', path: '/c', legacy: 'legacy', service: 'svc', mode: 'canary', percent: 5 },
      { id: 'd', path: '/d', legacy: 'legacy', service: 'svc', mode: 'legacy' },
    ];
    expect(shortfalls(doc(routes))).to.deep.equal([{ upstream: 'svc', shadowPool: DEFAULT_SHADOW_POOL_SIZE, inFlight: DEFAULT_SHADOW_MAX_CONCURRENCY + 8, routes: ['a', 'b'] }]);
    expect(shortfalls(doc(routes, DEFAULT_SHADOW_MAX_CONCURRENCY + 8))).to.deep.equal([]);
    expect(shortfalls(doc([routes[0]], 4))).to.deep.equal([{ upstream: 'svc', shadowPool: 4, inFlight: DEFAULT_SHADOW_MAX_CONCURRENCY, routes: ['a'] }]);
  });
});
