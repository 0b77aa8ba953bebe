import { expect } from 'chai';
import thrift from 'thrift';
import productTypes from '../../thrift/gen-nodejs/product_types.js';
import commonTypes from '../../thrift/gen-nodejs/common_types.js';
import ProductService from '../../thrift/gen-nodejs/ProductService.js';
import { FastBinaryProtocol, ReadBuffer, WriteBuffer, ProtocolError, utf8At } from '../protocol.ts';
import { FrameSplitter, FrameError } from '../frames.ts';
import { backoffDelay } from '../backoff.ts';
import { serviceMethods } from '../service-module.ts';
import { fromRemoteError, kindForCode, toIdlException } from '../errors.ts';
import { AppError } from '../../lib/errors.ts';
import { silentLogger } from '../../lib/logger.ts';
import { wrapHandler } from '../handler.ts';
import { newRegistry } from '../metrics.ts';

/** The generated .d.ts omits read/write; they exist on every generated struct. */
type Struct = { read(p: unknown): void; write(p: unknown): void };
const Product = productTypes.Product as unknown as new (args?: object) => Struct;

function sampleProduct(i: number) {
  return new Product({
    id: String(1000 + i), shopId: '7', categoryId: i % 3 === 0 ? undefined : 12, externalId: `ext-${i}`,
    name: i % 2 ? `Knit cardigan ${i}` : `니트 가디건 ${i} — 🧶`, description: i % 4 ? undefined : 'long '.repeat(200),
    price: '39000.00', salePrice: i % 2 ? '29000.00' : undefined, currency: 'KRW', status: 'active',
    attributesJson: '{"color":"navy","size":["S","M"]}', likeCount: 2 ** 40 + i, viewCount: 0, popularityScore: -1.5e-7 * (i + 1),
    version: 2 ** 31 - 1, discountRate: '25.64', createdAt: '2026-11-22T01:02:03.123456Z', updatedAt: '2026-11-22T01:02:03.123456Z',
    images: [{ id: '1', url: 'https://img.example/1.jpg', position: 0 }, { id: '2', url: 'https://img.example/2.jpg', position: 1 }],
    shop: i % 2 ? { id: '7', name: 'Shop', slug: 'shop', status: 'open' } : undefined,
  });
}

/** Encode with the runtime's TBinaryProtocol (its buffered transport collects the bytes). */
function runtimeEncode(value: { write(p: unknown): void }): Buffer {
  let out: Buffer = Buffer.alloc(0);
  const trans = new thrift.TBufferedTransport(undefined, (buf?: Buffer) => { out = Buffer.from(buf ?? []); });
  const proto = new thrift.TBinaryProtocol(trans);
  value.write(proto);
  trans.flush();
  return out;
}

function fastEncode(value: { write(p: unknown): void }): Buffer {
  let out: Buffer = Buffer.alloc(0);
  const w = new WriteBuffer((b) => { out = b; }, { framed: false, initialSize: 16 });
  value.write(new FastBinaryProtocol(w));
  w.flush();
  return out;
}

