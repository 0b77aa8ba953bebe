import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { waitFor } from '../../test/helpers/wait.ts';
import type { CapturedResponse } from '../compare.ts';
import { createMetrics } from '../metrics.ts';
import { recordComparison, type PendingComparison } from '../shadow.ts';
import { RouteStats } from '../stats.ts';
import { validateTable } from '../table/schema.ts';
import { DEFAULT_MAX_KEY_CHARS, TopCounts } from '../top-counts.ts';
import { admin, json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';

const answer = (body: unknown): CapturedResponse => ({
  status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)), truncated: false,
});
const rnd = () => randomBytes(6).toString('hex');

describe('strangler memory bounds: difference-path counts', () => {
  it('20 000 shadowed answers with random keys keep every path map within its cap; recurring differences stay on top', function () {
    this.timeout(60_000);
    const route = validateTable({ upstreams: { l: { url: 'http://l:1' } }, routes: [{ id: 'r', path: '/x', legacy: 'l' }] });
    if (!route.ok) throw new Error(route.errors.join());
    const spec = route.table.routes[0].shadow;
    expect(spec.diffPaths).to.equal(200); // the default
    const stats = new RouteStats('r', createMetrics(), spec.history);
    stats.setPathCap(spec.diffPaths);
    const p: PendingComparison = { stats, spec, requestId: 'rid', method: 'GET', url: '/x' };
    // independent tallies: what each comparison reported, counted here
    const shadowTally = new Map<string, number>();
    const noiseTally = new Map<string, number>();
    let shadowTotal = 0;
    let noiseTotal = 0;
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const legacy = { id: i, price: 10, generatedAt: i, [rnd()]: 1, nested: { [rnd()]: 2 } };
      // the service is wrong about the price on every third answer: a real, recurring difference among random ones
      const service = { id: i, price: i % 3 === 0 ? 11 : 10, generatedAt: i, [rnd()]: 1, nested: { [rnd()]: 2 } };
      const s = recordComparison(p, 'service', answer(legacy), { ok: true, response: answer(service) })!;
      for (const d of s.differences) shadowTally.set(d, (shadowTally.get(d) ?? 0) + 1);
      shadowTotal += s.differences.length;
      // legacy against itself: the timestamp always differs (noise), plus random keys
      const again = { id: i, price: 10, generatedAt: i + 1, [rnd()]: 1, nested: { [rnd()]: 2 } };
      const n = recordComparison(p, 'noise', answer(legacy), { ok: true, response: answer(again) })!;
      for (const d of n.differences) noiseTally.set(d, (noiseTally.get(d) ?? 0) + 1);
      noiseTotal += n.differences.length;
    }
    expect(shadowTally.size, 'the input really has many distinct paths').to.be.greaterThan(50_000);
    expect(stats.shadowPaths.size).to.be.at.most(200);
    expect(stats.noise.paths.size).to.be.at.most(200);
    const report = stats.noiseReport();
    expect(report.noisyPaths.length).to.be.at.most(200);
    expect(report.realDifferencePaths.length).to.be.at.most(200);
    // every difference is accounted for: listed counts plus "other"
    const sum = (xs: { count: number }[]) => xs.reduce((a, x) => a + x.count, 0);
    expect(sum(stats.shadowPaths.top()) + report.otherPaths.shadow).to.equal(shadowTotal);
    expect(sum(report.noisyPaths) + report.otherPaths.noise).to.equal(noiseTotal);
    // the recurring differences are listed first, never over-counted, and nearly exact
    const price = report.realDifferencePaths[0];
    expect(price.path).to.equal('body.price');
    expect(price.count).to.be.at.most(shadowTally.get('body.price')!).and.at.least(0.95 * shadowTally.get('body.price')!);
    expect(report.noisyPaths[0].path).to.equal('body.generatedAt');
    expect(report.noisyPaths[0].count).to.be.at.least(0.95 * noiseTally.get('body.generatedAt')!);
    expect(report.realDifferencePaths.map((x) => x.path)).not.to.include('body.generatedAt');
    expect(stats.diffs.list(10_000).length).to.be.at.most(spec.history);
  });

  it('a key that starts recurring late still makes the top-N; long keys are cut', () => {
    const t = new TopCounts(50);
    for (let i = 0; i < 10_000; i++) t.add(rnd());
    for (let i = 0; i < 2_000; i++) {
      t.add(rnd());
      t.add(rnd());
      t.add('late');
    }
    expect(t.size).to.equal(50);
    expect(t.top()[0].path).to.equal('late');
    t.add('k'.repeat(100_000));
    expect(Math.max(...[...t.keys()].map((k) => k.length))).to.equal(DEFAULT_MAX_KEY_CHARS + 1);
    t.setCap(10);
    expect(t.size).to.equal(10);
    expect(t.top()[0].path).to.equal('late');
  });
});

describe('strangler memory bounds through a real facade @integration', () => {
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade;
  before(async () => {
    legacy = await startStandIn((_req, res) => json(res, 200, { at: rnd(), [rnd()]: 1, price: 1 }));
    svc = await startStandIn((_req, res) => json(res, 200, { at: rnd(), [rnd()]: 1, price: 2 }));
    f = await startTestFacade(table(legacy.url, svc.url, [
      { id: 'shadowed', methods: ['GET'], path: '/api/s', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { diffPaths: 5, noiseSample: 1 } },
    ]));
  });
  after(async () => {
    await f?.stop();
    await legacy?.close();
    await svc?.close();
  });

  it('a route\'s shadow.diffPaths caps its path counts; the report shows the rest as "other"', async () => {
    for (let i = 0; i < 60; i++) expect((await send(`${f.url}/api/s`)).status).to.equal(200);
    const s = f.stats.get('shadowed');
    await waitFor(() => s.shadow.matched + s.shadow.mismatched + s.shadow.errors >= 60 && s.noise.matched + s.noise.mismatched + s.noise.errors >= 60,
      { what: 'comparisons recorded', timeoutMs: 10_000 });
    expect(s.shadowPaths.size).to.be.at.most(5);
    expect(s.noise.paths.size).to.be.at.most(5);
    const r = (await admin(f, '/routes/shadowed/noise')).json();
    expect(r.noisyPaths.length).to.be.at.most(5);
    expect(r.otherPaths.shadow).to.be.greaterThan(0);
    expect(r.noisyPaths.map((p: { path: string }) => p.path)).to.include('body.at');
    expect(r.realDifferencePaths.map((p: { path: string }) => p.path)).to.include('body.price');
  });
});
