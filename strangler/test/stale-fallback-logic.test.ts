/** The stale-fallback rule as pure logic: decide() with `legacyStale`, and which routes count as stale. */
import { expect } from 'chai';
import { Breaker } from '../breaker.ts';
import { decide } from '../decide.ts';
import { legacyStaleFor } from '../ownership-watch.ts';
import { validateTable, type RouteSpec } from '../table/schema.ts';

function route(over: Record<string, unknown>): RouteSpec {
  const r = validateTable({ upstreams: { l: { url: 'http://l:1' }, s: { url: 'http://s:1' } }, routes: [{ id: 'r', path: '/x', legacy: 'l', service: 's', ...over }] });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.table.routes[0];
}

describe('strangler stale-fallback rule (pure)', () => {
  const breakerSpec = route({}).breaker;
  const deps = () => ({ rand: () => 0, now: () => 0, breaker: new Breaker(breakerSpec) });
  const input = (method: string, legacyStale: boolean) => ({ method, stickyKey: () => 'u:1', shadowInFlight: 0, legacyStale });

  it('turns GET fallback into a counted refusal when legacy is stale, and leaves everything else alone', () => {
    const r = route({ mode: 'service', domain: 'work' });
    expect(decide(r, input('GET', false), deps())).to.include({ fallback: true, staleRefused: false, refuse: false });
    expect(decide(r, input('GET', true), deps())).to.include({ primary: 's', fallback: false, staleRefused: true, refuse: false });
    expect(decide(r, input('HEAD', true), deps())).to.include({ fallback: false, staleRefused: true });
    // writes never fell back: nothing to refuse
    expect(decide(r, input('POST', true), deps())).to.include({ fallback: false, staleRefused: false });
    // a route with fallback off has no fallback to refuse
    expect(decide(route({ mode: 'service', domain: 'work', fallback: false }), input('GET', true), deps())).to.include({ staleRefused: false });
    // legacy and shadow modes answer from legacy by choice, not as a fallback
    expect(decide(route({ mode: 'legacy', domain: 'work' }), input('GET', true), deps())).to.include({ target: 'legacy', refuse: false });
  });

  it('with an open breaker, refuses instead of sending a split domain to legacy', () => {
    const d = deps();
    for (let i = 0; i < breakerSpec.consecutiveFailures; i++) d.breaker.record(false, 0);
    expect(decide(route({ mode: 'service', domain: 'work' }), input('GET', false), d)).to.include({ primary: 'l', reason: 'breaker-open', refuse: false });
    expect(decide(route({ mode: 'service', domain: 'work' }), input('GET', true), d)).to.include({ refuse: true, reason: 'breaker-open-stale' });
  });

  it('counts a route stale only with a domain, no seam, and a split or unknown database', () => {
    expect(legacyStaleFor({}, 'own')).to.equal(false);
    expect(legacyStaleFor({ domain: 'work' }, 'legacy')).to.equal(false);
    expect(legacyStaleFor({ domain: 'work' }, 'own')).to.equal(true);
    expect(legacyStaleFor({ domain: 'work' }, 'unknown')).to.equal(true);
    expect(legacyStaleFor({ domain: 'work', legacyReadsThroughSeam: true }, 'own')).to.equal(false);
    expect(legacyStaleFor({ domain: 'work', legacyReadsThroughSeam: true }, 'unknown')).to.equal(false);
  });

  it('validates the new route fields with one clear message each', () => {
    const bad = validateTable({ upstreams: { l: { url: 'http://l:1' } }, routes: [{ id: 'r', path: '/x', legacy: 'l', domain: 'Work Items', legacyReadsThroughSeam: 'yes' }] });
    expect(bad.ok).to.equal(false);
    const errors = (bad as { errors: string[] }).errors.join('\n');
    expect(errors).to.match(/domain.*must be a domain name/);
    expect(errors).to.match(/legacyReadsThroughSeam/);
  });
});

describe('strangler config: STRANGLER_OWNERSHIP_URL', () => {
  it('is off when unset, reads the DSN with REDIS_URL when set, and refuses a non-mysql value without echoing it', async () => {
    const { loadFacadeConfig } = await import('../config.ts');
    expect(loadFacadeConfig({}).ownership).to.equal(undefined);
    const c = loadFacadeConfig({ STRANGLER_OWNERSHIP_URL: 'mysql://u:pw@db:3306/registry', REDIS_URL: 'redis://r:6379', STRANGLER_OWNERSHIP_POLL_MS: '500' });
    expect(c.ownership).to.deep.equal({ dsn: 'mysql://u:pw@db:3306/registry', redisUrl: 'redis://r:6379', pollMs: 500 });
    let message = '';
    try {
      loadFacadeConfig({ STRANGLER_OWNERSHIP_URL: 'postgres://u:topsecret@db/x' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/STRANGLER_OWNERSHIP_URL: must be a mysql:\/\/ DSN/);
    expect(message).to.not.include('topsecret');
  });
});

describe('strangler CLI: a route\'s domain in route show and status', () => {
  const base = { id: 'work', mode: 'service', percent: 0, methods: '*', path: '/api/work/*', legacy: 'l', service: 's', fallback: true, shadow: { sample: 1, writes: 'none', noiseSample: 0.1 } };
  const own = { domain: 'work', watched: true, database: 'own', owner: 'service', version: 3, legacyReadsThroughSeam: false, legacyCurrent: false, fallbackLive: false };

  it('says whether fallback is live, and warns when legacy answers a split domain by mode', async () => {
    const { formatRoute, formatStatus } = await import('../cli/format.ts');
    expect(formatRoute({ ...base, ownership: own })).to.include("domain    work: split (database own, v3), fallback OFF (legacy's copy is stale)");
    expect(formatRoute({ ...base, ownership: own })).to.not.include('WARNING');
    expect(formatRoute({ ...base, mode: 'shadow', ownership: own })).to.match(/WARNING {3}legacy answers this route \(shadow mode\)/);
    expect(formatRoute({ ...base, ownership: { ...own, database: 'unknown', version: null } })).to.include('split state UNKNOWN');
    expect(formatRoute({ ...base, ownership: { ...own, legacyReadsThroughSeam: true, legacyCurrent: true, fallbackLive: true } }))
      .to.include('legacy reads through the seam, fallback live');
    const status = formatStatus({
      status: 'ok', version: 2, loadedAt: 'x', uptimeSeconds: 1, source: { kind: 'file', detail: 'f', healthy: true }, routes: 1, byMode: { service: 1 }, openBreakers: [],
      fallbacks: { total: 0, byReason: {}, refused: { 'stale-fallback-refused': 4 }, rules: [] }, ownership: { watched: true, routes: [{ id: 'work', ...own }] }, lastRejection: null,
    });
    expect(status).to.include('fallbacks refused: stale-fallback-refused 4');
    expect(status).to.include("domain  work → work: split (database own, v3), fallback OFF (legacy's copy is stale)");
  });
});
