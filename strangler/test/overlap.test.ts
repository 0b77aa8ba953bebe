import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { compareResponses, type CapturedResponse, type CompareSpec } from '../compare.ts';
import { createMetrics } from '../metrics.ts';
import { RouteStats } from '../stats.ts';
import { validateTable, type ShadowSpec } from '../table/schema.ts';

/** The shadow spec as the route table compiles it (defaults filled), from a route's raw `shadow` options. */
function shadowOf(shadow: unknown): ShadowSpec {
  const r = validateTable({ upstreams: { l: { url: 'http://l:1' }, s: { url: 'http://s:1' } }, routes: [{ id: 'r', path: '/x', legacy: 'l', service: 's', shadow }] });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.table.routes[0].shadow;
}

const res = (body: unknown, status = 200): CapturedResponse => ({
  status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from(JSON.stringify(body)), truncated: false,
});
const item = (id: number, extra: Record<string, unknown> = {}) => ({ id, name: `p${id}`, price: '100.00', likeCount: id, ...extra });
const page = (ids: number[], total: number, extra: Record<string, unknown> = {}) =>
  ({ items: ids.map((id) => item(id, extra)), page: { page: 1, size: 20, total, hasNext: total > 20 } });

// the search route's declaration in strangler/routes.json, judged on every answer (`judge: "always"`, the default)…
const search = shadowOf({
  overlap: [{ path: 'items', key: 'id', top: 10, min: 0.8, total: { path: 'page.total', ratio: 0.2, allowMore: true } }],
  ignore: ['items.*.likeCount', 'page.hasNext'],
});
// …and as shipped in strangler/routes.json: the score is judged only when one side's list is its whole result
const shipped = shadowOf((JSON.parse(readFileSync(new URL('../routes.json', import.meta.url), 'utf8')) as { routes: { id: string; shadow?: unknown }[] })
  .routes.find((r) => r.id === 'search')!.shadow);
const legacyTop = [20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1];

