import { expect } from 'chai';
import { addDays, dayOf, isDay, parseDay } from '../../../lib/contract/jobs/days.ts';
import { DEFAULT_POPULARITY, decay, popularityScores, scoreChanges } from '../../../lib/contract/jobs/scoring.ts';
import { assembleShopStats } from '../shop-stats.ts';

describe('jobs: popularity scoring (pure)', () => {
  it('weights events by type and halves them every half-life', () => {
    const s = popularityScores([
      { productId: 1, type: 'view', ageDays: 0, count: 4 }, // 4·1
      { productId: 1, type: 'click', ageDays: 3, count: 2 }, // 2·3·½
      { productId: 1, type: 'like', ageDays: 6, count: 1 }, // 1·5·¼
      { productId: 2, type: 'view', ageDays: 13, count: 8 }, // 8·2^(-13/3)
    ]);
    expect(s.get(1)).to.equal(4 + 3 + 1.25);
    expect(s.get(2)).to.equal(Math.round(8 * Math.pow(0.5, 13 / 3) * 1e6) / 1e6);
    expect(decay(3, 3)).to.equal(0.5);
  });

  it('ignores events outside the window, empty buckets and unknown types', () => {
    const s = popularityScores([
      { productId: 1, type: 'view', ageDays: 14, count: 100 },
      { productId: 2, type: 'view', ageDays: -1, count: 100 },
      { productId: 3, type: 'view', ageDays: 0, count: 0 },
      { productId: 4, type: 'search' as 'view', ageDays: 0, count: 5 },
    ]);
    expect(s.size).to.equal(0);
  });

  it('parameters are respected', () => {
    const s = popularityScores([{ productId: 9, type: 'like', ageDays: 2, count: 3 }], { weights: { view: 0, click: 0, like: 2 }, halfLifeDays: 1, windowDays: 3 });
    expect(s.get(9)).to.equal(3 * 2 * 0.25);
    expect(DEFAULT_POPULARITY.windowDays).to.equal(14);
  });

  it('sums in a canonical order: the same buckets in any order give the same stored score', () => {
    // floating-point addition is not associative: summed in arrival order these give 1.621636 one way, 1.621635 the other
    const params = { weights: { view: 0.0588562, click: 0.875664, like: 0.6871153 }, halfLifeDays: 3, windowDays: 14 };
    const b = (type: 'view' | 'click' | 'like') => ({ productId: 1, type, ageDays: 0, count: 1 });
    const oneWay = popularityScores([b('view'), b('click'), b('like')], params).get(1);
    const other = popularityScores([b('like'), b('click'), b('view')], params).get(1);
    expect(oneWay).to.equal(other);
  });

  it('writes only differences: changed scores, and zeros for products that dropped out', () => {
    const next = new Map([[1, 2.5], [2, 1], [5, 3]]);
    const stored = new Map([[1, 2.5], [2, 0.5], [3, 7]]);
    expect(scoreChanges(next, stored)).to.deep.equal({ set: [[2, 1], [5, 3]], zero: [3] });
    expect(scoreChanges(next, next)).to.deep.equal({ set: [], zero: [] });
  });
});

describe('jobs: days and shop stats assembly (pure)', () => {
  it('validates and moves across UTC days', () => {
    expect(isDay('2026-02-28')).to.equal(true);
    expect(isDay('2026-02-30')).to.equal(false);
    expect(isDay('26-1-1')).to.equal(false);
    expect(() => parseDay('yesterday')).to.throw(/YYYY-MM-DD/);
    expect(addDays('2026-03-01', -1)).to.equal('2026-02-28');
    expect(addDays('2026-12-31', 1)).to.equal('2027-01-01');
    expect(dayOf(Date.UTC(2026, 0, 2, 23, 59))).to.equal('2026-01-02');
  });

  it('gives every shop a row, zero-filled', () => {
    const rows = assembleShopStats('2026-01-02', [3, 1, 2], new Map([[1, { views: 5, clicks: 2 }]]), new Map([[2, 4]]), new Map([[1, 10], [3, 1]]));
    expect(rows).to.deep.equal([
      { shopId: 1, day: '2026-01-02', views: 5, clicks: 2, likes: 0, activeProducts: 10 },
      { shopId: 2, day: '2026-01-02', views: 0, clicks: 0, likes: 4, activeProducts: 0 },
      { shopId: 3, day: '2026-01-02', views: 0, clicks: 0, likes: 0, activeProducts: 1 },
    ]);
  });
});
