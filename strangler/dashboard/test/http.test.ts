/**
 * The control room's HTTP surface against a real facade and real upstreams: the page and its CSP, login once into
 * an HttpOnly SameSite=Strict session, actions through the admin API's own endpoints with the session (audited
 * under the dashboard user), and every way a request from another origin is refused (counted and logged).
 */
import { expect } from 'chai';
import { waitFor } from '../../../test/helpers/wait.ts';
import { admin, captureLogger, json, send, startStandIn, startTestFacade, table, TEST_TOKEN, type StandIn, type TestFacade } from '../../test/helpers.ts';

describe('dashboard HTTP: session, CSRF and origin rules @integration', function () {
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade;
  let cookie: string;
  let csrf: string;
  const cap = captureLogger();
  const origin = () => f.adminUrl;
  const host = () => f.adminUrl.replace('http://', '');

  before(async function () {
    legacy = await startStandIn((_req, res) => json(res, 200, { id: 1, price: 100 }));
    svc = await startStandIn((_req, res) => json(res, 200, { id: 1, price: 100 }));
    f = await startTestFacade(table(legacy.url, svc.url, [{ id: 'products.list', methods: ['GET'], path: '/api/products', legacy: 'legacy', service: 'svc' }]), { logger: cap.logger });
  });
  after(async function () {
    await f?.stop();
    await legacy?.close();
    await svc?.close();
  });

  const login = (body: unknown, headers: Record<string, string> = { origin: origin() }) => send(`${f.adminUrl}/dashboard/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const withSession = (path: string, opts: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) => send(f.adminUrl + path, {
    method: opts.method ?? 'GET',
    headers: { cookie, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });

  it('serves the page and the bundle with a strict CSP and no data', async function () {
    const page = await send(`${f.adminUrl}/dashboard/`);
    expect(page.status).to.equal(200);
    expect(page.headers['content-security-policy']).to.match(/default-src 'none'; script-src 'self'/);
    expect(page.headers['x-frame-options']).to.equal('DENY');
    expect(page.body).to.include('/dashboard/assets/app.js').and.not.include(TEST_TOKEN).and.not.match(/<script>[^<]/);
    const js = await send(`${f.adminUrl}/dashboard/assets/app.js`);
    expect(js.status).to.equal(200);
    expect(js.headers['content-type']).to.match(/javascript/);
    expect(js.body).to.not.match(/https?:\/\/(cdn|unpkg|fonts)\./);
    expect((await send(`${f.adminUrl}/dashboard/assets/other.js`)).status).to.equal(404);
    expect((await send(`${f.adminUrl}/dashboard/api/overview`)).status).to.equal(401);
    expect(f.dashboard.sampler.running, 'sampling before anyone logged in').to.equal(false);
  });

  it('login refuses a wrong token and another origin; the right token sets an HttpOnly SameSite=Strict cookie', async function () {
    const wrong = await login({ token: 'not-the-token', name: 'ann' });
    expect(wrong.status).to.equal(401);
    expect(wrong.headers['set-cookie']).to.equal(undefined);
    const elsewhere = await login({ token: TEST_TOKEN, name: 'ann' }, { origin: 'http://evil.example' });
    expect(elsewhere.status).to.equal(403);
    expect(elsewhere.headers['set-cookie']).to.equal(undefined);
    const bad = await login({ token: TEST_TOKEN, name: 'a b' });
    expect(bad.status).to.equal(400);
    const ok = await login({ token: TEST_TOKEN, name: 'ann' });
    expect(ok.status).to.equal(200);
    const set = String(ok.headers['set-cookie']);
    expect(set).to.match(/^strangler_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(set).to.not.include(TEST_TOKEN);
    cookie = set.split(';')[0];
    csrf = ok.json().csrf;
    expect(ok.json().actor).to.equal('dashboard:ann');
    expect((await withSession('/dashboard/api/session')).json()).to.deep.equal({ actor: 'dashboard:ann', csrf });
  });

  it('with the session the page reads the admin API and live figures', async function () {
    for (let i = 0; i < 5; i++) expect((await send(`${f.url}/api/products`)).status).to.equal(200);
    expect((await withSession('/routes')).json().routes.map((r: { id: string }) => r.id)).to.deep.equal(['products.list']);
    const ov = await waitFor(async () => {
      await f.dashboard.sampler.sample();
      const o = (await withSession('/dashboard/api/overview')).json();
      return o.groups[0].routes[0].legacySide?.requests === 5 ? o : null;
    }, { what: 'overview figures', timeoutMs: 10_000 });
    expect(ov.totals).to.deep.include({ legacy: 1, routes: 1 });
    expect(f.dashboard.sampler.running).to.equal(true);
    expect(ov.groups[0]).to.deep.include({ name: 'svc', health: 'ok' });
    expect(ov.groups[0].routes[0].legacySide.p50Ms).to.be.a('number');
    const series = (await withSession('/dashboard/api/routes/products.list/series')).json();
    expect(series.latency).to.have.keys('t', 'legacyP50', 'legacyP99', 'serviceP50', 'serviceP99');
    expect((await withSession('/dashboard/api/data')).json()).to.deep.include({ splitsConfigured: false });
  });

  it('an action with the session needs same Origin + CSRF header and is audited under the dashboard user', async function () {
    const body = { mode: 'shadow', reason: 'from the page' };
    const refused = [
      await withSession('/routes/products.list', { method: 'POST', body, headers: { origin: origin() } }),
      await withSession('/routes/products.list', { method: 'POST', body, headers: { origin: 'http://evil.example', 'x-strangler-csrf': csrf } }),
      await withSession('/routes/products.list', { method: 'POST', body, headers: { 'x-strangler-csrf': csrf } }),
      await withSession('/routes/products.list', { method: 'POST', body, headers: { origin: origin(), 'x-strangler-csrf': csrf, 'sec-fetch-site': 'cross-site' } }),
      await withSession('/routes/products.list/rollback', { method: 'POST', body: { reason: 'x' }, headers: { origin: 'http://evil.example', 'x-strangler-csrf': csrf } }),
    ];
    expect(refused.map((r) => r.status)).to.deep.equal([403, 403, 403, 403, 403]);
    expect(refused[0].json().error.code).to.equal('FORBIDDEN');
    expect(f.controller.table.routes[0].mode).to.equal('legacy');
    const metrics = (await admin(f, '/metrics')).body;
    expect(metrics).to.match(/strangler_dashboard_refused_total\{kind="csrf"\} 1/);
    expect(metrics).to.match(/strangler_dashboard_refused_total\{kind="origin"\} 4/);
    expect(metrics).to.match(/strangler_dashboard_refused_total\{kind="cross-site"\} 1/);
    expect(metrics).to.match(/strangler_dashboard_logins_total\{result="refused"\} 1/);
    expect(cap.lines.filter((l) => l.msg === 'dashboard request refused')).to.have.length(6); // 5 here + the login from another origin

    const ok = await withSession('/routes/products.list', { method: 'POST', body, headers: { origin: origin(), 'x-strangler-csrf': csrf, 'x-strangler-actor': 'someone-else', 'sec-fetch-site': 'same-origin' } });
    expect(ok.status).to.equal(200);
    expect(f.controller.table.routes[0].mode).to.equal('shadow');
    const audit = (await admin(f, '/audit?route=products.list')).json().entries;
    expect(audit.at(-1)).to.deep.include({ who: 'dashboard:ann', action: 'set', reason: 'from the page' });
    // in shadow, the service side shows the service's answers to the copies (their latency is measured)
    for (let i = 0; i < 4; i++) await send(`${f.url}/api/products`);
    await waitFor(() => f.stats.get('products.list').shadow.matched >= 4, { what: 'shadow comparisons' });
    expect((await admin(f, '/metrics')).body).to.match(/strangler_shadow_duration_seconds_count\{route="products.list",upstream="svc"\} 4/);
    const row = await waitFor(async () => {
      await f.dashboard.sampler.sample();
      const r = (await withSession('/dashboard/api/overview')).json().groups[0].routes[0];
      return r.serviceSide?.requests >= 4 ? r : null;
    }, { what: 'service side from shadow copies', timeoutMs: 10_000 });
    expect(row.serviceShadow).to.equal(true);
    expect(row.serviceSide.p50Ms).to.be.a('number');
    expect((await withSession('/dashboard/api/routes/products.list/series')).json().serviceShadow).to.equal(true);
    expect(host()).to.match(/^127\.0\.0\.1:\d+$/);
  });

  it('logout ends the session', async function () {
    const out = await withSession('/dashboard/logout', { method: 'POST' });
    expect(String(out.headers['set-cookie'])).to.match(/Max-Age=0/);
    expect((await withSession('/routes')).status).to.equal(401);
  });
});
