import { expect } from 'chai';
import { clippedJson, errorCore, explainDiff, formatShadowBreakdown, serverErrors, shadowBreakdown } from '../diagnostics.ts';
import { emptyEvidence } from '../evidence.ts';
import { formatSummary, verdict } from '../summary.ts';
import type { Sample } from '../traffic/types.ts';

const sample = (): Sample => ({ persona: 'shopper', action: 'get', endpoint: 'GET /x', phase: 'p', status: 200, latencyMs: 1, at: 0 });

describe('demo diagnostics: server-side errors, shadow counts that add up, explained mismatches', () => {
  const log = [
    JSON.stringify({ level: 50, time: 1_700_000_000_000, name: 'demo', component: 'product', msg: 'thrift handler failed', err: { message: 'writes to products are fenced (split cutover in progress)\n    at …' } }),
    JSON.stringify({ level: 50, time: 1_700_000_000_500, name: 'demo', component: 'product', msg: 'thrift handler failed', err: { message: 'writes to products are fenced (split cutover in progress)' } }),
    JSON.stringify({ level: 40, time: 1_700_000_000_600, name: 'demo', component: 'facade', msg: 'proxy error' }),
    'not json',
    JSON.stringify({ level: 60, time: 1_700_000_001_000, name: 'demo', component: 'legacy-user-api', msg: 'unhandled' }),
  ].join('\n');

  it('reads error-level lines from the log, grouped by process, message and error', () => {
    expect(serverErrors(log)).to.deep.equal([
      { component: 'product', message: 'thrift handler failed', error: 'writes to products are fenced (split cutover in progress)', count: 2, first: '2023-11-14T22:13:20.000Z' },
      { component: 'legacy-user-api', message: 'unhandled', error: '', count: 1, first: '2023-11-14T22:13:21.000Z' },
    ]);
  });

  it('an SQL error is reported by its cause, not by the first line of its SQL', () => {
    const knexError = 'update `shops` set `follower_count` = IF(CAST(follower_count AS SIGNED) + 1 > 0,\n  CAST(follower_count AS SIGNED) + 1, 0) where `id` = 4 - split-db: writes to shops are fenced (shop split: cutover in progress or done on the other side)';
    expect(errorCore(knexError)).to.equal('split-db: writes to shops are fenced (shop split: cutover in progress or done on the other side) (in: update `shops` set `follower_count` = IF(CAST(follower_count…)');
    expect(errorCore('SELECT COLUMN_NAME AS name,\n  COLUMN_TYPE AS ct FROM information_schema.COLUMNS - Lock wait timeout exceeded')).to.match(/^Lock wait timeout exceeded \(in: SELECT COLUMN_NAME/);
    expect(errorCore('connect ECONNREFUSED\nmore')).to.equal('connect ECONNREFUSED');
  });

  it('the verdict counts them (NOT OK) and the summary lists them; shadow mismatches are counted and explained', () => {
    const ev = emptyEvidence();
    expect(verdict([sample()], ev)).to.include({ ok: true, serverErrors: 0 });
    ev.serverErrors = serverErrors(log);
    ev.routes.push({ route: 'products.get', service: 'product', sent: 3, matched: 2, mismatched: 1, noiseMismatched: 0, finalMode: 'service', explanations: ['GET /api/products/7: body.price: legacy "1000.00", service "1000"'] });
    const v = verdict([sample()], ev);
    expect(v).to.include({ ok: false, serverErrors: 3, shadowMismatches: 1 });
    const out = formatSummary([sample()], ev);
    expect(out).to.match(/Server-side errors in the processes' log \(3 in all/);
    expect(out).to.match(/product\s+thrift handler failed\s+writes to products are fenced/);
    expect(out).to.include('  products.get: GET /api/products/7: body.price: legacy "1000.00", service "1000"');
    expect(out).to.match(/Verdict: 1 requests, 0 client-visible errors, 3 server-side errors, 1 shadow mismatches \(explained above\), 0 data differences; .* → NOT OK/);
  });

  it('shadowed 51 with 50 matched adds up: the missing copy is named (still comparing, or not compared)', () => {
    const inFlight = shadowBreakdown({ sent: 51, matched: 50, mismatched: 0, errors: 0, skipped: 0, inFlight: 1 });
    expect(formatShadowBreakdown(inFlight)).to.equal('shadowed 51 = matched 50 + mismatched 0 + shadow errors 0 + still comparing 1');
    const failed = shadowBreakdown({ sent: 51, matched: 50, mismatched: 0, errors: 0, skipped: 3, inFlight: 0 });
    expect(failed).to.include({ notCompared: 1, saturated: 2 });
    expect(formatShadowBreakdown(failed)).to.equal('shadowed 51 = matched 50 + mismatched 0 + shadow errors 0 + not compared 1 (legacy answer failed or client left); not shadowed 2 (shadow capacity full)');
    for (const b of [inFlight, failed]) expect(b.matched + b.mismatched + b.errors + b.inFlight + b.notCompared).to.equal(b.sent);
  });

  it('explains a mismatch by its differing paths with both values, a failed service copy, a status difference', () => {
    const legacy = { status: 200, body: JSON.stringify({ id: 7, price: '1000.00', items: [1, 2] }) };
    const service = { status: 200, body: JSON.stringify({ id: 7, price: '1000', items: [1] }) };
    expect(explainDiff({ method: 'GET', url: '/api/products/7', differences: ['body.price', 'body.items.length'], legacy, service }))
      .to.equal('GET /api/products/7: body.price: legacy "1000.00", service "1000"; body.items.length: legacy 2, service 1');
    expect(explainDiff({ method: 'GET', url: '/x', differences: ['error'], legacy, service: { error: 'timeout' } })).to.equal('GET /x: the service copy failed (timeout)');
    expect(explainDiff({ method: 'GET', url: '/x', differences: ['status'], legacy, service: { status: 500, body: '{}' } })).to.equal('GET /x: status legacy 200, service 500');
    expect(explainDiff({ method: 'GET', url: '/x', differences: ['body.gone'], legacy: { status: 200, body: '{"gone":1}' }, service: { status: 200, body: '{}' } })).to.equal('GET /x: body.gone: legacy 1, service absent');
  });

  it('the first diff is shown as JSON shortened by value, never cut mid-token', () => {
    const big = { method: 'GET', url: '/api/products?size=20', differences: ['body.items.3.name'], legacy: { status: 200, body: JSON.stringify({ items: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `상품 ${'x'.repeat(50)} ${i}` })) }) } };
    const text = clippedJson(big, 300);
    expect(text.length).to.be.at.most(300);
    expect(() => JSON.parse(text)).to.not.throw();
    expect(JSON.parse(text)).to.have.property('url', '/api/products?size=20');
    expect(JSON.stringify(big).slice(0, 300)).to.satisfy((s: string) => { try { JSON.parse(s); return false; } catch { return true; } }); // what the demo printed before
  });
});
