import { expect } from 'chai';
import { CatchUpHub, type AppliedKeys } from '../lib/verify-catchup.ts';

/** A drain the test releases by hand; each run reports the keys queued for it. */
function manualDrain() {
  const runs: Array<{ release: () => void; fail: (e: Error) => void }> = [];
  const keysFor: AppliedKeys[] = [];
  const log: string[] = [];
  const drain = (report: (k: AppliedKeys) => void) => new Promise<number>((resolve, reject) => {
    const n = runs.length;
    log.push(`drain ${n} start`);
    runs.push({
      release: () => {
        if (keysFor[n]) report(keysFor[n]);
        log.push(`drain ${n} end`);
        resolve(n);
      },
      fail: reject,
    });
  });
  return { runs, keysFor, log, drain };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('verify catch-up shared by chunks in flight (pure)', () => {
  it('callers arriving before a drain starts share it; a caller arriving while it runs gets the next one', async () => {
    const d = manualDrain();
    const hub = new CatchUpHub(d.drain);
    const a = hub.catchUp();
    const b = hub.catchUp();
    await tick();
    expect(d.runs).to.have.length(1); // a and b: one drain
    const c = hub.catchUp(); // drain 0 already started: c must wait for a drain that starts after it
    d.runs[0].release();
    expect(await a).to.equal(0);
    expect(await b).to.equal(0);
    await tick();
    expect(d.runs).to.have.length(2);
    d.runs[1].release();
    expect(await c).to.equal(1);
    expect(d.log).to.deep.equal(['drain 0 start', 'drain 0 end', 'drain 1 start', 'drain 1 end']); // never two at once
    expect(hub.drains).to.equal(2);
  });

  it('runs a caller\'s follow-up right after its drain, before the next drain starts', async () => {
    const d = manualDrain();
    const hub = new CatchUpHub(d.drain);
    const first = hub.catchUp(async () => {
      d.log.push('then start');
      await tick();
      await tick();
      d.log.push('then end');
      return 'snapshot';
    });
    await tick();
    const second = hub.catchUp();
    d.runs[0].release();
    expect(await first).to.equal('snapshot');
    await tick();
    d.runs[1].release();
    await second;
    expect(d.log).to.deep.equal(['drain 0 start', 'drain 0 end', 'then start', 'then end', 'drain 1 start', 'drain 1 end']);
  });

  it('reports applied keys to every chunk watching at the time, and to no other', async () => {
    const d = manualDrain();
    const hub = new CatchUpHub(d.drain);
    const early = hub.watch();
    d.keysFor[0] = new Map([['t', ['1', '2']]]);
    d.keysFor[1] = new Map([['t', ['3']], ['u', ['9']]]);
    const p0 = hub.catchUp();
    await tick();
    const late = hub.watch(); // registered while drain 0 runs: its keys arrive after this, so late sees them too
    d.runs[0].release();
    await p0;
    early.stop();
    const p1 = hub.catchUp();
    await tick();
    d.runs[1].release();
    await p1;
    late.stop();
    expect([...early.keys.get('t')!]).to.deep.equal(['1', '2']);
    expect(early.keys.has('u')).to.equal(false);
    expect([...late.keys.get('t')!]).to.deep.equal(['1', '2', '3']);
    expect([...late.keys.get('u')!]).to.deep.equal(['9']);
  });

  it('binlog capture: every drain first waits for the reader (`captured`), and the quiet window can wait for it again', async () => {
    const d = manualDrain();
    const reader: Array<() => void> = [];
    const captured = () => new Promise<void>((r) => {
      d.log.push('wait for the reader');
      reader.push(() => {
        d.log.push('reader caught up');
        r();
      });
    });
    const hub = new CatchUpHub(d.drain, captured);
    const p = hub.catchUp(async (w) => {
      d.log.push('then: rows read');
      await w.captured();
      d.log.push('then: changelog read');
      return 'judged';
    });
    await tick();
    expect(d.runs, 'no drain before the reader caught up').to.have.length(0);
    reader.shift()!();
    await tick();
    d.runs[0].release();
    await tick();
    reader.shift()!();
    expect(await p).to.equal('judged');
    expect(d.log).to.deep.equal(['wait for the reader', 'reader caught up', 'drain 0 start', 'drain 0 end', 'then: rows read',
      'wait for the reader', 'reader caught up', 'then: changelog read']);
  });

  it('a failed drain rejects only the callers that waited for it; the next drain still runs', async () => {
    const d = manualDrain();
    const hub = new CatchUpHub(d.drain);
    const a = hub.catchUp();
    await tick();
    const b = hub.catchUp();
    d.runs[0].fail(new Error('changelog gone'));
    let err: Error | undefined;
    try {
      await a;
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.equal('changelog gone');
    await tick();
    d.runs[1].release();
    expect(await b).to.equal(1);
  });
});
