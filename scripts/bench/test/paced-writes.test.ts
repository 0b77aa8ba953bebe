import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { pacedWrites } from '../_paced-writes.ts';

describe('bench: pacedWrites (open loop)', () => {
  it('sends every write that fell due before the end, at the offered rate', async () => {
    const out: number[] = [];
    const starts: number[] = [];
    const t0 = performance.now();
    const r = await pacedWrites(4, 500, t0 + 300, () => new Promise((resolve) => setImmediate(resolve)), out, starts);
    // due every 2 ms from the start: 0, 2, …, 298 ms
    expect(out.length).to.be.within(149, 150);
    expect(starts).to.have.length(out.length);
    expect(r.late).to.be.below(out.length / 2);
  });

  it('keeps offering load when the server is slow, and counts the writes that waited for a session', async () => {
    const out: number[] = [];
    const t0 = performance.now();
    let busy = 0;
    let maxBusy = 0;
    const r = await pacedWrites(2, 200, t0 + 200, async () => {
      maxBusy = Math.max(maxBusy, ++busy);
      await sleep(30);
      busy--;
    }, out, []);
    const took = performance.now() - t0;
    // 40 writes fell due; a closed loop of 2 sessions would have sent ~14 in 200 ms
    expect(out.length).to.be.within(39, 40);
    expect(maxBusy).to.equal(2);
    expect(r.late).to.be.above(30);
    // the backlog drains after the end: 20 rounds of 2 × 30 ms
    expect(took).to.be.above(550);
    // latency is each write's own, not the time it waited for a session
    expect(Math.max(...out)).to.be.below(200);
  });

  it('rejects with the first failed write', async () => {
    let n = 0;
    const p = pacedWrites(2, 1000, performance.now() + 50, async () => {
      if (++n === 5) throw new Error('boom');
    }, [], []);
    let err: Error | null = null;
    await p.catch((e: Error) => (err = e));
    expect(err).to.be.instanceOf(Error);
    expect(err!.message).to.equal('boom');
  });
});