describe('thrift protocol (lean binary)', () => {
  it('writes exactly the bytes the runtime TBinaryProtocol writes', () => {
    for (let i = 0; i < 8; i++) {
      const p = sampleProduct(i);
      expect(fastEncode(p).equals(runtimeEncode(p)), `product ${i}`).to.equal(true);
    }
  });

  it('reads what the runtime wrote and the runtime reads what it wrote', () => {
    for (let i = 0; i < 8; i++) {
      const p = sampleProduct(i);
      const a = new Product();
      a.read(new FastBinaryProtocol(new ReadBuffer(runtimeEncode(p))));
      expect(a).to.deep.equal(p);
      const b = new Product();
      const trans = new thrift.TFramedTransport(fastEncode(p));
      b.read(new thrift.TBinaryProtocol(trans));
      expect(b).to.deep.equal(p);
    }
  });

  it('frames messages with a big-endian length and copies out of the scratch buffer', () => {
    const frames: Buffer[] = [];
    const w = new WriteBuffer((b) => frames.push(b), { initialSize: 8 });
    const proto = new FastBinaryProtocol(w);
    proto.writeMessageBegin('getProduct', 1, 42);
    sampleProduct(1).write(proto);
    proto.flush();
    proto.writeMessageBegin('ping', 1, 43);
    proto.flush();
    expect(frames[0]!.readInt32BE(0)).to.equal(frames[0]!.length - 4);
    const r = new FastBinaryProtocol(new ReadBuffer(frames[0]!, 4));
    expect(r.readMessageBegin()).to.deep.equal({ fname: 'getProduct', mtype: 1, rseqid: 42 });
    expect(new FastBinaryProtocol(new ReadBuffer(frames[1]!, 4)).readMessageBegin().fname).to.equal('ping');
  });

  it('coalesces the frames flushed in one tick into one buffer and drops a half-written message', async () => {
    const out: Buffer[] = [];
    const w = new WriteBuffer((b) => out.push(b), { coalesce: true, initialSize: 8 });
    const proto = new FastBinaryProtocol(w);
    proto.writeMessageBegin('a', 2, 1);
    proto.flush();
    proto.writeMessageBegin('broken', 2, 2);
    proto.writeString('never flushed');
    proto.writeMessageBegin('b', 2, 3); // a new message starts over at the frame boundary
    sampleProduct(2).write(proto);
    proto.flush();
    expect(out).to.have.length(0);
    await new Promise((r) => process.nextTick(r));
    expect(out).to.have.length(1);
    const frames: string[] = [];
    new FrameSplitter().push(out[0]!, (b, st, en) => frames.push(new FastBinaryProtocol(new ReadBuffer(b, st, en)).readMessageBegin().fname));
    expect(frames).to.deep.equal(['a', 'b']);
  });

  it('decodes short strings in JavaScript exactly as Buffer#toString("utf8") does, for any bytes', () => {
    let seed = 42;
    const byte = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed >> 16 & 0xff; };
    const samples = ['', 'a', 'KRW', '189000.00', '123456789012', '1234567890123', '코트', 'é', '\u007f', '🧶'].map((x) => Buffer.from(x));
    for (let k = 0; k < 5000; k++) {
      const n = k % 15;
      // mostly ASCII, sometimes any byte (invalid UTF-8 included)
      samples.push(Buffer.from(Array.from({ length: n }, () => (k % 3 ? byte() & 0x7f : byte()))));
    }
    for (const b of samples) {
      const padded = Buffer.concat([Buffer.from('xx'), b, Buffer.from('yy')]);
      expect(utf8At(padded, 2, 2 + b.length), b.toString('hex')).to.equal(b.toString('utf8'));
    }
  });

  it('rejects truncated messages, lying container sizes and bad versions with ProtocolError', () => {
    const bytes = fastEncode(sampleProduct(1));
    const truncated = new Product();
    expect(() => truncated.read(new FastBinaryProtocol(new ReadBuffer(bytes, 0, bytes.length - 5)))).to.throw(ProtocolError);
    const list = Buffer.from([15, 0, 1, 12, 0x7f, 0xff, 0xff, 0xff]); // field 1: list<struct> of 2^31-1 elements
    expect(() => new FastBinaryProtocol(new ReadBuffer(list)).skip(12)).to.throw(ProtocolError, /container size/);
    expect(() => new FastBinaryProtocol(new ReadBuffer(Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 5]))).readMessageBegin()).to.throw(ProtocolError, /version/);
    const deep = Buffer.alloc(300, 12); // struct in struct in struct ...
    expect(() => new FastBinaryProtocol(new ReadBuffer(deep)).skip(12)).to.throw(ProtocolError);
  });
});

describe('thrift frames', () => {
  it('splits frames across arbitrary chunk boundaries', () => {
    const payloads = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('hello world'), Buffer.alloc(5000, 7)];
    const stream = Buffer.concat(payloads.map((p) => { const h = Buffer.alloc(4); h.writeInt32BE(p.length); return Buffer.concat([h, p]); }));
    for (const step of [1, 3, 4, 7, 4096, stream.length]) {
      const got: Buffer[] = [];
      const s = new FrameSplitter(10_000);
      for (let i = 0; i < stream.length; i += step) s.push(stream.subarray(i, i + step), (b, st, en) => got.push(Buffer.from(b.subarray(st, en))));
      expect(got.map((g) => g.toString('hex')), `step ${step}`).to.deep.equal(payloads.map((p) => p.toString('hex')));
      expect(s.pendingBytes).to.equal(0);
    }
  });

  it('throws FrameError on an oversized or negative length', () => {
    expect(() => new FrameSplitter(100).push(Buffer.from([0, 0, 1, 0]), () => undefined)).to.throw(FrameError, /outside/);
    expect(() => new FrameSplitter(100).push(Buffer.from([0xff, 0xff, 0xff, 0xff]), () => undefined)).to.throw(FrameError);
  });
});

