import { expect } from 'chai';
import { demoNames } from '../env.ts';
import { emptyEvidence } from '../evidence.ts';
import { completeRouteTable, demoRouteTable, legacyUpstreamFor, routesOfService } from '../routes.ts';
import { seamFiles } from '../seam.ts';
import { formatSummary, verdict } from '../summary.ts';
import { renderTable } from '../table.ts';
import type { Sample } from '../traffic/types.ts';

const PORTS = { userApi: 1, adminApi: 2, merchantApi: 3, facade: 4, facadeAdmin: 5, productHttp: 6, shopHttp: 7, userHttp: 8, searchHttp: 9, productThrift: 10, shopThrift: 11, userThrift: 12, searchThrift: 13 };
const BASE = {
  version: 7, options: { stickyCookie: 'sid' },
  upstreams: { 'legacy-user': { url: 'http://127.0.0.1:3001', pool: 8 }, product: { url: 'http://127.0.0.1:4001' } },
  routes: [{ id: 'products.get', methods: ['GET'], path: '/api/products/:id', legacy: 'legacy-user', service: 'product', mode: 'service', percent: 100 }],
};

describe('demo: names, route table, seam check', () => {
  it('names every database and key after the run', () => {
    const n = demoNames('abc123');
    expect(n.legacyDb).to.equal('demo_abc123_legacy');
    expect(n.serviceDbs).to.deep.equal({ product: 'demo_abc123_product_svc', shop: 'demo_abc123_shop_svc', user: 'demo_abc123_user_svc', search: 'demo_abc123_search_svc' });
    expect(n.redisPrefix).to.equal('demo:abc123:');
    expect(n.queuePrefix).to.equal('demo-abc123');
    expect(demoNames('x', 't_sys').legacyDb).to.equal('t_sys_x_legacy');
    expect(() => demoNames('Bad-Id')).to.throw(/runId/);
    expect(() => demoNames('ok', 'Bad')).to.throw(/prefix/);
  });

  it('points the project table at the demo ports and resets every route to legacy', () => {
    const t = demoRouteTable(BASE, PORTS);
    expect(t.upstreams['legacy-user']).to.deep.equal({ url: 'http://127.0.0.1:1', pool: 8 });
    expect(t.upstreams.product.url).to.equal('http://127.0.0.1:6');
    expect(t.routes![0]).to.include({ mode: 'legacy', percent: 0 });
    expect(t.options).to.deep.equal({ stickyCookie: 'sid', routeHeader: true });
    expect(BASE.routes[0].mode).to.equal('service'); // input untouched
    expect(() => demoRouteTable({ upstreams: { elsewhere: { url: 'http://x' } } }, PORTS)).to.throw(/no demo port/);
  });

  it('completes the table with served routes it lacks, on the right legacy API', () => {
    const t = demoRouteTable(BASE, PORTS);
    const served = { 'products.get': 'GET /api/products/:id', 'admin.shops.list': 'GET /admin/shops', 'me.likes.add': 'POST /api/me/likes' };
    const c = completeRouteTable({ ...t, routes: [...t.routes!, { id: 'me.likes.add', methods: ['POST'], path: '/api/me/likes/:productId', legacy: 'legacy-user', service: 'user' }] }, served, (id) => (id.startsWith('admin') ? 'shop' : 'user'));
    expect(c.added).to.deep.equal(['admin.shops.list (GET /admin/shops)']);
    expect(c.replaced).to.deep.equal(['me.likes.add (POST /api/me/likes/:productId → POST /api/me/likes)']);
    expect(c.doc.routes!.find((r) => r.id === 'admin.shops.list')).to.include({ legacy: 'legacy-admin', service: 'shop', mode: 'legacy' });
    expect(routesOfService(c.doc, 'user')).to.deep.equal(['me.likes.add']);
    expect([legacyUpstreamFor('/merchant/shop'), legacyUpstreamFor('/api/x')]).to.deep.equal(['legacy-merchant', 'legacy-user']);
  });

  it('finds legacy files that go through the ownership registry', () => {
    expect(seamFiles([
      { path: 'legacy/models/a.ts', text: "import { x } from '../../lib/ownership/index.ts';" },
      { path: 'legacy/models/b.ts', text: "import { y } from '../../lib/db.ts'; // ownership" },
    ])).to.deep.equal(['legacy/models/a.ts']);
  });
});

describe('demo: summary', () => {
  const s = (o: Partial<Sample>): Sample => ({ persona: 'shopper', action: 'get', endpoint: 'GET /x', phase: '1 monolith', status: 200, latencyMs: 2, at: 0, ...o });

  it('aligns numbers right and text left, counting Korean as double width', () => {
    expect(renderTable(['a', 'n'], [['x', 1], ['한글', 10]]).split('\n')).to.deep.equal(['a      n', '----  --', 'x      1', '한글  10']);
  });

  it('is OK only with no client error, no data difference and no failed step', () => {
    const ev = emptyEvidence();
    ev.steps.push({ id: '1', title: 't', status: 'done', ms: 1 }, { id: '2', title: 't', status: 'unavailable', reason: 'needs X', ms: 0 });
    expect(verdict([s({})], ev)).to.include({ ok: true, requests: 1, stepsDone: 1, stepsUnavailable: 1 });
    expect(verdict([s({ error: '5xx' })], ev).ok).to.equal(false);
    ev.splits.push({ service: 'product', action: 'cutover', tables: ['products'], rowsCopied: 5, changesApplied: 0, rowsCompared: 5, differences: 1, inFlight: 0, freezeMs: 10 });
    expect(verdict([s({})], ev)).to.include({ ok: false, dataDifferences: 1 });
  });

  it('prints phases in story order, splits and the verdict', () => {
    const ev = emptyEvidence();
    ev.steps.push({ id: '1', title: 't', status: 'done', ms: 1500 });
    ev.splits.push({ service: 'product', action: 'cutover', tables: ['products'], rowsCopied: 5, changesApplied: 2, rowsCompared: 5, differences: 0, inFlight: 0, freezeMs: 12.5 });
    const out = formatSummary([s({ phase: '2 facade' }), s({ phase: '1 monolith', error: 'unexpected-4xx', detail: 'GET /x: 401' })], ev, ['1 monolith', '2 facade']);
    expect(out.indexOf('1 monolith')).to.be.lessThan(out.indexOf('2 facade'));
    expect(out).to.match(/product\s+cutover\s+products\s+5\s+2\s+5\s+0\s+0\s+12\.5/);
    expect(out).to.include('[1 monolith] shopper unexpected-4xx: GET /x: 401');
    expect(out).to.include('read-your-writes checks (likes lists, products read back after edits, bulk upload counts): 0, contradicted: 0');
    expect(out).to.match(/Verdict: 2 requests, 1 client-visible errors, 0 server-side errors, 0 shadow mismatches, 0 data differences; 1 steps done, 0 not yet possible, 0 failed → NOT OK/);
  });
});
