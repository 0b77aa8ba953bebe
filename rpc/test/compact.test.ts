import { expect } from 'chai';
import thrift from 'thrift';
import productTypes from '../../thrift/gen-nodejs/product_types.js';
import commonTypes from '../../thrift/gen-nodejs/common_types.js';
import { FastCompactProtocol } from '../compact-protocol.ts';
import { ProtocolError, ReadBuffer, WriteBuffer } from '../protocol.ts';

type Struct = { read(p: unknown): void; write(p: unknown): void };
type Ctor = new (args?: object) => Struct;
const Product = productTypes.Product as unknown as Ctor;
const ProductPage = productTypes.ProductPage as unknown as Ctor;
const ProductPatch = productTypes.ProductPatch as unknown as Ctor;
const HealthStatus = commonTypes.HealthStatus as unknown as Ctor;

function runtimeEncode(value: Struct): Buffer {
  let out: Buffer = Buffer.alloc(0);
  const trans = new thrift.TBufferedTransport(undefined, (buf?: Buffer) => { out = Buffer.from(buf ?? []); });
  value.write(new thrift.TCompactProtocol(trans));
  trans.flush();
  return out;
}

function fastEncode(value: Struct): Buffer {
  let out: Buffer = Buffer.alloc(0);
  const w = new WriteBuffer((b) => { out = b; }, { framed: false, initialSize: 16 });
  value.write(new FastCompactProtocol(w));
  w.flush();
  return out;
}

function product(i: number) {
  return {
    id: String(i), shopId: '3', categoryId: i % 2 ? 12 : undefined, externalId: `e-${i}`, name: i % 2 ? `린넨 셔츠 ${i} 👕` : `Linen shirt ${i}`,
    price: '39000.00', salePrice: i % 3 ? '29250.00' : undefined, currency: 'KRW', status: 'active', likeCount: 2 ** 40 + i,
    viewCount: 0, popularityScore: -2.5 * (i + 1), // not -0: the runtime encodes -0 as 0 version: -7 + i, discountRate: '25.00', createdAt: '2024-01-02T03:04:05.123456Z',
    updatedAt: '2024-01-02T03:04:05.123456Z', images: [{ id: '1', url: 'https://img.example/1.jpg', position: 300 }],
    shop: { id: '3', name: 'shop', slug: 's', status: 'open' },
  };
}

const samples: [string, Struct][] = [
  ['a product', new Product(product(1))],
  ['a sparse product (field-id gap > 15)', new Product({ id: '9', shop: { id: '1', name: 'n', slug: 's', status: 'open' } })],
  ['a page of 20 (long list header)', new ProductPage({ items: Array.from({ length: 20 }, (_, i) => product(i)), page: { limit: 20, offset: 40, total: -1 } })],
  ['bool fields in headers', new ProductPatch({ name: 'x', clearSalePrice: true, clearDescription: false, expectedVersion: 70000 })],
  ['a map', new HealthStatus({ status: 'ok', serviceName: 'product', checks: { db: 'ok', redis: 'down' } })],
  ['an empty map', new HealthStatus({ status: 'ok', serviceName: 'p', checks: {} })],
];

describe('thrift compact protocol (lean)', () => {
  for (const [name, value] of samples) {
    it(`writes the runtime TCompactProtocol's bytes and reads both ways: ${name}`, () => {
      const mine = fastEncode(value);
      const theirs = runtimeEncode(value);
      expect(mine.toString('hex')).to.equal(theirs.toString('hex'));
      const Ctor = value.constructor as Ctor;
      const a = new Ctor();
      a.read(new FastCompactProtocol(new ReadBuffer(theirs)));
      expect(a).to.deep.equal(value);
      const b = new Ctor();
      b.read(new thrift.TCompactProtocol(new thrift.TFramedTransport(mine)));
      expect(b).to.deep.equal(value);
    });
  }

  it('round-trips a message header and is smaller than binary', () => {
    let frame: Buffer = Buffer.alloc(0);
    const w = new WriteBuffer((b) => { frame = b; });
    const p = new FastCompactProtocol(w);
    p.writeMessageBegin('listProducts', 2, 123456);
    samples[2]![1].write(p);
    p.flush();
    const r = new FastCompactProtocol(new ReadBuffer(frame, 4));
    expect(r.readMessageBegin()).to.deep.equal({ fname: 'listProducts', mtype: 2, rseqid: 123456 });
    const page = new ProductPage();
    page.read(r);
    expect(page).to.deep.equal(samples[2]![1]);
  });

  it('rejects truncated input and lying sizes', () => {
    const bytes = fastEncode(samples[0]![1]);
    expect(() => new Product().read(new FastCompactProtocol(new ReadBuffer(bytes, 0, bytes.length - 3)))).to.throw(ProtocolError);
    expect(() => new FastCompactProtocol(new ReadBuffer(Buffer.from([0xf8, 0xff, 0xff, 0xff, 0x07]))).readListBegin()).to.throw(ProtocolError, /container size/);
    expect(() => new FastCompactProtocol(new ReadBuffer(Buffer.from([0x80, 0x01]))).readMessageBegin()).to.throw(ProtocolError, /compact/);
  });
});
