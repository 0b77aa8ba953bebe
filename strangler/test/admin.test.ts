import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../test/helpers/wait.ts';
import { loadFacadeConfig, LOCAL_ADMIN_TOKEN } from '../config.ts';
import { admin, json, send, startStandIn, startTestFacade, table, TEST_TOKEN, type StandIn, type TestFacade } from './helpers.ts';

const CLI = fileURLToPath(new URL('../bin/strangler.ts', import.meta.url));

function cli(f: TestFacade, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], {
      env: { ...process.env, STRANGLER_ADMIN_URL: f.adminUrl, STRANGLER_ADMIN_TOKEN: TEST_TOKEN, STRANGLER_ACTOR: 'tester', ...env },
    }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('strangler admin API, cutover and CLI @integration', () => {
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade;

  before(async () => {
    let n = 0;
    legacy = await startStandIn((req, res) => json(res, 200, { items: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }], generatedAt: ++n, user: req.headers.authorization ?? null }));
    svc = await startStandIn((req, res) => json(res, 200, { items: [{ id: 2, name: 'b' }, { id: 1, name: 'A' }], generatedAt: 0, user: req.headers.authorization ?? null, svc: true }));
    f = await startTestFacade(table(legacy.url, svc.url, [
      { id: 'products.list', methods: ['GET'], path: '/api/products', legacy: 'legacy', service: 'svc', shadow: { unordered: [{ path: 'items', key: 'id' }], ignore: ['svc'], noiseSample: 1 } },
      { id: 'legacy.only', path: '/api/legacy-only', legacy: 'legacy' },
    ]));
  });
  after(async () => {
    await f.stop();
    await legacy.close();
    await svc.close();
  });

  it('refuses requests without or with a wrong token (401), /health is open', async () => {
    expect((await admin(f, '/routes', { token: null })).status).to.equal(401);
    const wrong = await admin(f, '/routes', { token: 'nope' });
    expect(wrong.status).to.equal(401);
    expect(wrong.json().error.code).to.equal('UNAUTHENTICATED');
    expect((await admin(f, '/metrics', { token: TEST_TOKEN + 'x' })).status).to.equal(401);
    expect((await admin(f, '/routes/products.list', { method: 'POST', body: { mode: 'service' }, token: null })).status).to.equal(401);
    expect((await admin(f, '/health', { token: null })).json()).to.deep.equal({ status: 'ok' });
  });

  it('production refuses the local default admin token', () => {
    expect(() => loadFacadeConfig({ NODE_ENV: 'production' })).to.throw(/STRANGLER_ADMIN_TOKEN/);
    expect(() => loadFacadeConfig({ NODE_ENV: 'production', STRANGLER_ADMIN_TOKEN: LOCAL_ADMIN_TOKEN })).to.throw(/STRANGLER_ADMIN_TOKEN/);
    expect(loadFacadeConfig({ NODE_ENV: 'production', STRANGLER_ADMIN_TOKEN: 'a-long-production-secret' }).adminToken).to.equal('a-long-production-secret');
    const local = loadFacadeConfig({});
    expect(local).to.include({ port: 8080, adminPort: 8081, adminToken: LOCAL_ADMIN_TOKEN });
  });

  it('walks one route legacy → shadow → canary → service → rollback, written through the file and audited', async () => {
    expect((await send(`${f.url}/api/products`)).json().svc).to.equal(undefined);

    // shadow: legacy answers, the service gets a copy, differences are recorded (order and ignored paths are not)
    let r = await admin(f, '/routes/products.list', { method: 'POST', body: { mode: 'shadow', reason: 'compare' } });
    expect(r.status).to.equal(200);
    expect(r.json()).to.include({ mode: 'shadow' });
    const onDisk = JSON.parse(await readFile(f.routesFile, 'utf8'));
    expect(onDisk.version).to.equal(2);
    expect(onDisk.routes[0].mode).to.equal('shadow');
    const hitsBefore = svc.hits.length;
    for (let i = 0; i < 3; i++) expect((await send(`${f.url}/api/products`)).json().svc).to.equal(undefined);
    await waitFor(() => f.stats.get('products.list').shadow.mismatched >= 3, { what: 'shadow mismatches' });
    expect(svc.hits.length - hitsBefore).to.equal(3);
    expect(svc.hits.at(-1)!.headers['x-strangler-shadow']).to.equal('service');
    const diffs = (await admin(f, '/routes/products.list/diffs')).json();
    expect(diffs.diffs[0].differences).to.deep.equal(['body.generatedAt', 'body.items.0.name']);
    const noise = (await admin(f, '/routes/products.list/noise')).json();
    await waitFor(async () => (await admin(f, '/routes/products.list/noise')).json().noise.compared >= 3, { what: 'noise compared' });
    expect(noise.route).to.equal('products.list');
    const noiseNow = (await admin(f, '/routes/products.list/noise')).json();
    expect(noiseNow.noisyPaths.map((p: { path: string }) => p.path)).to.deep.equal(['body.generatedAt']);
    expect(noiseNow.realDifferencePaths.map((p: { path: string }) => p.path)).to.deep.equal(['body.items.0.name']);

    // canary: sticky per user id from the bearer token
    r = await admin(f, '/routes/products.list', { method: 'POST', body: { mode: 'canary', percent: 50 } });
    expect(r.json()).to.include({ mode: 'canary', percent: 50 });
    const seen = new Map<string, boolean>();
    for (let u = 1; u <= 20; u++) seen.set(String(u), (await send(`${f.url}/api/products`, { headers: { authorization: `Bearer ${u}.tok${u}` } })).json().svc === true);
    for (let u = 1; u <= 20; u++) {
      const again = (await send(`${f.url}/api/products`, { headers: { authorization: `Bearer ${u}.other${u}` } })).json().svc === true;
      expect(again, `user ${u} sticky`).to.equal(seen.get(String(u)));
    }
    const inCanary = [...seen.values()].filter(Boolean).length;
    expect(inCanary).to.be.within(3, 17);

    // service
    r = await admin(f, '/routes/products.list', { method: 'PATCH', body: { mode: 'service' } });
    expect(r.json()).to.include({ mode: 'service', percent: 100 });
    expect((await send(`${f.url}/api/products`)).json().svc).to.equal(true);

    // rollback
    r = await admin(f, '/routes/products.list/rollback', { method: 'POST', body: { reason: 'p99' } });
    expect(r.json()).to.include({ mode: 'legacy' });
    expect((await send(`${f.url}/api/products`)).json().svc).to.equal(undefined);

    const audit = (await admin(f, '/audit?route=products.list')).json().entries;
    expect(audit.map((e: { to: { mode: string } }) => e.to.mode)).to.deep.equal(['shadow', 'canary', 'service', 'legacy']);
    expect(audit[3]).to.include({ action: 'rollback', reason: 'p99', who: 'admin-api' });
    expect(audit[3].from).to.deep.equal({ mode: 'service', percent: 100 });
    expect(JSON.parse(await readFile(f.routesFile, 'utf8')).version).to.equal(5);
  });

  it('rejects invalid changes with the validation message and unknown routes with 404', async () => {
    const bad = await admin(f, '/routes/legacy.only', { method: 'POST', body: { mode: 'service' } });
    expect(bad.status).to.equal(400);
    expect(bad.json().error.message).to.contain('required when mode is "service"');
    expect((await admin(f, '/routes/products.list', { method: 'POST', body: { mode: 'canary', percent: 101 } })).status).to.equal(400);
    expect((await admin(f, '/routes/nope')).status).to.equal(404);
  });

  it('lists routes with live stats, reports status and exposes Prometheus metrics', async () => {
    const list = (await admin(f, '/routes')).json();
    const p = list.routes.find((x: { id: string }) => x.id === 'products.list');
    expect(p.stats.requests).to.be.greaterThan(0);
    expect(p.stats.latencyMs.p50).to.be.a('number');
    const status = (await admin(f, '/status')).json();
    expect(status).to.include({ status: 'ok', routes: 2 });
    expect(status.source).to.include({ kind: 'file', healthy: true });
    const m = await admin(f, '/metrics');
    expect(m.body).to.contain('strangler_requests_total{route="products.list",upstream="legacy",code="2xx"}');
    expect(m.body).to.contain('strangler_request_duration_seconds_bucket{le="0.005",route="products.list",upstream="legacy"}');
    expect(m.body).to.contain('strangler_shadow_total{route="products.list",result="mismatch"}');
    expect(m.body).to.contain('strangler_breaker_state{route="products.list"} 0');
    expect(m.body).to.contain('strangler_table_version 5');
  });

  it('CLI: reads with text and --json, changes and rolls back, one-line errors with non-zero exit codes', async function () {
    this.timeout(30_000);
    const routes = await cli(f, ['routes', '--json']);
    expect(routes.code).to.equal(0);
    expect(JSON.parse(routes.stdout).routes.map((r: { id: string }) => r.id)).to.deep.equal(['products.list', 'legacy.only']);
    const text = await cli(f, ['routes']);
    expect(text.stdout).to.match(/products\.list\s+legacy\s+GET\s+\/api\/products/);
    const set = await cli(f, ['route', 'set', 'products.list', '--mode', 'canary', '--percent', '25', '--reason', 'cli test']);
    expect(set.stdout.trim()).to.equal('products.list is now canary 25%');
    const show = await cli(f, ['route', 'show', 'products.list']);
    expect(show.stdout).to.contain('products.list: canary 25%');
    const rb = await cli(f, ['rollback', 'products.list', '--reason', 'done']);
    expect(rb.stdout.trim()).to.equal('products.list rolled back to legacy');
    const audit = await cli(f, ['audit', '--route', 'products.list', '--json']);
    expect(JSON.parse(audit.stdout).entries.slice(-2).map((e: { who: string }) => e.who)).to.deep.equal(['tester', 'tester']);
    const diffs = await cli(f, ['diffs', 'products.list']);
    expect(diffs.stdout).to.contain('differs: body.generatedAt, body.items.0.name');
    const status = await cli(f, ['status']);
    expect(status.stdout).to.contain('source  file');

    const unknown = await cli(f, ['route', 'show', 'nope']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr.trim().split('\n')).to.have.length(1);
    expect(unknown.stderr).to.contain('no route with id "nope"');
    const wrongToken = await cli(f, ['routes'], { STRANGLER_ADMIN_TOKEN: 'wrong-token' });
    expect(wrongToken.code).to.equal(1);
    expect(wrongToken.stderr.trim()).to.equal('strangler: the admin API refused the token (set STRANGLER_ADMIN_TOKEN)');
    const usage = await cli(f, ['route', 'set', 'products.list', '--mode', 'sideways']);
    expect(usage.code).to.equal(2);
    const down = await cli(f, ['status'], { STRANGLER_ADMIN_URL: 'http://127.0.0.1:1' });
    expect(down.code).to.equal(1);
    expect(down.stderr).to.match(/^strangler: cannot reach the admin API/);
  });
});
