import { expect } from 'chai';
import { diffAnswers, diffJson, pathMatches } from '../compare.ts';

describe('parity: answer comparison', () => {
  it('matches dotted path patterns with * and **', () => {
    expect(pathMatches('token', 'token')).to.equal(true);
    expect(pathMatches('**.createdAt', 'items.3.createdAt')).to.equal(true);
    expect(pathMatches('**.createdAt', 'createdAt')).to.equal(true);
    expect(pathMatches('items.*.id', 'items.0.id')).to.equal(true);
    expect(pathMatches('items.*.id', 'items.0.shop.id')).to.equal(false);
  });

  it('reports value, length, missing-key and key-order differences', () => {
    const d = diffJson({ a: 1, b: [1, 2], c: { x: 1, y: 2 } }, { a: 2, b: [1], c: { y: 2, x: 1 }, d: 0 });
    expect(d.map((x) => x.path)).to.deep.equal(['a', 'b.length', 'c.(key order)', 'd']);
  });

  it('ignores generated timestamps but compares seeded ones', () => {
    const runStart = Date.parse('2026-01-01T00:00:00Z');
    const fresh = { createdAt: '2026-05-01T00:00:00.000001Z' };
    const fresh2 = { createdAt: '2026-05-01T00:00:01.000002Z' };
    expect(diffJson(fresh, fresh2, { runStart })).to.deep.equal([]);
    const seeded = { createdAt: '2024-05-01T00:00:00.000001Z' };
    expect(diffJson(seeded, fresh, { runStart })).to.have.length(1);
  });

  it('compares status and the headers clients rely on', () => {
    const a = { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'r1' }, body: { ok: 1 } };
    const b = { status: 404, headers: { 'content-type': 'application/json;charset=utf-8', 'x-request-id': 'r2' }, body: { ok: 1 } };
    expect(diffAnswers(a, b).map((d) => d.path)).to.deep.equal(['(status)', '(header x-request-id)']);
  });
});
