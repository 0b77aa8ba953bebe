/**
 * Canary stickiness for real apps (issue #13): JWT users bucketed by `sub`, explicit configuration beating every
 * heuristic, X-Forwarded-For only through trusted proxies. Unit tests of the pure key function, then a real facade.
 */
import { expect } from 'chai';
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { loadFacadeConfig } from '../config.ts';
import { prepareForwardHeaders } from '../headers.ts';
import { clientAddress, compileSticky, inCanary, jwtPayload, stickyConfig, stickyKey, type StickyOptions } from '../sticky.ts';
import { validateTable } from '../table/schema.ts';
import { json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';

const SECRET = 'test-secret-not-a-real-one';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An HS256 JWT signed like an app would (a fresh jti and iat each time, so two tokens of one user differ). */
function jwt(payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const body = `${b64(header)}.${b64({ iat: Math.floor(Date.now() / 1000), jti: randomUUID(), ...payload })}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}
/** A fixed UUID-shaped user id per number (deterministic, so the split is the same on every run). */
const uuidFor = (n: number) => createHash('sha256').update(`user ${n}`).digest('hex').slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const key = (headers: Record<string, string>, opts: StickyOptions = {}, remote = '198.51.100.7', extra: string[] = []) => stickyKey(headers, remote, compileSticky(opts, extra));

describe('strangler sticky keys for real apps (issue #13)', () => {
  it('1,000 HS256 JWT users in a 50 % canary split 45-55 %, each user always on the same side (default configuration)', () => {
    const config = compileSticky({});
    let inService = 0;
    for (let u = 1; u <= 1000; u++) {
      const sub = u % 2 === 0 ? String(u) : uuidFor(u);
      const first = inCanary(50, 'orders.list', stickyKey(bearer(jwt({ sub, name: `User ${u}` })), '10.0.0.1', config));
      for (let again = 0; again < 3; again++) {
        const other = inCanary(50, 'orders.list', stickyKey(bearer(jwt({ sub, scope: `s${again}` })), `10.0.${again}.9`, config));
        expect(other, `user ${sub} on the same side with another token`).to.equal(first);
      }
      if (first) inService++;
    }
    expect(inService).to.be.within(450, 550);
  });

  it('a JWT is keyed by its sub (numbers too), else by the whole token; only a real JWT header counts', () => {
    expect(key(bearer(jwt({ sub: 'alice' })))).to.equal('u:alice');
    expect(key(bearer(jwt({ sub: 42 })))).to.equal('u:42');
    const noSub = jwt({ uid: 'x' });
    expect(key(bearer(noSub))).to.equal('t:' + noSub);
    for (const sub of ['', { id: 1 }, ['a'], null, true, 'x'.repeat(600)]) {
      const t = jwt({ sub });
      expect(key(bearer(t)), JSON.stringify(sub)).to.equal('t:' + t);
    }
    // three segments but no JSON header with alg: not a JWT, and not `<id>.<random>` either (more than one dot)
    const noAlg = `${b64({ typ: 'JWT' })}.${b64({ sub: 'a' })}.sig`;
    expect(key(bearer(noAlg))).to.equal('t:' + noAlg);
    expect(key(bearer('v1.abc.def'))).to.equal('t:v1.abc.def');
    expect(key(bearer(`${b64({ alg: 'HS256' })}.!!!.sig`))).to.match(/^t:/);
    // the demo apps' `<userId>.<random>` tokens keep their user id (and share the u: space with JWT subs)
    expect(key(bearer(`42.${randomBytes(32).toString('base64url')}`))).to.equal('u:42');
    expect(key(bearer(jwt({ sub: '42' })))).to.equal('u:42');
    expect(key({ authorization: 'bearer   opaque-token  ' })).to.equal('t:opaque-token');
    expect(key({ authorization: 'Basic dXNlcjpwYXNz' })).to.equal('ip:198.51.100.7');
  });

  it('never parses JSON for tokens that are not JWTs (the hot path)', () => {
    const parse = JSON.parse;
    let calls = 0;
    JSON.parse = ((...args: Parameters<typeof JSON.parse>) => {
      calls++;
      return parse(...args);
    }) as typeof JSON.parse;
    try {
      const config = compileSticky({});
      for (const t of ['42.abcdef', 'opaque', 'v1.abc.def', 'eyJ.only-two', 'a.b.c.d', randomBytes(48).toString('base64url')]) stickyKey(bearer(t), '1.2.3.4', config);
      stickyKey({}, '1.2.3.4', config);
    } finally {
      JSON.parse = parse;
    }
    expect(calls).to.equal(0);
  });

  it('an explicit sticky option beats every heuristic; when the request lacks it, the defaults apply', () => {
    const token = jwt({ sub: 'alice', org: 'acme', uid: 7 });
    const h = { ...bearer(token), 'x-tenant-user': 't-9', cookie: 'a=1; sid=s-3' };
    expect(key(h)).to.equal('u:alice');
    expect(key(h, { sticky: { from: 'header', name: 'x-tenant-user' } })).to.equal('h:t-9');
    expect(key(h, { sticky: { from: 'cookie', name: 'sid' } })).to.equal('c:s-3');
    expect(key(h, { sticky: { from: 'jwt', claim: 'uid' } })).to.equal('u:7');
    expect(key(h, { sticky: { from: 'address' } })).to.equal('ip:198.51.100.7');
    expect(key(h, { sticky: { from: 'token-prefix' } })).to.equal('u:' + token.slice(0, token.indexOf('.')));
    expect(key(bearer('9.a.b'), { sticky: { from: 'token-prefix' } })).to.equal('u:9');
    // deprecated aliases are explicit too: they now beat the bearer heuristics (before: the token's id won)
    expect(key({ ...bearer('42.abc'), 'x-user': 'u7' }, { stickyHeader: 'x-user' })).to.equal('h:u7');
    expect(key({ ...bearer(token), cookie: 'sid=s9' }, { stickyCookie: 'sid' })).to.equal('c:s9');
    expect(key({ cookie: 'sid=s9', 'x-user': 'u7' }, { stickyHeader: 'x-user', stickyCookie: 'sid' })).to.equal('h:u7');
    // missing from the request → the default order
    expect(key(bearer(token), { sticky: { from: 'header', name: 'x-tenant-user' } })).to.equal('u:alice');
    expect(key(bearer(jwt({ sub: 'bob' })), { sticky: { from: 'jwt', claim: 'uid' } })).to.equal('u:bob');
    expect(key({}, { sticky: { from: 'cookie', name: 'sid' } })).to.equal('ip:198.51.100.7');
  });

  it('X-Forwarded-For is ignored without trusted proxies: spoofing it moves nobody', () => {
    const config = compileSticky({});
    const base = stickyKey({}, '198.51.100.7', config);
    for (const xff of ['1.1.1.1', '10.0.0.1, 2.2.2.2', 'garbage', '198.51.100.8']) {
      expect(stickyKey({ 'x-forwarded-for': xff }, '198.51.100.7', config), xff).to.equal(base);
    }
    // also when the peer is a would-be proxy nobody configured
    expect(key({ 'x-forwarded-for': '1.1.1.1' }, {}, '10.0.0.5')).to.equal('ip:10.0.0.5');
  });

  it('through trusted proxies, X-Forwarded-For is walked from the right, skipping trusted hops', () => {
    const trusted = compileSticky({ trustedProxies: ['10.0.0.0/8', '2001:db8::/32'] }).trusted;
    const addr = (xff: string | undefined, remote: string) => clientAddress(xff === undefined ? {} : { 'x-forwarded-for': xff }, remote, trusted);
    expect(addr('203.0.113.9', '10.0.0.5')).to.equal('203.0.113.9');
    // a client-supplied (spoofed) entry on the left is not believed: the first untrusted from the right wins
    expect(addr('6.6.6.6, 203.0.113.9', '10.0.0.5')).to.equal('203.0.113.9');
    expect(addr('6.6.6.6, 203.0.113.9, 10.1.2.3', '10.0.0.5')).to.equal('203.0.113.9');
    // an untrusted peer is the client, whatever it claims
    expect(addr('203.0.113.9', '198.51.100.7')).to.equal('198.51.100.7');
    // all hops trusted: the leftmost; no header: the peer
    expect(addr('10.9.9.9, 10.1.1.1', '10.0.0.5')).to.equal('10.9.9.9');
    expect(addr(undefined, '10.0.0.5')).to.equal('10.0.0.5');
    // IPv4-mapped peers, IPv6 ranges, ports and brackets
    expect(addr('203.0.113.9', '::ffff:10.0.0.5')).to.equal('203.0.113.9');
    expect(addr('[2001:db9::1]:443, 2001:db8::7', '10.0.0.5')).to.equal('2001:db9::1');
    expect(addr('203.0.113.9:51000', '10.0.0.5')).to.equal('203.0.113.9');
    // the facade appends the peer to X-Forwarded-For before the key is taken: same answer
    const headers: Record<string, string | undefined> = { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' };
    prepareForwardHeaders(headers as never, 'rid', '10.0.0.5', false);
    expect(clientAddress(headers, '10.0.0.5', trusted)).to.equal('203.0.113.9');
    // env proxies add to the table's
    expect(key({ 'x-forwarded-for': '203.0.113.9' }, {}, '192.0.2.1', ['192.0.2.0/24'])).to.equal('ip:203.0.113.9');
    expect(key({ 'x-forwarded-for': '203.0.113.9' }, { sticky: { from: 'address' }, trustedProxies: ['192.0.2.1'] }, '192.0.2.1')).to.equal('ip:203.0.113.9');
  });

  it('compiles once per options object', () => {
    const opts: StickyOptions = { stickyHeader: 'x-user' };
    const env: string[] = ['10.0.0.1'];
    expect(stickyConfig(opts, env)).to.equal(stickyConfig(opts, env));
    expect(stickyConfig({ ...opts }, env)).to.not.equal(stickyConfig(opts, env));
  });

  it('jwtPayload decodes without verifying (bucketing only)', () => {
    const forged = `${b64({ alg: 'none' })}.${b64({ sub: 'admin' })}.`;
    expect(jwtPayload(forged)).to.deep.equal({ sub: 'admin' });
    expect(jwtPayload('not-a-jwt')).to.equal(null);
  });

  it('the table validates sticky and trustedProxies with one clear message per field; the old aliases still load', () => {
    const errs = (options: unknown) => {
      const r = validateTable({ upstreams: { a: { url: 'http://a:1' } }, options });
      return r.ok ? r.table.options : r.errors;
    };
    expect(errs({ sticky: { from: 'nope' } })).to.deep.equal(['options.sticky.from: "from" must be one of "jwt", "header", "cookie", "token-prefix", "address"']);
    expect(errs({ sticky: { from: 'header' } })).to.deep.equal(['options.sticky.name: required: the header to read']);
    expect(errs({ sticky: { from: 'cookie', name: 'a b' } })).to.deep.equal(['options.sticky.name: must be a cookie name (letters, digits, - and the other token characters)']);
    expect(errs({ sticky: { from: 'address', name: 'x' } })).to.deep.equal(['options.sticky: Unrecognized key: "name"']);
    expect(errs({ sticky: { from: 'header', name: 'X-User' }, stickyCookie: 'sid' })).to.deep.equal(['options.sticky: cannot be combined with the deprecated stickyHeader/stickyCookie: keep only sticky']);
    expect(errs({ trustedProxies: ['10.0.0.0/8', 'fd00::/129', 'lb.internal'] })).to.deep.equal([
      'options.trustedProxies.1: "fd00::/129": the prefix length must be 0..128',
      'options.trustedProxies.2: "lb.internal" is not an IP address or CIDR (e.g. 10.0.0.0/8)',
    ]);
    expect(errs({ sticky: { from: 'jwt' } })).to.deep.include({ sticky: { from: 'jwt', claim: 'sub' } });
    expect(errs({ sticky: { from: 'header', name: 'X-User' } })).to.deep.include({ sticky: { from: 'header', name: 'x-user' } });
    expect(errs({ stickyHeader: 'X-User', stickyCookie: 'sid' })).to.deep.include({ stickyHeader: 'x-user', stickyCookie: 'sid' });
  });

  it('STRANGLER_TRUSTED_PROXIES: none by default, a list of IPs/CIDRs, a clear message for a bad entry', () => {
    expect(loadFacadeConfig({}).trustedProxies).to.deep.equal([]);
    expect(loadFacadeConfig({ STRANGLER_TRUSTED_PROXIES: ' 10.0.0.0/8, ::1 ,' }).trustedProxies).to.deep.equal(['10.0.0.0/8', '::1']);
    expect(() => loadFacadeConfig({ STRANGLER_TRUSTED_PROXIES: '10.0.0.0/8,lb' })).to.throw(/STRANGLER_TRUSTED_PROXIES: "lb" is not an IP address or CIDR/);
  });
});

describe('strangler sticky canary through a real facade @integration', () => {
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade | null = null;
  before(async () => {
    legacy = await startStandIn((_req, res) => json(res, 200, { who: 'legacy' }));
    svc = await startStandIn((_req, res) => json(res, 200, { who: 'svc' }));
  });
  after(async () => {
    await legacy.close();
    await svc.close();
  });
  afterEach(async () => {
    await f?.stop();
    f = null;
  });
  const canary = (options: Record<string, unknown> = {}) => table(legacy.url, svc.url, [{ id: 'orders.list', path: '/api/orders', legacy: 'legacy', service: 'svc', mode: 'canary', percent: 50 }], { options: { routeHeader: true, ...options } });

  /** Sends each request (at most 16 at once) and returns which upstream answered it. */
  async function who(headers: Record<string, string>[]): Promise<string[]> {
    const out: string[] = new Array(headers.length);
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < headers.length) {
        const i = next++;
        const r = await send(`${f!.url}/api/orders`, { headers: headers[i] });
        expect(r.status).to.equal(200);
        out[i] = r.json().who;
      }
    }));
    return out;
  }

  it('200 JWT users split about evenly at 50 %, each user always answered by the same upstream', async function () {
    this.timeout(30_000);
    f = await startTestFacade(canary());
    const subs = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? uuidFor(i) : String(1000 + i)));
    const first = await who(subs.map((sub) => bearer(jwt({ sub }))));
    const second = await who(subs.map((sub) => bearer(jwt({ sub, scope: 'other' }))));
    for (let i = 0; i < subs.length; i++) expect(second[i], `user ${subs[i]}`).to.equal(first[i]);
    const inService = first.filter((w) => w === 'svc').length;
    expect(inService).to.be.within(70, 130);
    expect(svc.hits.length).to.equal(2 * inService);
  });

  it('anonymous clients behind a trusted load balancer are told apart by X-Forwarded-For; spoofed without trust, nobody moves', async function () {
    this.timeout(30_000);
    const ips = Array.from({ length: 100 }, (_, i) => `203.0.${i >> 4}.${(i * 7) % 250 + 1}`);
    f = await startTestFacade(canary());
    const untrusted = await who(ips.map((ip) => ({ 'x-forwarded-for': ip })));
    expect(new Set(untrusted).size, 'without trusted proxies every client is 127.0.0.1').to.equal(1);
    await f.stop();
    f = await startTestFacade(canary(), { config: { trustedProxies: ['127.0.0.1'] } });
    const trustedA = await who(ips.map((ip) => ({ 'x-forwarded-for': `6.6.6.6, ${ip}` })));
    const trustedB = await who(ips.map((ip) => ({ 'x-forwarded-for': ip })));
    expect(trustedB).to.deep.equal(trustedA);
    expect(trustedA.filter((w) => w === 'svc').length).to.be.within(25, 75);
  });
});
