/** Pure logic of the control room: sessions and cookies, the CSRF/origin rule, live figures, view models. */
import { expect } from 'chai';
import { cookieRequestRefusal, originRefusal, type RequestFacts } from '../guard.ts';
import { parseCookies, sessionCookie, Sessions } from '../session.ts';
import { histQuantile, sampleBefore, windowFigures } from '../series.ts';
import { buildOverview, judgeRoute, totals, type RouteLive } from '../overview-model.ts';
import { countKinds, covers, diffRows, flatten, ignoreRuleFor } from '../diff-model.ts';
import { splitView, timeline } from '../data-model.ts';
import { newState } from '../../../scripts/split/lib/state.ts';
import { actionDone, duration, ms, pct } from '../web/format.ts';

describe('dashboard: sessions and cookies', function () {
  it('a session expires after its lifetime and can be destroyed', function () {
    let t = 1000;
    const s = new Sessions({ ttlMs: 50, now: () => t });
    const a = s.create('ann');
    expect(a.actor).to.equal('dashboard:ann');
    expect(s.get(a.id)).to.equal(a);
    t += 51;
    expect(s.get(a.id)).to.equal(undefined);
    const b = s.create('bob');
    s.destroy(b.id);
    expect(s.get(b.id)).to.equal(undefined);
    expect(s.get(undefined)).to.equal(undefined);
  });
  it('keeps at most `max` sessions (oldest dropped)', function () {
    const s = new Sessions({ max: 2 });
    const a = s.create('a');
    s.create('b');
    s.create('c');
    expect(s.size).to.equal(2);
    expect(s.get(a.id)).to.equal(undefined);
  });
  it('the cookie is HttpOnly, SameSite=Strict, path /; Secure only over TLS', function () {
    expect(sessionCookie('x', 60, false)).to.equal('strangler_session=x; Path=/; HttpOnly; SameSite=Strict; Max-Age=60');
    expect(sessionCookie('x', 60, true)).to.match(/; Secure$/);
  });
  it('parses cookies (first wins, malformed skipped)', function () {
    expect(parseCookies('a=1; b=%20x; a=2; junk; c=%E0')).to.deep.equal({ a: '1', b: ' x' });
    expect(parseCookies(undefined)).to.deep.equal({});
  });
});

describe('dashboard: CSRF and origin rule', function () {
  const s = { csrf: 'secret-csrf-token' };
  const facts = (o: Partial<RequestFacts>): RequestFacts => ({ method: 'POST', host: '127.0.0.1:9000', origin: 'http://127.0.0.1:9000', secFetchSite: 'same-origin', csrf: 'secret-csrf-token', ...o });
  const cases: Array<[string, Partial<RequestFacts>, string | null]> = [
    ['same-origin action with the token', {}, null],
    ['GET needs no token', { method: 'GET', csrf: undefined, origin: undefined }, null],
    ['cross-site GET (fetch metadata)', { method: 'GET', secFetchSite: 'cross-site' }, 'cross-site'],
    ['action from another origin', { origin: 'http://evil.example:9000' }, 'origin'],
    ['action from another port', { origin: 'http://127.0.0.1:9001' }, 'origin'],
    ['action without Origin', { origin: undefined }, 'origin'],
    ['action with a garbage Origin', { origin: 'null' }, 'origin'],
    ['same-site but not same-origin', { secFetchSite: 'same-site' }, 'cross-site'],
    ['action without the CSRF header', { csrf: undefined }, 'csrf'],
    ['action with a wrong CSRF header', { csrf: 'secret-csrf-tokeX' }, 'csrf'],
    ['old browser without Sec-Fetch-Site, same origin', { secFetchSite: undefined }, null],
  ];
  for (const [name, f, kind] of cases) {
    it(name, function () {
      expect(cookieRequestRefusal(facts(f), s)?.kind ?? null).to.equal(kind);
    });
  }
  it('login (always checked) needs its own origin even though it has no session', function () {
    expect(originRefusal(facts({ origin: 'http://evil.example' }), true)?.kind).to.equal('origin');
    expect(originRefusal(facts({}), true)).to.equal(null);
  });
});

