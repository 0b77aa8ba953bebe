import { expect } from 'chai';
import { Breaker } from '../breaker.ts';
import { compareResponses, normaliseJson, type CapturedResponse } from '../compare.ts';
import { decide } from '../decide.ts';
import { canaryBucket, compileSticky, inCanary, stickyKey } from '../sticky.ts';
import { validateTable, type RouteSpec } from '../table/schema.ts';
import { checkRequestTarget, isValidTraceparent, prepareForwardHeaders } from '../headers.ts';

function route(over: Record<string, unknown>): RouteSpec {
  const r = validateTable({ upstreams: { l: { url: 'http://l:1' }, s: { url: 'http://s:1' } }, routes: [{ id: 'r', path: '/x', legacy: 'l', service: 's', ...over }] });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.table.routes[0];
}
const breakerSpec = route({}).breaker;

describe('strangler sticky canary keys', () => {
  it('uses the user id leading a bearer token, then header, cookie, token, ip', () => {
    expect(stickyKey({ authorization: 'Bearer 42.abcDEF' }, '1.2.3.4', compileSticky({}))).to.equal('u:42');
    expect(stickyKey({ authorization: 'Bearer opaque' }, '1.2.3.4', compileSticky({}))).to.equal('t:opaque');
    expect(stickyKey({ 'x-user': 'u7' }, '1.2.3.4', compileSticky({ stickyHeader: 'x-user' }))).to.equal('h:u7');
    expect(stickyKey({ cookie: 'a=1; sid=s9' }, '1.2.3.4', compileSticky({ stickyCookie: 'sid' }))).to.equal('c:s9');
    expect(stickyKey({}, '1.2.3.4', compileSticky({ stickyCookie: 'sid' }))).to.equal('ip:1.2.3.4');
  });
  it('is sticky and monotone in the percentage', () => {
    const users = Array.from({ length: 2000 }, (_, i) => `u:${i}`);
    const at10 = users.filter((u) => inCanary(10, 'r', u));
    const at30 = users.filter((u) => inCanary(30, 'r', u));
    expect(at10.length).to.be.within(140, 260);
    expect(at30.length).to.be.within(500, 700);
    for (const u of at10) expect(at30).to.include(u);
    for (const u of users.slice(0, 50)) expect(canaryBucket('r', u)).to.equal(canaryBucket('r', u));
    expect(inCanary(0, 'r', 'u:1')).to.equal(false);
    expect(inCanary(100, 'r', 'u:1')).to.equal(true);
  });
});

describe('strangler mode decision (pure, injected rand/now)', () => {
  const deps = (rand = () => 0, now = () => 0) => ({ rand, now, breaker: new Breaker(breakerSpec) });
  const input = (method = 'GET', key = 'u:1', shadowInFlight = 0) => ({ method, stickyKey: () => key, shadowInFlight });

  it('legacy mode goes to legacy', () => {
    expect(decide(route({ mode: 'legacy' }), input(), deps())).to.include({ primary: 'l', target: 'legacy', shadow: null });
  });
  it('shadow mode: legacy answers, sampled copy to the service, writes only with dark-copy, bounded', () => {
    expect(decide(route({ mode: 'shadow' }), input(), deps(() => 0.5))).to.include({ primary: 'l', shadow: 's' });
    expect(decide(route({ mode: 'shadow', shadow: { sample: 0.1 } }), input(), deps(() => 0.5))).to.include({ shadow: null, reason: 'not-sampled' });
    expect(decide(route({ mode: 'shadow' }), input('POST'), deps())).to.include({ shadow: null, reason: 'write-not-shadowed' });
    expect(decide(route({ mode: 'shadow', shadow: { writes: 'dark-copy' } }), input('POST'), deps())).to.include({ shadow: 's', noise: false });
    expect(decide(route({ mode: 'shadow', shadow: { maxConcurrency: 2 } }), input('GET', 'u:1', 2), deps())).to.include({ shadow: null, reason: 'shadow-saturated' });
    expect(decide(route({ mode: 'shadow', shadow: { noiseSample: 0.5 } }), input(), deps(() => 0.2))).to.include({ noise: true });
  });
  it('canary mode splits by sticky key', () => {
    const r = route({ mode: 'canary', percent: 50 });
    const results = new Map<string, string>();
    for (let i = 0; i < 200; i++) results.set(`u:${i}`, decide(r, input('GET', `u:${i}`), deps(() => Math.random())).target);
    for (let i = 0; i < 200; i++) expect(decide(r, input('GET', `u:${i}`), deps(() => Math.random())).target).to.equal(results.get(`u:${i}`));
    const toService = [...results.values()].filter((v) => v === 'service').length;
    expect(toService).to.be.within(60, 140);
  });
  it('service mode falls back only for safe methods, and skips the service while the breaker is open', () => {
    expect(decide(route({ mode: 'service' }), input('GET'), deps())).to.include({ primary: 's', fallback: true });
    expect(decide(route({ mode: 'service' }), input('POST'), deps())).to.include({ primary: 's', fallback: false });
    expect(decide(route({ mode: 'service', fallback: false }), input('GET'), deps())).to.include({ fallback: false });
    const d = deps();
    for (let i = 0; i < breakerSpec.consecutiveFailures; i++) d.breaker.record(false, 0);
    expect(decide(route({ mode: 'service' }), input(), d)).to.include({ primary: 'l', reason: 'breaker-open' });
  });
});

