import { expect } from 'chai';
import { waitFor } from '../../test/helpers/wait.ts';
import { formatRoute } from '../cli/format.ts';
import { compileRewrite, rewriteError } from '../table/rewrite.ts';
import { validateTable } from '../table/schema.ts';
import { admin, json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';

describe('service-side path rewriting', () => {
  it('prefix and pattern rewrites keep the query string and only touch matching paths', () => {
    const p = compileRewrite({ prefix: '/api/v1/items', to: '/items' }, false);
    expect(p('/api/v1/items/3?x=1&y=%20')).to.equal('/items/3?x=1&y=%20');
    expect(p('/API/V1/Items/3')).to.equal('/items/3');
    expect(p('/api/v1/items')).to.equal('/items');
    expect(p('/api/v1/itemsX/3')).to.equal('/api/v1/itemsX/3');
    expect(compileRewrite({ prefix: '/api/v1/items', to: '/items' }, true)('/API/v1/items/3')).to.equal('/API/v1/items/3');
    const strip = compileRewrite({ prefix: '/api', to: '/' }, false);
    expect(strip('/api/items/3?q')).to.equal('/items/3?q');
    expect(strip('/api')).to.equal('/');
    const r = compileRewrite({ pattern: '^/api/items/([^/]+)$', to: '/items/$1' }, false);
    expect(r('/api/items/42?full=1')).to.equal('/items/42?full=1');
    expect(r('/api/items/42/x')).to.equal('/api/items/42/x');
  });

  it('is validated: the prefix must lead the route path, the pattern must compile, the target must be a path', () => {
    expect(rewriteError({ prefix: '/api/v1', to: '/x' }, '/api/v1/items/:id', false)).to.equal(null);
    expect(rewriteError({ prefix: '/api/v2', to: '/x' }, '/api/v1/items/:id', false)!.field).to.equal('prefix');
    expect(rewriteError({ prefix: '/api/v1/items/3', to: '/x' }, '/api/v1/items/:id', false)!.field).to.equal('prefix');
    const doc = (rewrite: unknown) => ({ upstreams: { l: { url: 'http://127.0.0.1:1' } }, routes: [{ id: 'a', path: '/api/items/:id', legacy: 'l', service: 'l', rewrite }] });
    const bad = validateTable(doc({ pattern: '^/api/(', to: '/x' }));
    expect(bad.ok).to.equal(false);
    expect((bad as { errors: string[] }).errors.join()).to.include('routes.0.rewrite.pattern: not a valid regular expression');
    expect((validateTable(doc({ prefix: '/other', to: '/x' })) as { errors: string[] }).errors.join()).to.include('routes.0.rewrite.prefix');
    expect((validateTable(doc({ prefix: '/api', to: 'x' })) as { errors: string[] }).errors.join()).to.include('routes.0.rewrite.to');
    expect((validateTable(doc({ prefix: '/api', pattern: 'x', to: '/x' })) as { errors: string[] }).errors.join()).to.include('routes.0.rewrite: must be');
    expect(validateTable(doc({ prefix: '/api', to: '/' })).ok).to.equal(true);
  });
});

describe('service-side path rewriting through the facade @integration', () => {
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade;
  let svcStatus = 200;

  beforeEach(async () => {
    svcStatus = 200;
    legacy = await startStandIn((req, res) => json(res, 200, { url: req.url }));
    svc = await startStandIn((req, res) => json(res, svcStatus, { url: req.url }));
    f = await startTestFacade(table(legacy.url, svc.url, [
      { id: 'items.get', methods: ['GET'], path: '/api/v1/items/:id', legacy: 'legacy', service: 'svc', mode: 'service', rewrite: { prefix: '/api/v1/items', to: '/items' } },
      { id: 'things.get', methods: ['GET'], path: '/api/things/:id', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { noiseSample: 1 },
        rewrite: { pattern: '^/api/things/([^/]+)$', to: '/things/$1' } },
    ]));
  });
  afterEach(async () => {
    await f.stop();
    await legacy.close();
    await svc.close();
  });

  it('service mode: the service gets the rewritten path with the query; after a rollback legacy gets the original', async () => {
    const r = await send(f.url + '/api/v1/items/7?expand=a%2Cb');
    expect(r.json().url).to.equal('/items/7?expand=a%2Cb');
    expect(svc.hits.map((h) => h.url)).to.deep.equal(['/items/7?expand=a%2Cb']);
    await admin(f, '/routes/items.get/rollback', { method: 'POST', body: {} });
    expect((await send(f.url + '/api/v1/items/7?expand=1')).json().url).to.equal('/api/v1/items/7?expand=1');
    const canary = await admin(f, '/routes/items.get', { method: 'POST', body: { mode: 'canary', percent: 100 } });
    expect(canary.status, canary.body).to.equal(200);
    expect((await send(f.url + '/api/v1/items/8')).json().url).to.equal('/items/8');
  });

  it('a service 5xx falls back to legacy with the original path', async () => {
    svcStatus = 503;
    const r = await send(f.url + '/api/v1/items/7?q=1');
    expect(r.status).to.equal(200);
    expect(r.json().url).to.equal('/api/v1/items/7?q=1');
    expect(svc.hits[0].url).to.equal('/items/7?q=1');
    expect(legacy.hits.map((h) => h.url)).to.deep.equal(['/api/v1/items/7?q=1']);
  });

  it('shadow mode: the client gets legacy (original path); the shadow copy goes to the service rewritten, the noise copy to legacy unchanged', async () => {
    const r = await send(f.url + '/api/things/abc?v=2');
    expect(r.json().url).to.equal('/api/things/abc?v=2');
    await waitFor(() => svc.hits.length === 1 && legacy.hits.length === 2, { what: 'shadow and noise copies' });
    expect(svc.hits[0].url).to.equal('/things/abc?v=2');
    expect(legacy.hits.map((h) => h.url)).to.deep.equal(['/api/things/abc?v=2', '/api/things/abc?v=2']);
    const show = await admin(f, '/routes/things.get');
    expect(show.json().rewrite).to.deep.equal({ pattern: '^/api/things/([^/]+)$', to: '/things/$1' });
    expect(formatRoute(show.json())).to.include('rewrite   pattern ^/api/things/([^/]+)$ → /things/$1 (service side only');
  });
});
