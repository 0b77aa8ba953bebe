import { expect } from 'chai';
import v8 from 'node:v8';
import vm from 'node:vm';
import ProductService from '../../thrift/gen-nodejs/ProductService.js';
import { createThriftClient, createThriftServer } from '../index.ts';
import { PendingCalls } from '../pending-calls.ts';

interface Call { seqid: number; tag: string }

describe('thrift client: calls in flight by seqid (rpc/pending-calls.ts)', () => {
  it('hands out increasing seqids, finds a call by its seqid only while it is in flight, and forgets it once', () => {
    const p = new PendingCalls<Call>(4);
    const a = p.add((seqid) => ({ seqid, tag: 'a' }));
    const b = p.add((seqid) => ({ seqid, tag: 'b' }));
    expect([a.seqid, b.seqid]).to.deep.equal([1, 2]);
    expect(p.get(1)).to.equal(a);
    expect(p.size).to.equal(2);
    expect(p.delete(a)).to.equal(true);
    expect(p.delete(a)).to.equal(false);
    expect(p.get(1)).to.equal(undefined);
    // a seqid that maps to b's slot but is not b's (a late reply to an older call) finds nothing
    expect(p.get(b.seqid + 4)).to.equal(undefined);
    expect(p.list()).to.deep.equal([b]);
  });

  it('skips seqids whose slot is still taken by a long call, grows when half full, and wraps at 2^31-1', () => {
    const p = new PendingCalls<Call>(4);
    const long = p.add((seqid) => ({ seqid, tag: 'long' })); // seqid 1, slot 1
    for (let i = 0; i < 3; i++) p.delete(p.add((seqid) => ({ seqid, tag: 'short' }))); // 2, 3, 4
    const next = p.add((seqid) => ({ seqid, tag: 'next' })); // 5 would share slot 1 with `long`
    expect(next.seqid).to.equal(6);
    const many = Array.from({ length: 20 }, () => p.add((seqid) => ({ seqid, tag: 'many' })));
    const seqids = new Set([long, next, ...many].map((c) => c.seqid));
    expect(seqids.size).to.equal(22);
    for (const c of [long, next, ...many]) expect(p.get(c.seqid)).to.equal(c);

    const w = new PendingCalls<Call>(4);
    (w as unknown as { last: number }).last = 0x7fffffff - 1;
    expect(w.add((seqid) => ({ seqid, tag: 'max' })).seqid).to.equal(0x7fffffff);
    expect(w.add((seqid) => ({ seqid, tag: 'wrapped' })).seqid).to.equal(1);
  });

  it('a late reply to a timed-out call settles nothing: the call made after it gets its own reply', async () => {
    const product = (id: string) => ({ id, shopId: '1', externalId: 'e', name: id, price: '1.00', currency: 'KRW', status: 'active', likeCount: 0, viewCount: 0, popularityScore: 0, version: 1, discountRate: '0.00', createdAt: 't', updatedAt: 't' });
    const server = await createThriftServer({
      service: 'product', module: ProductService, port: 0,
      handler: { getProduct: (_ctx: unknown, id: string) => new Promise((r) => setTimeout(() => r(product(id)), Number(id.split(':')[1] ?? 0))) },
    });
    const client = createThriftClient(ProductService, { service: 'product', port: server.port, poolSize: 1, metrics: false });
    try {
      const late = await client.getProduct({ timeoutMs: 30 }, 'late:400', {}).then(() => 'answered', (e: { code: string }) => e.code);
      expect(late).to.equal('DEADLINE_EXCEEDED');
      // 15 quick calls, so that the next one gets the seqid that shares the late call's slot (16 slots) and is
      // in flight when the late reply arrives on the same connection
      for (let i = 0; i < 15; i++) await client.getProduct({}, 'quick:0', {});
      const next = await client.getProduct({}, 'next:800', {});
      expect(next.id).to.equal('next:800');
      expect(client.$stats()).to.include({ ready: 1, inFlight: 0 });
    } finally {
      await client.$close();
      await server.close();
    }
  });

  it('a settled call leaves nothing behind that keeps its reply alive past a young-generation GC', async function () {
    // The defect: with a Map<seqid, call> whose table had reached old space, each rehash (every few calls)
    // allocated the next table in old space and left the previous one as garbage still pointing at the calls
    // live at the time; the scavenger treats old-to-young pointers as roots, so settled calls' replies
    // survived young GCs until the next full GC (thrift/README.md, "tail latency"). Measured here: heap
    // still in use after a young-generation GC, relative to the reply bytes the calls produced.
    this.timeout(60_000);
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (o?: { type: 'major' | 'minor'; execution: 'sync' }) => void;
    const bigName = 'x'.repeat(20_000);
    const server = await createThriftServer({
      service: 'product', module: ProductService, port: 0,
      handler: { getProduct: (_ctx: unknown, id: string) => ({ id, shopId: '1', externalId: 'e', name: bigName, price: '1.00', currency: 'KRW', status: 'active', likeCount: 0, viewCount: 0, popularityScore: 0, version: 1, discountRate: '0.00', createdAt: 't', updatedAt: 't' }) },
    });
    const client = createThriftClient(ProductService, { service: 'product', port: server.port, poolSize: 1, metrics: false });
    try {
      const run = async (calls: number, concurrency: number) => {
        let left = calls;
        await Promise.all(Array.from({ length: concurrency }, async () => {
          while (left-- > 0) await client.getProduct({}, String(left), {});
        }));
      };
      await run(50, 4);
      gc(); gc(); // the connection and its bookkeeping are now in old space, as in a long-running client
      const before = process.memoryUsage().heapUsed;
      const calls = 300;
      await run(calls, 4);
      gc({ type: 'minor', execution: 'sync' });
      gc({ type: 'minor', execution: 'sync' });
      const kept = process.memoryUsage().heapUsed - before;
      const replyBytes = calls * bigName.length;
      expect(kept, `heap kept after young GCs: ${kept} bytes of ${replyBytes} reply bytes`).to.be.below(replyBytes * 0.2);
    } finally {
      await client.$close();
      await server.close();
    }
  });
});
