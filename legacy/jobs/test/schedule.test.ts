import { expect } from 'chai';
import { Scheduler, nextSlot, parseDuration } from '../schedule.ts';

/** A fake clock + timer queue: time moves only when the test says so. */
function fakeTime(start: number) {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimer: (h: unknown) => void timers.delete(h as number),
    pending: () => timers.size,
    /** Advances to `to`, firing due timers in order and letting promises settle between them. */
    async advance(to: number, opts: { late?: boolean } = {}) {
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= to).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = opts.late ? to : Math.max(now, due[1].at);
        due[1].fn();
        for (let i = 0; i < 10; i++) await Promise.resolve();
      }
      now = to;
      for (let i = 0; i < 10; i++) await Promise.resolve();
    },
  };
}

describe('jobs: scheduler (pure, fake clock)', () => {
  it('parses durations', () => {
    expect(parseDuration('30s')).to.equal(30_000);
    expect(parseDuration('15m')).to.equal(900_000);
    expect(parseDuration('1h30m')).to.equal(5_400_000);
    expect(parseDuration('1d')).to.equal(86_400_000);
    expect(parseDuration('250ms')).to.equal(250);
    expect(parseDuration('90')).to.equal(90_000);
    for (const bad of ['', 'soon', '1x', '5m later', 'm5']) expect(() => parseDuration(bad), bad).to.throw(/not a duration/);
  });

  it('computes wall-clock slots: offset + k·interval, strictly after now', () => {
    const H = 3_600_000;
    expect(nextSlot(Date.UTC(2026, 0, 1, 10, 20), H, 5 * 60_000)).to.equal(Date.UTC(2026, 0, 1, 11, 5));
    expect(nextSlot(Date.UTC(2026, 0, 1, 11, 5), H, 5 * 60_000)).to.equal(Date.UTC(2026, 0, 1, 12, 5));
    expect(nextSlot(Date.UTC(2026, 0, 1, 10), 24 * H, 3 * H)).to.equal(Date.UTC(2026, 0, 2, 3));
  });

  it('runs on its slots without drift, even when timers fire late', async () => {
    const t = fakeTime(1_000_500);
    const slots: number[] = [];
    const s = new Scheduler({ intervalMs: 1000, task: async (slot) => void slots.push(slot), now: t.now, setTimer: t.setTimer, clearTimer: t.clearTimer });
    s.start();
    await t.advance(1_001_000);
    await t.advance(1_002_300, { late: true }); // the 1_002_000 timer fires 300 ms late
    expect(s.next).to.equal(1_003_000); // the next slot does not inherit the delay
    await t.advance(1_004_000);
    expect(slots).to.deep.equal([1_001_000, 1_002_000, 1_003_000, 1_004_000]);
    await s.stop();
    expect(t.pending()).to.equal(0);
  });

  it('runs at once when asked, and skips slots a long run overlapped instead of piling up', async () => {
    const t = fakeTime(10_000);
    const starts: number[] = [];
    let finish: (() => void) | undefined;
    const s = new Scheduler({
      intervalMs: 1000, runOnStart: true, now: t.now, setTimer: t.setTimer, clearTimer: t.clearTimer,
      task: () => { starts.push(t.now()); return new Promise<void>((r) => { finish = r; }); },
    });
    s.start();
    expect(starts).to.deep.equal([10_000]);
    await t.advance(13_500); // the run is still going: no new run
    expect(starts).to.deep.equal([10_000]);
    finish!();
    await t.advance(13_500);
    expect(s.next).to.equal(14_000);
    await t.advance(14_000);
    expect(starts).to.deep.equal([10_000, 14_000]);
    finish!();
    await s.stop();
  });

  it('keeps going after a failed run and reports the error', async () => {
    const t = fakeTime(0);
    const errors: unknown[] = [];
    let n = 0;
    const s = new Scheduler({
      intervalMs: 100, now: t.now, setTimer: t.setTimer, clearTimer: t.clearTimer, onError: (e) => errors.push(e),
      task: async () => { if (++n === 1) throw new Error('boom'); },
    });
    s.start();
    await t.advance(300);
    expect(n).to.equal(3);
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(['boom']);
    await s.stop();
  });

  it('stop waits for the run in progress and schedules nothing more', async () => {
    const t = fakeTime(0);
    let finish: (() => void) | undefined;
    let done = false;
    const s = new Scheduler({ intervalMs: 100, runOnStart: true, now: t.now, setTimer: t.setTimer, clearTimer: t.clearTimer,
      task: () => new Promise<void>((r) => { finish = () => { done = true; r(); }; }) });
    s.start();
    const stopped = s.stop().then(() => done);
    finish!();
    expect(await stopped).to.equal(true);
    expect(t.pending()).to.equal(0);
    expect(s.runs).to.equal(1);
  });
});