describe('dashboard: live figures from counters', function () {
  const bounds = [0.01, 0.1, 1, Infinity];
  it('quantiles interpolate inside the bucket like histogram_quantile', function () {
    expect(histQuantile(bounds, [50, 100, 100, 100], 0.5)).to.be.closeTo(0.01, 1e-9);
    expect(histQuantile(bounds, [0, 100, 100, 100], 0.5)).to.be.closeTo(0.055, 1e-9);
    expect(histQuantile(bounds, [0, 0, 0, 10], 0.99)).to.equal(1);
    expect(histQuantile(bounds, [0, 0, 0, 0], 0.5)).to.equal(null);
  });
  it('rates and error share come from the difference of two samples; a reset counts from zero', function () {
    const a = { t: 0, requests: 100, errors: 10, buckets: [100, 100, 100, 100] };
    const b = { t: 10_000, requests: 150, errors: 15, buckets: [100, 150, 150, 150] };
    const f = windowFigures(bounds, b, a);
    expect(f).to.include({ requests: 50, rps: 5 });
    expect(f.errorRate).to.equal(0.1);
    expect(f.p50Ms).to.be.closeTo(55, 0.01);
    const reset = windowFigures(bounds, { t: 20_000, requests: 4, errors: 0, buckets: [4, 4, 4, 4] }, b);
    expect(reset.requests).to.equal(4);
    expect(windowFigures(bounds, a, undefined).rps).to.equal(0);
  });
  it('sampleBefore picks the newest sample at least the window old', function () {
    const s = [{ t: 0 }, { t: 4000 }, { t: 9000 }, { t: 10_000 }];
    expect(sampleBefore(s, 5)).to.deep.equal({ t: 4000 });
    expect(sampleBefore(s, 60)).to.deep.equal({ t: 0 });
    expect(sampleBefore([{ t: 1 }], 5)).to.equal(undefined);
  });
});

describe('dashboard: overview model', function () {
  const fig = (errorRate: number | null, requests = 100) => ({ requests, rps: 10, errorRate, p50Ms: 1, p99Ms: 2 });
  const route = (o: Partial<RouteLive>): RouteLive => ({
    id: 'r', methods: ['GET'], path: '/x', mode: 'legacy', percent: 0, legacy: 'legacy', service: 'catalog', breaker: 'closed',
    legacySide: fig(0), serviceSide: fig(0), shadow: { matched: 0, mismatched: 0 }, noise: { matched: 0, mismatched: 0 }, ...o,
  });
  it('judges breaker, 5xx and mismatches above noise', function () {
    expect(judgeRoute(route({})).health).to.equal('ok');
    expect(judgeRoute(route({ breaker: 'open' })).health).to.equal('bad');
    expect(judgeRoute(route({ serviceSide: fig(0.2) })).reasons).to.deep.equal(['service 5xx 20 %']);
    expect(judgeRoute(route({ serviceSide: fig(0.2, 2) })).health).to.equal('warn');
    expect(judgeRoute(route({ shadow: { matched: 80, mismatched: 20 }, noise: { matched: 95, mismatched: 5 } })).health).to.equal('warn');
    expect(judgeRoute(route({ shadow: { matched: 94, mismatched: 6 }, noise: { matched: 95, mismatched: 5 } })).health).to.equal('ok');
  });
  it('groups per service, counts modes, unhealthy groups and routes first', function () {
    const g = buildOverview([
      route({ id: 'a', mode: 'service' }), route({ id: 'b', mode: 'shadow', breaker: 'open' }),
      route({ id: 'c', service: null, serviceSide: null }), route({ id: 'd', service: 'users', mode: 'canary', percent: 5 }),
    ]);
    expect(g.map((x) => x.name)).to.deep.equal(['catalog', 'legacy only', 'users']);
    expect(g[0].routes.map((r) => r.id)).to.deep.equal(['b', 'a']);
    expect(g[0].counts).to.deep.equal({ service: 1, canary: 0, shadow: 1, legacy: 0 });
    expect(totals(g)).to.deep.equal({ service: 1, canary: 1, shadow: 1, legacy: 1, routes: 4 });
  });
});

describe('dashboard: side-by-side diff model', function () {
  it('flattens JSON to body paths in the comparison syntax', function () {
    expect([...flatten({ a: [1, { b: null }], e: {} })]).to.deep.equal([['body.a.0', '1'], ['body.a.1.b', 'null'], ['body.e', '{}']]);
  });
  it('ignore rules generalise indexes and cover sub-paths', function () {
    expect(ignoreRuleFor('body.items.3.price')).to.equal('body.items.*.price');
    expect(covers('body.items.*.price', 'body.items.7.price')).to.equal(true);
    expect(covers('body.meta', 'body.meta.at')).to.equal(true);
    expect(covers('body.meta.at', 'body.meta')).to.equal(false);
  });
  it('marks real differences, noise, ignored and same rows', function () {
    const legacy = JSON.stringify({ id: 1, price: 100, generatedAt: 'x', items: [{ at: 1 }], etag: 'a' });
    const service = JSON.stringify({ id: 1, price: 120, generatedAt: 'y', items: [{ at: 2 }], etag: 'b', extra: true });
    const rows = diffRows(legacy, service, ['body.generatedAt', 'body.items.0.at'], ['body.etag']);
    const kind = Object.fromEntries(rows.map((r) => [r.path, r.kind]));
    expect(kind).to.deep.equal({ 'body.id': 'same', 'body.price': 'real', 'body.generatedAt': 'noise', 'body.items.0.at': 'noise', 'body.etag': 'ignored', 'body.extra': 'real' });
    expect(rows.find((r) => r.path === 'body.extra')!.legacy).to.equal(undefined);
    expect(countKinds(rows)).to.deep.equal({ real: 2, noise: 2, ignored: 1, same: 1 });
  });
  it('a body that is not JSON (or cut) is one row', function () {
    expect(diffRows('<html>', '{"a":1}', [], []).map((r) => [r.path, r.kind])).to.deep.equal([['body', 'real'], ['body.a', 'real']]);
    expect(diffRows('{"a":1}', undefined, [], []).map((r) => r.kind)).to.deep.equal(['real']);
  });
});

