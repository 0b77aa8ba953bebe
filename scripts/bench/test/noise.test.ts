import { expect } from 'chai';
import { formatLoad, judge, loadAverage, spread, verdictLine, verdictLines, QUIET_LIMITS } from '../_noise.ts';

const load = (one: number) => ({ one, five: one, fifteen: one });

describe('bench noise guard', () => {
  it('spread is (max - min) / median over finite rounds, 0 below two rounds', () => {
    expect(spread([100, 110, 90])).to.be.closeTo(0.2, 1e-9);
    expect(spread([100, 130])).to.be.closeTo(30 / 115, 1e-9);
    expect(spread([100])).to.equal(0);
    expect(spread([])).to.equal(0);
    expect(spread([100, NaN, 100])).to.equal(0);
    expect(spread([0, 0, 5])).to.equal(Infinity);
  });

  it('a quiet machine with steady peer rounds gets a verdict', () => {
    const v = judge({ loadBefore: load(0.1), peerRounds: { 'http c32': [10_500, 10_200, 9_900] } });
    expect(v).to.deep.equal({ quiet: true, reasons: [] });
    expect(verdictLine('1.6x (target >= 1.5x)', v)).to.equal('1.6x (target >= 1.5x)');
  });

  it('load above 1.0 before the run is noisy, exactly 1.0 is not', () => {
    expect(judge({ loadBefore: load(1.0) }).quiet).to.equal(true);
    const v = judge({ loadBefore: load(2.84) });
    expect(v.quiet).to.equal(false);
    expect(v.reasons).to.deep.equal(['load average 2.84 before the run (limit 1)']);
    expect(verdictLine('1.6x (target >= 1.5x)', v)).to.match(/^noisy: no verdict \(load average 2\.84.*\)\. Measured: 1\.6x/);
  });

  it('several claims: unchanged when quiet, one noisy line with the reasons first otherwise', () => {
    expect(verdictLines(['a MET', 'b MISSED'], { quiet: true, reasons: [] })).to.deep.equal(['a MET', 'b MISSED']);
    expect(verdictLines(['a MET'], judge({ loadBefore: load(3) }))).to.deep.equal([
      'noisy: no verdict (load average 3.00 before the run (limit 1))', '  measured, not judged: a MET',
    ]);
  });

  it('an unknown load average is noisy (never a verdict by default)', () => {
    expect(judge({ loadBefore: load(NaN) }).reasons).to.deep.equal(['load average unknown before the run (limit 1)']);
  });

  it('peer rounds spreading more than 30 % are noisy, each named', () => {
    const v = judge({ loadBefore: load(0.2), peerRounds: { 'http c1': [3000, 3100], 'http c32': [10_000, 6_000, 9_000] } });
    expect(v.quiet).to.equal(false);
    expect(v.reasons).to.deep.equal(['http c32 rounds spread 44 % (limit 30 %)']);
    expect(judge({ loadBefore: load(0.2), peerRounds: { x: [100, 129] } }).quiet).to.equal(true);
  });

  it('limits can be passed, defaults are documented constants', () => {
    expect(QUIET_LIMITS).to.deep.equal({ maxLoadBefore: 1.0, maxSpread: 0.30 });
    expect(judge({ loadBefore: load(1.5) }, { maxLoadBefore: 2, maxSpread: 0.3 }).quiet).to.equal(true);
  });

  it('reads and formats the load average', () => {
    const l = loadAverage(() => [0.114, 0.2, 3]);
    expect(l).to.deep.equal({ one: 0.114, five: 0.2, fifteen: 3 });
    expect(formatLoad(l)).to.equal('0.11 0.20 3.00');
  });
});
