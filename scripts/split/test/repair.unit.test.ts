import { expect } from 'chai';
import { parseRange, repairableWhy, repairPlan } from '../lib/repair.ts';
import { renderRepair } from '../lib/render.ts';
import type { Difference, VerifyState } from '../lib/state.ts';

describe('split-db repair: pure parts', () => {
  it('reads the key range of a chunk whose hash differed, open at either end', () => {
    expect(parseRange('(["3131"]..["3230"]]')).to.deep.equal({ lo: '["3131"]', hi: '["3230"]' });
    expect(parseRange('(..["3230"]]')).to.deep.equal({ lo: null, hi: '["3230"]' });
    expect(parseRange('(["3131"]..]')).to.deep.equal({ lo: '["3131"]', hi: null });
    expect(() => parseRange('*')).to.throw(/not a key range/);
  });

  it('plans the differing keys per table once each, ranges apart, and says what no key repairs', () => {
    const d = (table: string, pk: string, kind: Difference['kind']): Difference => ({ table, pk, kind });
    const plan = repairPlan([
      d('products', '["31"]', 'different'), d('products', '["32"]', 'missing-on-target'), d('products', '["31"]', 'different'),
      d('images', '["39"]', 'extra-on-target'), d('images', '(["30"]..["35"]]', 'chunk-hash-differs'),
      d('products', '*', 'table-checksum-differs'), d('gone', '["31"]', 'different'),
    ], new Set(['products', 'images']));
    expect([...plan.keys].map(([t, s]) => [t, [...s]])).to.deep.equal([['products', ['["31"]', '["32"]']], ['images', ['["39"]']]]);
    expect(plan.ranges).to.deep.equal([{ table: 'images', lo: '["30"]', hi: '["35"]' }]);
    expect(plan.unrepairable).to.deep.equal([
      'products: CHECKSUM TABLE differs while every chunk compared equal (no key to repair; run verify --restart)', 'gone: not a table of this split']);
  });

  it('acts only on a finished verify of the direction the split is in', () => {
    const v = (o: Partial<VerifyState>): VerifyState => ({ direction: 'forward', startedAt: '', tables: {}, differences: [], inFlight: 0, ...o });
    expect(repairableWhy(undefined, 'forward')).to.match(/run verify first/);
    expect(repairableWhy(v({}), 'forward')).to.match(/no finished verify/);
    expect(repairableWhy(v({ finishedAt: 'x' }), 'reverse')).to.equal('the last verify checked the forward direction, the split is now reverse: run verify first');
    expect(repairableWhy(v({ finishedAt: 'x' }), 'forward')).to.equal(null);
  });

  it('renders the keys per table and what is left', () => {
    expect(renderRepair({ service: 'product', direction: 'forward', dryRun: true, tables: { products: 2 }, unrepairable: ['x: y'], why: 'would log 2 key(s) for the applier' }))
      .to.equal('dry run: product (forward): would log 2 key(s) for the applier\n  products: 2 key(s)\n  not repairable by key: x: y');
  });
});