describe('dashboard: data page model', function () {
  const state = (rows: number, at: string) => {
    const s = newState('product', 'src', 'dst', ['products'], 100, new Date('2026-01-01T00:00:00Z'));
    s.tables.products = { minPk: '1', maxPk: '1000', lastPk: String(rows), rows, chunks: 1, done: false, intKey: true, segments: [{ lo: null, hi: '1000', lastPk: String(rows), done: false }] };
    s.updatedAt = at;
    return s;
  };
  it('rows/s, ETA, backlog growth and lag from two reads', function () {
    const prev = { t: 0, state: state(200, 'a'), backlog: 10 };
    const cur = { t: 2000, state: state(400, 'b'), backlog: 30 };
    cur.state.applied.forward = 40;
    const v = splitView(cur, prev);
    expect(v.copy.rowsCopied).to.equal(400);
    expect(v.copy.fraction).to.be.closeTo(0.4, 0.01);
    expect(v.copy.rowsPerSecond).to.equal(100);
    expect(v.copy.etaSeconds).to.be.closeTo(6, 0.5);
    expect(v.backlog).to.deep.include({ rows: 30, growingPerSecond: 10, applied: 40, lagSeconds: 2 });
    expect(splitView(cur, null).copy.rowsPerSecond).to.equal(null);
  });
  it('last verify and freezes', function () {
    const s = state(1000, 'a');
    s.phase = 'copied';
    s.verify = { direction: 'forward', startedAt: 'x', finishedAt: 'y', tables: { products: { lastPk: null, chunks: 3, rows: 1000, mismatchedChunks: 0, done: true } }, differences: [], differencesFound: 2, inFlight: 0, ok: false };
    s.attempts.push({ at: 'z', kind: 'cutover', ok: true, freezeMs: 420 });
    const v = splitView({ t: 0, state: s, backlog: 0 }, null);
    expect(v.verify).to.deep.include({ rowsCompared: 1000, differences: 2, ok: false, finishedAt: 'y' });
    expect(v.freezes).to.deep.equal([{ at: 'z', kind: 'cutover', ok: true, freezeMs: 420, error: null }]);
    expect(v.backlog.lagSeconds).to.equal(0);
    expect(v.copy.fraction).to.equal(1);
  });
  it('a verify begun before a moved table\'s definition changed is stale, as split-db\'s gate reads it', function () {
    const s = state(1000, 'a');
    s.phase = 'copied';
    s.verify = { direction: 'forward', startedAt: '2026-01-01T00:00:10Z', finishedAt: '2026-01-01T00:00:20Z', tables: {}, differences: [], differencesFound: 0, inFlight: 0, ok: true };
    expect(splitView({ t: 0, state: s, backlog: 0 }, null)).to.deep.include({ schemaChangedAt: null, verifyStale: false });
    s.schemaChangedAt = '2026-01-01T00:00:15Z';
    expect(splitView({ t: 0, state: s, backlog: 0 }, null)).to.deep.include({ schemaChangedAt: '2026-01-01T00:00:15Z', verifyStale: true });
    s.verify.startedAt = '2026-01-01T00:00:15Z';
    expect(splitView({ t: 0, state: s, backlog: 0 }, null).verifyStale, 'begun in the same millisecond: after it').to.equal(false);
    delete s.verify;
    expect(splitView({ t: 0, state: s, backlog: 0 }, null).verifyStale, 'no verify since').to.equal(true);
  });

  it('one timeline of route changes and split events, newest first', function () {
    const s = state(0, 'a');
    s.history.push({ at: '2026-01-01T00:00:02Z', event: 'copy-started' });
    const t = timeline([{ at: '2026-01-01T00:00:01Z', who: 'ann', route: 'r1', action: 'set', from: { mode: 'legacy', percent: 0 }, to: { mode: 'canary', percent: 5 }, reason: 'try', version: 2 }], [s]);
    expect(t.map((x) => [x.kind, x.subject, x.what])).to.deep.equal([
      ['split', 'product', 'copy-started'], ['route', 'r1', 'set: legacy → canary 5%'], ['split', 'product', 'created'],
    ]);
  });
});

