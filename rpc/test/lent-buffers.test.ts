import { expect } from 'chai';
import ProductService from '../../thrift/gen-nodejs/ProductService.js';
import { createThriftClient, createThriftServer } from '../index.ts';
import { FastBinaryProtocol, WriteBuffer } from '../protocol.ts';

const tick = () => new Promise((r) => process.nextTick(r));
/** the same bytes of memory (small Buffers may share one pooled ArrayBuffer at different offsets) */
const sameMemory = (x: Buffer, y: Buffer) => x.buffer === y.buffer && x.byteOffset === y.byteOffset;

describe('thrift write buffers lent to the socket', () => {
  it('the scratch buffer is reused when onFlush is done with it, and left to it when it keeps it', async () => {
    const kept: Buffer[] = [];
    let done = true;
    const w = new WriteBuffer((b) => { kept.push(b); return done; }, { coalesce: true, lend: true, initialSize: 16384 });
    const proto = new FastBinaryProtocol(w);
    const send = async (name: string) => {
      proto.writeMessageBegin(name, 2, 1);
      proto.flush();
      await tick();
      return kept[kept.length - 1]!;
    };
    const a = await send('aaaa');
    const b = await send('bbbb');
    expect(sameMemory(a, b), 'done at once: the same memory again').to.equal(true);
    done = false;
    const c = await send('cccc');
    const copyOfC = Buffer.from(c);
    done = true;
    const d = await send('dddd');
    expect(sameMemory(c, d), 'kept: the next message goes to new memory').to.equal(false);
    expect(c.equals(copyOfC), 'the kept bytes are untouched').to.equal(true);
  });

  it('large requests and replies that the socket cannot take at once arrive intact @integration', async function () {
    this.timeout(30_000);
    const product = (id: string) => ({ id, shopId: '1', externalId: `e${id}`, name: `n${id}`, price: '1.00', currency: 'KRW', status: 'active', likeCount: 0, viewCount: 0, popularityScore: 0, version: 1, discountRate: '0.00', createdAt: 't', updatedAt: 't' });
    const server = await createThriftServer({
      // one call at a time, and the first takes 300 ms: the server stops reading meanwhile, the socket buffers fill up
      service: 'product', module: ProductService, maxInFlightPerConnection: 1,
      handler: {
        // "check:<batch>" + ids: answers whether the ids arrived as sent; otherwise echoes every id
        async getMany(_ctx: unknown, ids: string[]) {
          const m = /^check:(\d+)$/.exec(ids[0] ?? '');
          if (!m) return ids.map(product);
          if (m[1] === '0') await new Promise((r) => setTimeout(r, 300));
          const bad = ids.slice(1).findIndex((id, i) => id !== `${m[1]}-${i}`);
          return [product(bad === -1 ? 'intact' : `corrupt at ${bad}`)];
        },
      },
    });
    const client = createThriftClient(ProductService, { service: 'product', port: server.port, poolSize: 1, maxInFlightPerConnection: 64, timeoutMs: 20_000, metrics: false });
    try {
      // requests: 12 calls of 100k ids each, one per turn of the event loop: the client writes ~1 MB per turn
      // while its socket still holds earlier ones
      const checks: Promise<{ id: string }[]>[] = [];
      for (let b = 0; b < 12; b++) {
        checks.push(client.getMany({}, [`check:${b}`, ...Array.from({ length: 100_000 }, (_, i) => `${b}-${i}`)], {}));
        await new Promise((r) => setImmediate(r));
      }
      expect((await Promise.all(checks)).map((r) => r[0]!.id)).to.deep.equal(Array(12).fill('intact'));
      // replies: 16 calls of 20k ids each, answered in multi-MB coalesced writes
      const batches = Array.from({ length: 16 }, (_, b) => Array.from({ length: 20_000 }, (_, i) => `${b}-${i}`));
      const replies = await Promise.all(batches.map((ids) => client.getMany({}, ids, {})));
      replies.forEach((items, b) => {
        expect(items.length).to.equal(20_000);
        const bad = items.findIndex((p, i) => p.id !== `${b}-${i}` || p.name !== `n${b}-${i}`);
        expect(bad, `reply ${b}: first wrong item`).to.equal(-1);
      });
    } finally {
      await client.$close();
      await server.close();
    }
  });
});