describe('strangler shadow overlap comparison (pure)', () => {
  it('identical answers match with score 1 and report their figures', () => {
    const r = compareResponses(res(page(legacyTop, 40)), res(page(legacyTop, 40)), search);
    expect(r.match).to.equal(true);
    expect(r.differences).to.deep.equal([]);
    expect(r.overlap).to.have.length(1);
    expect(r.overlap![0]).to.deep.include({ path: 'items', measure: 'recall', value: 1, min: 0.8, judged: true, pass: true, legacy: 10, service: 20, common: 10, missing: [], itemsCompared: 20, itemsDiffering: 0 });
    expect(r.overlap![0].total).to.deep.equal({ path: 'page.total', legacy: 40, service: 40, ratio: 1, pass: true });
  });

  it("a reordered top-N matches: legacy's top 10 anywhere on the service's page, extra service hits and a larger total allowed", () => {
    // relevance order: legacy's hits shuffled, interleaved with hits legacy's LIKE cannot find (ids 100+)
    const svc = [11, 101, 13, 20, 102, 15, 12, 17, 103, 19, 14, 18, 104, 16, 105, 1, 2, 3, 4, 5];
    const r = compareResponses(res(page(legacyTop, 40)), res(page(svc, 90)), search);
    expect(r.differences).to.deep.equal([]);
    expect(r.match).to.equal(true);
    expect(r.overlap![0]).to.deep.include({ value: 1, common: 10, pass: true });
    expect(r.overlap![0].total).to.include({ legacy: 40, service: 90, ratio: 2.25, pass: true });
  });

  it("a service answer missing most of legacy's hits mismatches, and says which and how close", () => {
    const svc = [20, 19, 18, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117];
    const r = compareResponses(res(page(legacyTop, 40)), res(page(svc, 40)), search);
    expect(r.match).to.equal(false);
    expect(r.differences).to.deep.equal(['overlap:body.items']);
    expect(r.overlap![0]).to.deep.include({ value: 0.3, pass: false, common: 3, missing: [17, 16, 15, 14, 13] });
  });

  it('the score is exactly at min when 8 of 10 are found (≥ min matches), 7 of 10 does not', () => {
    const at = (found: number) => {
      const svc = [...legacyTop.slice(0, found), ...Array.from({ length: 20 - found }, (_, i) => 200 + i)];
      return compareResponses(res(page(legacyTop, 40)), res(page(svc, 40)), search);
    };
    expect(at(8).overlap![0]).to.include({ value: 0.8, pass: true });
    expect(at(8).match).to.equal(true);
    expect(at(7).match).to.equal(false);
  });

  it('totals outside the tolerance mismatch: more than 20% fewer; more is fine only with allowMore', () => {
    let r = compareResponses(res(page(legacyTop, 100)), res(page(legacyTop, 79)), search);
    expect(r.differences).to.deep.equal(['total:body.page.total']);
    expect(r.overlap![0].total).to.include({ ratio: 0.79, pass: false });
    expect(compareResponses(res(page(legacyTop, 100)), res(page(legacyTop, 80)), search).match).to.equal(true);
    const symmetric = shadowOf({ overlap: [{ path: 'items', key: 'id', min: 0.8, total: { path: 'page.total', ratio: 0.2 } }], ignore: ['page.hasNext'] });
    r = compareResponses(res(page(legacyTop, 100)), res(page(legacyTop, 121)), symmetric);
    expect(r.differences).to.deep.equal(['total:body.page.total']);
    expect(compareResponses(res(page(legacyTop, 100)), res(page(legacyTop, 120)), symmetric).match).to.equal(true);
    // nothing found by legacy: the service may find some only with allowMore
    expect(compareResponses(res(page([], 0)), res(page([5], 1)), search).match).to.equal(true);
    expect(compareResponses(res(page([], 0)), res(page([5], 1)), symmetric).differences).to.deep.equal(['total:body.page.total']);
  });

  it('items in both must be presented alike (ignored fields aside); `fields` narrows the comparison', () => {
    const svc = page(legacyTop, 40);
    svc.items[3] = { ...svc.items[3], price: '90.00', likeCount: 999 };
    let r = compareResponses(res(page(legacyTop, 40)), res(svc), search);
    expect(r.differences).to.deep.equal(['body.items.*.price']);
    expect(r.overlap![0]).to.include({ pass: true, itemsDiffering: 1, itemsCompared: 20 });
    const onlyNames = shadowOf({ overlap: [{ path: 'items', key: 'id', min: 0.8, fields: ['id', 'name'] }], ignore: ['page.hasNext'] });
    r = compareResponses(res(page(legacyTop, 40)), res(svc), onlyNames);
    expect(r.match).to.equal(true);
  });

  it('the rest of the body is still compared exactly (paging shape), and an answer without the list is a difference', () => {
    const svc = page(legacyTop, 40);
    svc.page.size = 10;
    expect(compareResponses(res(page(legacyTop, 40)), res(svc), search).differences).to.deep.equal(['body.page.size']);
    const noList = { page: { page: 1, size: 20, total: 40 } };
    expect(compareResponses(res(page(legacyTop, 40)), res(noList), search).differences).to.deep.equal(['body.items']);
    // two error answers carry no list: compared as usual, no figure
    const err = { error: { code: 'VALIDATION_FAILED', message: 'q', requestId: 'x' } };
    const r = compareResponses(res(err, 400), res(err, 400), search);
    expect(r).to.deep.equal({ match: true, differences: [], overlap: [] });
  });

  it('judge "complete": a low score counts only when one list is its whole result; the count is judged regardless', () => {
    const poor = [20, 19, 18, ...Array.from({ length: 17 }, (_, i) => 300 + i)];
    // both answers cut by paging (40 hits each, 20 shown): legacy's newest 10 and the service's most relevant 20 may
    // be different slices of the same 40 — reported, not held against the answer
    let r = compareResponses(res(page(legacyTop, 40)), res(page(poor, 40)), shipped);
    expect(r.match).to.equal(true);
    expect(r.overlap![0]).to.deep.include({ value: 0.3, judged: false, pass: true });
    // the service's page is its whole result (20 hits): legacy's missing hits are really not found
    r = compareResponses(res(page(legacyTop, 22)), res(page(poor, 20)), shipped);
    expect(r.differences).to.deep.equal(['overlap:body.items']);
    expect(r.overlap![0]).to.deep.include({ value: 0.3, judged: true, pass: false });
    // legacy's page is its whole result: its hits must be on the service's first page too, even if the service finds more
    r = compareResponses(res(page(legacyTop.slice(0, 12), 12)), res(page(poor, 90)), shipped);
    expect(r.differences).to.deep.equal(['overlap:body.items']);
    expect(r.overlap![0]).to.include({ judged: true });
    // not judged, but a count far below legacy's is still a mismatch
    r = compareResponses(res(page(legacyTop, 100)), res(page(poor, 40)), shipped);
    expect(r.differences).to.deep.equal(['total:body.page.total']);
    expect(r.overlap![0]).to.include({ judged: false });
  });

  it('jaccard is symmetric: extra service hits in its top count against it', () => {
    const j = shadowOf({ overlap: [{ path: 'items', key: 'id', top: 4, measure: 'jaccard', min: 0.5 }], ignore: ['page'] });
    const r = compareResponses(res(page([1, 2, 3, 4], 4)), res(page([4, 3, 9, 8, 1, 2], 6)), j);
    // top 4 of each: {1,2,3,4} vs {4,3,9,8} → 2 / 6
    expect(r.overlap![0]).to.include({ value: 0.333, legacy: 4, service: 4, common: 2, pass: false });
    expect(r.differences).to.deep.equal(['overlap:body.items']);
  });

  it('items without a scalar key are reported', () => {
    const svc = page(legacyTop, 40);
    (svc.items[0] as Record<string, unknown>).id = null;
    expect(compareResponses(res(page(legacyTop, 40)), res(svc), search).differences).to.include('body.items.*.id');
  });

  it('routes without overlap compare as before (no figures)', () => {
    const spec: CompareSpec = { ignore: [], unordered: [], headers: ['content-type'] };
    expect(compareResponses(res(page([1], 1)), res(page([1], 1)), spec)).to.deep.equal({ match: true, differences: [] });
  });

  it('per-request figures are aggregated per route: mean, lowest, histogram, below min, count ratios, recent requests', async () => {
    const metrics = createMetrics();
    const stats = new RouteStats('search', metrics, 10);
    const compare = (svc: number[], total: number, n: number) => {
      const r = compareResponses(res(page(legacyTop, 40)), res(page(svc, total)), search);
      stats.recordOverlap(r.overlap!, { requestId: `r${n}`, url: `/api/search?q=${n}`, match: r.match });
    };
    compare(legacyTop, 40, 1);
    compare([...legacyTop.slice(0, 9), ...Array.from({ length: 11 }, (_, i) => 300 + i)], 60, 2);
    compare([20, 19, 18, ...Array.from({ length: 17 }, (_, i) => 300 + i)], 20, 3);
    const rep = stats.overlap.report(5);
    expect(rep.lists).to.have.length(1);
    expect(rep.lists[0]).to.deep.include({ path: 'items', measure: 'recall', min: 0.8, compared: 3, judged: 3, belowMin: 1, mean: 0.733, lowest: 0.3 });
    expect(rep.lists[0].unjudged).to.deep.equal({ compared: 0, mean: null });
    expect(rep.lists[0].buckets).to.include({ '<0.4': 1, '<1': 1, '1': 1 });
    expect(rep.lists[0].total).to.deep.equal({ path: 'page.total', compared: 3, outside: 1, ratio: { min: 0.5, mean: 1, max: 1.5 } });
    expect(rep.recent.map((x) => [x.requestId, x.lists[0].value, x.match])).to.deep.equal([['r3', 0.3, false], ['r2', 0.9, true], ['r1', 1, true]]);
    const text = await metrics.registry.metrics();
    expect(text).to.contain('strangler_shadow_overlap_bucket{le="0.2",route="search",list="items",judged="true"} 0');
    expect(text).to.contain('strangler_shadow_overlap_bucket{le="0.3",route="search",list="items",judged="true"} 1');
    expect(text).to.contain('strangler_shadow_overlap_count{route="search",list="items",judged="true"} 3');
    // scores not judged are kept apart
    const cut = compareResponses(res(page(legacyTop, 40)), res(page([20, ...Array.from({ length: 19 }, (_, i) => 400 + i)], 40)), shipped);
    stats.recordOverlap(cut.overlap!, { requestId: 'r4', url: '/api/search?q=4', match: cut.match });
    expect(stats.overlap.report(1).lists[0]).to.deep.include({ compared: 4, judged: 3, mean: 0.733, unjudged: { compared: 1, mean: 0.1 } });
    expect(await metrics.registry.metrics()).to.contain('strangler_shadow_overlap_count{route="search",list="items",judged="false"} 1');
    expect(text).to.contain('strangler_shadow_total_ratio_count{route="search",list="items"} 3');
  });
});
