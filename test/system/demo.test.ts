/**
 * The system test: a smaller walk of the whole migration (the same steps as
 * `npm run demo`, small data, one-second phases) in its own databases
 * (t_sys_<run>_*), Redis prefix and free ports. A step another area cannot
 * support yet is reported as not possible with its reason, never faked. The
 * clients must see 0 errors in every phase without a table switch, and no
 * answer may contradict what its client wrote; splits must verify with 0
 * differences.
 */
import { expect } from 'chai';
import { DEFAULT_REDIS_URL } from '../../lib/config.ts';
import { runDemo, type DemoResult } from '../../scripts/demo/demo.ts';
import { testServerDsn } from '../helpers/db.ts';

describe('system: the Zigzag migration end to end under client traffic @integration', function () {
  this.timeout(170_000);
  let result: DemoResult;
  const lines: string[] = [];

  before(async function () {
    this.timeout(170_000);
    result = await runDemo({
      serverDsn: testServerDsn(), redisUrl: process.env.TEST_REDIS_URL ?? DEFAULT_REDIS_URL, prefix: 't_sys',
      options: { scale: 0.1, dwellMs: 1000, level: 0.5, keep: false }, removeFolder: true,
      print: (l) => lines.push(l),
    });
  });

  it('walks every step; none fails (a step another area cannot support yet says why)', () => {
    const failed = result.evidence.steps.filter((s) => s.status === 'failed');
    expect(failed, lines.join('\n')).to.deep.equal([]);
    expect(result.evidence.steps.map((s) => s.id)).to.deep.equal(['1', '2', '3', '4', '5', '6', '7', '8']);
    for (const s of result.evidence.steps.filter((x) => x.status === 'unavailable')) expect(s.reason, `step ${s.id}`).to.be.a('string').and.not.equal('');
  });

  it('monolith, facade and the product route cutover are done', () => {
    const done = new Set(result.evidence.steps.filter((s) => s.status === 'done').map((s) => s.id));
    expect([...done], lines.join('\n')).to.include.members(['1', '2', '3']);
  });

  /** Phases in which a split's cutover or rollback runs (its write freeze). */
  const switching = (phase: string) => / split( rollback)?$/.test(phase);

  it('the clients saw 0 errors in every phase without a table switch, and every kind of client worked', () => {
    const errors = result.samples.filter((s) => s.error && !switching(s.phase));
    expect(errors.map((e) => `[${e.phase}] ${e.error} ${e.detail}`).slice(0, 10), result.summary).to.deep.equal([]);
    expect(result.samples.filter((s) => !switching(s.phase)).length).to.be.greaterThan(100);
    for (const persona of ['shopper', 'admin', 'merchant'] as const) expect(result.samples.filter((s) => s.persona === persona).length, persona).to.be.greaterThan(10);
    expect(result.verdict.checks, 'read-your-writes checks ran').to.be.greaterThan(0);
    expect(result.verdict.contradictions, 'no answer contradicted what its client had written').to.equal(0);
  });

  /**
   * During a split's cutover/rollback the writers retry writes that meet the fence (lib/seam/requests.ts), so the
   * target holds across the whole walk: 0 client-visible errors.
   */
  it('the clients saw 0 errors while tables switched', function () {
    const errors = result.samples.filter((s) => s.error && switching(s.phase));
    const lines = errors.map((e) => `[${e.phase}] ${e.endpoint} ${e.status} via ${e.upstream ?? '-'}`);
    expect(lines.slice(0, 10), result.summary).to.deep.equal([]);
    expect(result.verdict.clientErrors).to.equal(0);
  });

  it('traffic went through the facade and reached the product service after the switch', () => {
    const viaProduct = result.samples.filter((s) => s.phase === '3 product service' && s.upstream === 'product');
    expect(viaProduct.length).to.be.greaterThan(0);
    const shadowed = result.evidence.routes.filter((r) => r.service === 'product').reduce((n, r) => n + r.sent, 0);
    expect(shadowed, 'product reads were shadowed and compared').to.be.greaterThan(0);
  });

  it('every split verified its rows with 0 differences', () => {
    expect(result.evidence.splits.length, 'at least the product split ran plan/start/verify').to.be.greaterThan(0);
    for (const s of result.evidence.splits.filter((x) => x.rowsCompared > 0)) expect(s.differences, `${s.service} ${s.action}`).to.equal(0);
    expect(result.verdict.dataDifferences).to.equal(0);
  });

  it('prints the summary table', () => {
    expect(result.summary).to.match(/Client traffic per phase/);
    expect(result.summary).to.match(/Verdict: \d+ requests/);
  });
});
