import { expect } from 'chai';
import { ADMIN_MIX, clientCounts, MERCHANT_MIX, mixProblems, pickWeighted, SHOPPER_MIX, thinkTimeMs } from '../traffic/mix.ts';
import { classify, percentile, summarize, summaryOf } from '../traffic/stats.ts';
import { parseRouteHeader } from '../traffic/route-header.ts';
import { searchTermsFrom } from '../traffic/world.ts';
import type { Sample } from '../traffic/types.ts';

const sample = (o: Partial<Sample>): Sample => ({ persona: 'shopper', action: 'browse', endpoint: 'GET /api/products', phase: 'p', status: 200, latencyMs: 1, at: 0, ...o });

describe('demo traffic: mixes', () => {
  it('the three client mixes are valid', () => {
    for (const m of [SHOPPER_MIX, ADMIN_MIX, MERCHANT_MIX] as Array<Record<string, number>>) expect(mixProblems(m)).to.deep.equal([]);
  });

  it('reports every bad weight', () => {
    expect(mixProblems({ a: -1, b: Number.NaN })).to.deep.equal(['a: weight must be a finite number ≥ 0', 'b: weight must be a finite number ≥ 0', '(mix): needs at least one positive weight']);
  });

  it('picks by cumulative weight, skipping zero weights, clamping r', () => {
    const w = { a: 1, z: 0, b: 3 };
    expect(pickWeighted(w, 0)).to.equal('a');
    expect(pickWeighted(w, 0.2499)).to.equal('a');
    expect(pickWeighted(w, 0.25)).to.equal('b');
    expect(pickWeighted(w, 1)).to.equal('b');
    expect(pickWeighted(w, -5)).to.equal('a');
    expect(() => pickWeighted({ a: 0 }, 0.5)).to.throw(/no positive weight/);
  });

  it('follows the weights over many draws', () => {
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 1000; i++) counts[pickWeighted({ a: 1, b: 3 }, i / 1000)]++;
    expect(counts).to.deep.equal({ a: 250, b: 750 });
  });

  it('think time stays in range; client counts scale with the load level', () => {
    expect(thinkTimeMs(0, 5, 40)).to.equal(5);
    expect(thinkTimeMs(1, 5, 40)).to.equal(40);
    expect(thinkTimeMs(2, 5, 40)).to.equal(40);
    expect(clientCounts(1)).to.deep.equal({ shoppers: 6, admins: 1, merchants: 2 });
    expect(clientCounts(0.1)).to.deep.equal({ shoppers: 1, admins: 1, merchants: 1 });
    expect(() => clientCounts(0)).to.throw(/positive/);
  });
});

describe('demo traffic: percentiles, classification, summaries', () => {
  it('nearest-rank percentiles', () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(a, 50)).to.equal(5);
    expect(percentile(a, 99)).to.equal(10);
    expect(percentile(a, 0)).to.equal(1);
    expect(percentile([7], 99)).to.equal(7);
    expect(percentile([], 50)).to.be.NaN;
  });

  it('classifies what a client did not expect', () => {
    expect(classify(200, [200])).to.equal(undefined);
    expect(classify(404, [200, 404])).to.equal(undefined);
    expect(classify(0, [200])).to.equal('connection');
    expect(classify(502, [200])).to.equal('5xx');
    expect(classify(401, [200])).to.equal('unexpected-4xx');
    expect(classify(200, [201])).to.equal('unexpected-status');
  });

  it('summarises per group with error kinds and rate', () => {
    const s = [
      sample({ phase: 'a', latencyMs: 10, at: 0 }), sample({ phase: 'a', latencyMs: 30, at: 970, error: '5xx', status: 500 }),
      sample({ phase: 'b', latencyMs: 5, at: 0 }),
    ];
    const g = summarize(s, (x) => x.phase);
    expect(g.map((x) => x.key)).to.deep.equal(['a', 'b']);
    expect(g[0]).to.include({ requests: 2, errors: 1, p50: 10, p99: 30, max: 30 });
    expect(g[0].errorKinds).to.deep.equal({ '5xx': 1 });
    expect(g[0].rps).to.equal(2);
    expect(summaryOf('empty', []).requests).to.equal(0);
  });
});

describe('demo traffic: facade route header and search words', () => {
  it('parses x-strangler-route', () => {
    expect(parseRouteHeader('products.get; upstream=product')).to.deep.equal({ route: 'products.get', upstream: 'product' });
    expect(parseRouteHeader(['fallback:/api; upstream=legacy-user; fallback=5xx'])).to.deep.equal({ route: 'fallback:/api', upstream: 'legacy-user', fallback: '5xx' });
    expect(parseRouteHeader(undefined)).to.equal(undefined);
    expect(parseRouteHeader('')).to.equal(undefined);
  });

  it('takes the most frequent words of product names, Korean and English', () => {
    expect(searchTermsFrom(['오버핏 셔츠 Black', '오버핏 니트', 'Black 셔츠', 'a'], 3)).to.deep.equal(['Black', '셔츠', '오버핏']);
  });
});