describe('dashboard: formatting', function () {
  it('formats percentages, milliseconds and durations', function () {
    expect(pct(0.1234)).to.equal('12.3 %');
    expect(pct(null)).to.equal('—');
    expect(ms(1.234)).to.equal('1.2 ms');
    expect(ms(250.4)).to.equal('250 ms');
    expect(duration(75)).to.equal('1 min 15 s');
    expect(duration(7300)).to.equal('2 h 2 min');
  });
});

describe('dashboard: the sampler runs only while watched', function () {
  it('starts on a read and stops after the idle time', async function () {
    const { createMetrics } = await import('../../metrics.ts');
    const { StatsStore } = await import('../../stats.ts');
    const { Sampler } = await import('../sampler.ts');
    const m = createMetrics();
    let t = 0;
    const s = new Sampler({ metrics: m, stats: new StatsStore(m), routes: () => [{ id: 'r', legacy: 'l' }], now: () => t, idleMs: 100 });
    expect(s.running).to.equal(false);
    s.watched(5);
    expect(s.running).to.equal(true);
    t = 50;
    s.watched(5);
    t = 140; // 90 ms after the last read: still sampling
    await new Promise((r) => setTimeout(r, 30));
    expect(s.running).to.equal(true);
    t = 251;
    const deadline = Date.now() + 2000;
    while (s.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(s.running).to.equal(false);
  });
});

describe('dashboard: STRANGLER_SPLIT_STATE_URLS', function () {
  it('takes comma-separated mysql:// DSNs naming a database; refuses anything else with the variable named', async function () {
    const { loadFacadeConfig } = await import('../../config.ts');
    expect(loadFacadeConfig({}).splitStateDsns).to.deep.equal([]);
    expect(loadFacadeConfig({ STRANGLER_SPLIT_STATE_URLS: 'mysql://r@db1:3306/legacy, mysql://r:p@db2/shop ,' }).splitStateDsns).to.deep.equal(['mysql://r@db1:3306/legacy', 'mysql://r:p@db2/shop']);
    expect(() => loadFacadeConfig({ STRANGLER_SPLIT_STATE_URLS: 'mysql://r@db1:3306/' })).to.throw(/STRANGLER_SPLIT_STATE_URLS/);
    expect(() => loadFacadeConfig({ STRANGLER_SPLIT_STATE_URLS: 'postgres://x/y' })).to.throw(/STRANGLER_SPLIT_STATE_URLS/);
  });
});

describe('dashboard: latency series', function () {
  it('draws from the second sample on, legacy and service aligned by time', async function () {
    const { createMetrics } = await import('../../metrics.ts');
    const { StatsStore } = await import('../../stats.ts');
    const { Sampler } = await import('../sampler.ts');
    const m = createMetrics();
    const stats = new StatsStore(m);
    let t = 0;
    const route = { id: 'r', legacy: 'l', service: 's' };
    const s = new Sampler({ metrics: m, stats, routes: () => [route], now: () => t });
    await s.sample();
    expect(s.latencySeries(route).t).to.deep.equal([]);
    stats.get('r').record('l', 200, 0.004);
    stats.get('r').record('s', 200, 0.02);
    t = 1000;
    await s.sample();
    const one = s.latencySeries(route);
    expect(one.t).to.deep.equal([1]);
    expect(one.legacyP50[0]).to.be.within(2.5, 5);
    expect(one.serviceP50[0]).to.be.within(10, 25);
    t = 2000;
    await s.sample();
    const two = s.latencySeries(route);
    expect(two.t).to.deep.equal([1, 2]);
    expect(two.legacyP50[1]).to.be.within(2.5, 5); // still inside the 5-sample window
  });
});

describe('dashboard: the line an action leaves (pure)', () => {
  it('says done, and adds the facade\'s warnings when the change works but not as it seems to', () => {
    expect(actionDone('Put in shadow', 'compare', undefined)).to.deep.equal({ text: 'Put in shadow: done (compare)', warn: false });
    expect(actionDone('Put in shadow', 'compare', [])).to.deep.equal({ text: 'Put in shadow: done (compare)', warn: false });
    expect(actionDone('Put in shadow', 'compare', ['upstream svc: its shadow routes (a) may have 8 copies in flight, needing 8 shadow connections, but shadowPool is 1; …']))
      .to.deep.equal({ text: 'Put in shadow: done (compare). Warning: upstream svc: its shadow routes (a) may have 8 copies in flight, needing 8 shadow connections, but shadowPool is 1; …', warn: true });
  });
});
