import { expect } from 'chai';
import { validateOptions } from '../lib/options.ts';
import { differenceCount, renderVerify } from '../lib/render.ts';
import { newState, type SplitState, type VerifyState } from '../lib/state.ts';
import { MAX_REPORTED_DIFFERENCES, record } from '../lib/verifier.ts';
import { DEFAULT_VERIFY_MAX_AGE_MS, parseDuration, verifyGate } from '../lib/verify-gate.ts';

const T0 = Date.parse('2026-12-06T05:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function copiedState(copiedMs = 0): SplitState {
  const s = newState('product', 'src', 'dst', ['t'], 100, new Date(T0 - 60_000));
  s.phase = 'copied';
  s.history.push({ at: at(copiedMs), event: 'copied', detail: '10 rows' });
  return s;
}

function verifyState(over: Partial<VerifyState> = {}): VerifyState {
  return { direction: 'forward', startedAt: at(1000), finishedAt: at(2000), tables: {}, differences: [], differencesFound: 0, truncated: false, inFlight: 0, ok: true, ...over };
}

describe('cutover verify gate (pure)', () => {
  const now = new Date(T0 + 10_000);
  const max = DEFAULT_VERIFY_MAX_AGE_MS;

  it('passes a clean forward verify finished after the copy and within the window', () => {
    const s = copiedState();
    s.verify = verifyState();
    expect(verifyGate(s, now, max)).to.deep.equal({ ok: true });
  });

  it('refuses a verify started before a moved table\'s definition changed (schema-guard.ts), passes one started after', () => {
    const s = copiedState();
    s.verify = verifyState(); // started at +1 s, finished at +2 s
    s.schemaChangedAt = at(1500);
    const g = verifyGate(s, now, max);
    expect(g.ok).to.equal(false);
    expect(g.ok ? '' : g.reason).to.equal(`the last verify started at ${at(1000)}, before a moved table's definition changed (recorded at ${at(1500)}); run verify again`);
    s.schemaChangedAt = at(1000); // recorded by this verify's own command just before it started
    expect(verifyGate(s, now, max)).to.deep.equal({ ok: true });
  });

  it('refuses: no verify, unfinished, differences (also counted past the cap), reverse, before the copy, too old', () => {
    const s = copiedState();
    const reason = (v?: VerifyState, n = now, m = max) => {
      s.verify = v;
      const g = verifyGate(s, n, m);
      return g.ok ? 'ok' : g.reason;
    };
    expect(reason(undefined)).to.match(/no verify has run/);
    expect(reason(verifyState({ finishedAt: undefined }))).to.match(/has not finished/);
    expect(reason(verifyState({ ok: false, differencesFound: 305, differences: [{ table: 't', pk: '1', kind: 'different', columns: ['a'] }] }))).to.match(/reported 305 difference\(s\)/);
    expect(reason(verifyState({ ok: false, differencesFound: 1500, truncated: true }))).to.match(/reported ≥ 1500 difference\(s\)/);
    expect(reason(verifyState({ ok: true, differencesFound: 1 }))).to.match(/reported 1 difference/);
    expect(reason(verifyState({ direction: 'reverse' }))).to.match(/reverse direction/);
    expect(reason(verifyState({ startedAt: at(-5000), finishedAt: at(-1000) }))).to.match(/before the copy/);
    expect(reason(verifyState(), new Date(T0 + 2000 + max + 1))).to.match(/is 1\.0 h old \(limit 1\.0 h/);
    expect(reason(verifyState(), new Date(T0 + 2000 + max))).to.equal('ok');
  });

  it('a rollback after the verify makes it stale', () => {
    const s = copiedState();
    s.verify = verifyState();
    s.history.push({ at: at(5000), event: 'rolled back' });
    const g = verifyGate(s, now, max);
    expect(g.ok).to.equal(false);
  });

  it('parses --verify-max-age and validates it once', () => {
    expect(parseDuration('3600000')).to.equal(3_600_000);
    expect(parseDuration('90s')).to.equal(90_000);
    expect(parseDuration('30m')).to.equal(1_800_000);
    expect(parseDuration('1.5h')).to.equal(5_400_000);
    expect(parseDuration('1 fortnight')).to.equal(undefined);
    expect(validateOptions({}).verifyMaxAgeMs).to.equal(DEFAULT_VERIFY_MAX_AGE_MS);
    expect(validateOptions({ verifyMaxAgeMs: '2h' }).verifyMaxAgeMs).to.equal(7_200_000);
    expect(() => validateOptions({ verifyMaxAgeMs: 'soon' })).to.throw(/verifyMaxAgeMs: must be a duration between 1s and 30d/);
    expect(() => validateOptions({ verifyMaxAgeMs: '10' })).to.throw(/verifyMaxAgeMs/);
  });
});

describe('verify counts are honest (pure)', () => {
  it('keeps the first MAX_REPORTED_DIFFERENCES, counts all, and says "≥" in the text', () => {
    const v = verifyState({ ok: undefined });
    for (let i = 0; i < MAX_REPORTED_DIFFERENCES + 234; i++) record(v, { table: 't', pk: String(i), kind: 'different', columns: ['a'] });
    expect(v.differences).to.have.length(MAX_REPORTED_DIFFERENCES);
    expect(v.differencesFound).to.equal(MAX_REPORTED_DIFFERENCES + 234);
    expect(v.truncated).to.equal(true);
    v.ok = false;
    expect(differenceCount(v)).to.equal('≥ 1,234');
    expect(renderVerify('product', v)).to.match(/^verify product \(forward\): ≥ 1,234 difference\(s\) \(truncated: the first 1000 are listed\)/);
    const small = verifyState({ ok: false });
    record(small, { table: 't', pk: '1', kind: 'missing-on-target' });
    expect(differenceCount(small)).to.equal('1');
    expect(small.truncated).to.equal(false);
  });
});
