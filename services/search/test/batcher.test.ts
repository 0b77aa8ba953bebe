import { expect } from 'chai';
import { EventBatcher, parseEvent } from '../indexer.ts';
import type { ProductChangedEvent } from '../../../lib/events/queues.ts';

const ev = (productId: number): ProductChangedEvent => ({ eventId: productId, productId, version: 1, kind: 'updated', changedAt: 1 });

describe('search indexer: micro-batching and event validation', () => {
  it('applies events that arrive together in one call, each job getting its own outcome or error', async () => {
    const calls: number[][] = [];
    const b = new EventBatcher(async (evs) => {
      calls.push(evs.map((e) => e.productId));
      return evs.map((e) => (e.productId === 2 ? new Error('source behind') : 'indexed'));
    }, { lingerMs: 5, max: 10 });
    const results = await Promise.allSettled([b.add(ev(1)), b.add(ev(2)), b.add(ev(3))]);
    expect(calls).to.deep.equal([[1, 2, 3]]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('flushes at the size limit without waiting, and a failing batch rejects every event in it', async () => {
    const calls: number[][] = [];
    const b = new EventBatcher(async (evs) => {
      calls.push(evs.map((e) => e.productId));
      if (evs[0].productId === 3) throw new Error('db down');
      return evs.map(() => 'indexed' as const);
    }, { lingerMs: 10_000, max: 2 });
    const a = await Promise.all([b.add(ev(1)), b.add(ev(2))]);
    expect(a).to.deep.equal(['indexed', 'indexed']);
    const r = await Promise.allSettled([b.add(ev(3)), b.add(ev(4))]);
    expect(r.every((x) => x.status === 'rejected')).to.equal(true);
    expect(calls).to.deep.equal([[1, 2], [3, 4]]);
  });

  it('refuses malformed events as unrecoverable (no retry)', () => {
    expect(() => parseEvent({ productId: 'x' })).to.throw(/malformed product event/).with.property('name', 'UnrecoverableError');
    expect(parseEvent(ev(5))).to.deep.equal(ev(5));
  });
});