describe('thrift plumbing: pure parts', () => {
  it('backoff grows exponentially, is capped, and jitters within bounds', () => {
    const o = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 };
    expect(backoffDelay(1, o, () => 1)).to.equal(100);
    expect(backoffDelay(1, o, () => 0)).to.equal(50);
    expect(backoffDelay(3, o, () => 1)).to.equal(400);
    expect(backoffDelay(20, o, () => 1)).to.equal(1000);
    expect(backoffDelay(20, o, () => 0)).to.equal(500);
  });

  it('reads every method and its argument count from the generated processor', () => {
    const methods = new Map(serviceMethods(ProductService).map((m) => [m.name, m.arity]));
    expect(methods.get('ping')).to.equal(0);
    expect(methods.get('health')).to.equal(1);
    expect(methods.get('getMany')).to.equal(3);
    expect(methods.get('bulkUpsert')).to.equal(3);
    expect(methods.get('listCategories')).to.equal(1);
  });

  it('wrapped handler methods have the arity the processor needs, whatever the implementation declares', async () => {
    const wrapped = wrapHandler({
      service: 'product', module: ProductService, logger: silentLogger(), registry: newRegistry(),
      handler: { getMany: (..._args: unknown[]) => [], listCategories() { throw new AppError('CONFLICT', 'sync'); } },
    });
    for (const { name, arity } of serviceMethods(ProductService)) expect(wrapped[name]!.length, name).to.equal(arity);
    // A synchronous throw becomes a rejected promise carrying the IDL exception, never a throw into the processor.
    const p = wrapped.listCategories!(new commonTypes.RequestContext({ requestId: 'r1' }));
    expect(p).to.be.instanceOf(Promise);
    const err = await (p as Promise<unknown>).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(commonTypes.Conflict);
  });

  it('maps domain codes to IDL exceptions and back, hiding internals', () => {
    expect(kindForCode('NOT_FOUND')).to.equal('NotFound');
    expect(kindForCode('VALIDATION_FAILED')).to.equal('InvalidArgument');
    expect(kindForCode('CONFLICT')).to.equal('Conflict');
    expect(kindForCode('FORBIDDEN')).to.equal('Unauthorized');
    expect(kindForCode('WHATEVER')).to.equal('Unavailable');
    expect(kindForCode('INVALID_CREDENTIALS', 401)).to.equal('Unauthorized');
    expect(kindForCode('GONE', 410)).to.equal('InvalidArgument');
    expect(kindForCode('SLOW_DOWN', 429)).to.equal('Unavailable');

    const creds = fromRemoteError(toIdlException(new AppError('INVALID_CREDENTIALS', 'Email or password is wrong', { status: 401 })).exception, 'user', 'login');
    expect(creds).to.include({ code: 'INVALID_CREDENTIALS', status: 401, exception: 'Unauthorized', message: 'Email or password is wrong' });
    const forbidden = fromRemoteError(toIdlException(new AppError('FORBIDDEN')).exception, 'product', 'deleteProduct');
    expect(forbidden).to.include({ code: 'FORBIDDEN', status: 403, exception: 'Unauthorized' });
    // An exception from a peer that does not send `status` falls back to the registry, then to the kind.
    expect(fromRemoteError(new commonTypes.Conflict({ code: 'DUPLICATE_SLUG', message: 'taken' }), 'shop', 'createShop')).to.include({ status: 409 });

    const nf = toIdlException(new AppError('NOT_FOUND', 'no product 5', { details: { id: '5' } }));
    expect(nf.exception).to.be.instanceOf(commonTypes.NotFound);
    expect(nf.internal).to.equal(false);
    const back = fromRemoteError(nf.exception, 'product', 'getProduct');
    expect(back).to.include({ code: 'NOT_FOUND', status: 404, message: 'no product 5', exception: 'NotFound' });
    expect(back.details).to.deep.equal({ id: '5' });

    const boom = toIdlException(new Error('ER_ACCESS_DENIED for mysql://root:secret@db'), 'req-1');
    expect(boom.internal).to.equal(true);
    expect(boom.exception).to.be.instanceOf(commonTypes.Unavailable);
    expect(boom.exception.message).to.not.match(/secret|mysql/);
    expect(boom.exception.message).to.include("req-1");
    const back2 = fromRemoteError(boom.exception, 'product', 'getProduct');
    expect(back2).to.include({ code: 'INTERNAL', status: 500, exception: 'Unavailable' });

    const app5xx = toIdlException(new AppError('SERVICE_UNAVAILABLE', 'redis at 10.0.0.3 refused'));
    expect(app5xx.exception.message).to.not.include('10.0.0.3');

    const tae = fromRemoteError(new thrift.Thrift.TApplicationException(0, 'TypeError: x is undefined at /srv/app.js:1'), 'product', 'getProduct');
    expect(tae.code).to.equal('PROTOCOL_ERROR');
    expect(tae.message).to.not.include('/srv/app.js');
  });
});