describe('strangler circuit breaker (pure, injected time)', () => {
  it('opens on consecutive failures, half-opens after openMs, closes on a good probe', () => {
    const b = new Breaker({ ...breakerSpec, consecutiveFailures: 3, openMs: 1000, halfOpenProbes: 1 });
    b.record(false, 0);
    b.record(false, 1);
    expect(b.admit(2)).to.equal('yes');
    b.record(false, 2);
    expect(b.admit(3)).to.equal('no');
    expect(b.admit(999)).to.equal('no');
    expect(b.admit(1002)).to.equal('probe');
    expect(b.admit(1003)).to.equal('no'); // one probe at a time
    b.record(false, 1004, true);
    expect(b.current(1005)).to.equal('open');
    expect(b.admit(2005)).to.equal('probe');
    b.record(true, 2006, true);
    expect(b.current(2007)).to.equal('closed');
    expect(b.opens).to.equal(2);
  });
  it('opens on the error rate in the window with enough requests', () => {
    const b = new Breaker({ ...breakerSpec, consecutiveFailures: 100, errorRate: 0.5, minRequests: 10, windowMs: 1000 });
    for (let i = 0; i < 9; i++) b.record(i % 2 === 0, i);
    expect(b.current(10)).to.equal('closed');
    b.record(false, 11);
    expect(b.current(12)).to.equal('open');
  });
  it('forgets outcomes older than the window', () => {
    const b = new Breaker({ ...breakerSpec, consecutiveFailures: 100, errorRate: 0.5, minRequests: 4, windowMs: 1000 });
    b.record(false, 0);
    b.record(false, 10);
    b.record(true, 20);
    b.record(false, 5000);
    expect(b.current(5001)).to.equal('closed');
  });
});

describe('strangler response comparison (pure)', () => {
  const res = (status: number, body: unknown, ct = 'application/json'): CapturedResponse => ({
    status, headers: { 'content-type': ct }, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), truncated: false,
  });
  const spec = { ignore: ['meta.generatedAt', 'items.*.updatedAt'], unordered: [{ path: 'items', key: 'id' }], headers: ['content-type'] };

  it('ignores declared paths and array order by key', () => {
    const a = res(200, { items: [{ id: 1, n: 'a', updatedAt: 1 }, { id: 2, n: 'b', updatedAt: 2 }], meta: { generatedAt: 'x', total: 2 } });
    const b = res(200, { items: [{ id: 2, n: 'b', updatedAt: 9 }, { id: 1, n: 'a', updatedAt: 8 }], meta: { generatedAt: 'y', total: 2 } });
    expect(compareResponses(a, b, spec)).to.deep.equal({ match: true, differences: [] });
  });
  it('reports status, header and body paths that differ', () => {
    const a = res(200, { items: [{ id: 1, n: 'a' }], meta: { total: 1 } });
    const b = res(201, { items: [{ id: 1, n: 'A' }], meta: { total: 2, extra: true } }, 'text/json');
    expect(compareResponses(a, b, spec).differences).to.deep.equal(['status', 'header:content-type', 'body.items.0.n', 'body.meta.extra', 'body.meta.total']);
  });
  it('compares non-JSON bodies byte for byte', () => {
    expect(compareResponses(res(200, 'abc', 'text/plain'), res(200, 'abd', 'text/plain'), spec).differences).to.deep.equal(['body']);
  });
  it('normalises without touching the input and sorts arrays of scalars', () => {
    const v = { tags: ['b', 'a'] };
    expect(normaliseJson(v, { ignore: [], unordered: [{ path: 'tags' }] })).to.deep.equal({ tags: ['a', 'b'] });
    expect(v.tags).to.deep.equal(['b', 'a']);
  });
});

describe('strangler request headers and targets', () => {
  it('strips hop-by-hop headers and sets ids and x-forwarded-*', () => {
    const h: Record<string, string | string[] | undefined> = { connection: 'keep-alive, x-secret', 'x-secret': '1', 'keep-alive': '5', host: 'h:1', 'transfer-encoding': 'chunked', expect: '100-continue' };
    prepareForwardHeaders(h, 'rid', '10.1.1.1', false);
    expect(h).to.not.have.any.keys('connection', 'x-secret', 'keep-alive', 'transfer-encoding', 'expect');
    expect(h).to.include({ 'x-request-id': 'rid', 'x-forwarded-for': '10.1.1.1', 'x-forwarded-host': 'h:1', 'x-forwarded-proto': 'http' });
    expect(isValidTraceparent(h.traceparent)).to.equal(true);
  });
  it('never passes a client\'s own x-forwarded-host/-proto on unless the peer is a trusted proxy (host-route bypass)', () => {
    const spoofed = () => ({ host: 'api.example.com', 'x-forwarded-host': 'admin.example.com', 'x-forwarded-proto': 'https' } as Record<string, string | string[] | undefined>);
    const h = spoofed();
    prepareForwardHeaders(h, 'rid', '10.1.1.1', false);
    expect(h).to.include({ 'x-forwarded-host': 'api.example.com', 'x-forwarded-proto': 'http' });
    const t = spoofed();
    prepareForwardHeaders(t, 'rid', '10.0.0.2', false, true); // a trusted load balancer's own values are kept
    expect(t).to.include({ 'x-forwarded-host': 'admin.example.com', 'x-forwarded-proto': 'https' });
  });
  it('rejects non-path targets, dot segments and very long urls', () => {
    expect(checkRequestTarget('*')?.status).to.equal(400);
    expect(checkRequestTarget('http://x/y')?.status).to.equal(400);
    expect(checkRequestTarget('/a/../b')?.status).to.equal(400);
    expect(checkRequestTarget('/a/%2E%2e/b')?.status).to.equal(400);
    expect(checkRequestTarget('/' + 'a'.repeat(9000))?.status).to.equal(414);
    expect(checkRequestTarget('/a/b.json?x=../y')).to.equal(null);
    expect(checkRequestTarget('/%')?.status).to.equal(400); // a malformed escape is refused, not guessed at
  });
});
