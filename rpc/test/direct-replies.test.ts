import { expect } from 'chai';
import thrift from 'thrift';
import ProductService from '../../thrift/gen-nodejs/ProductService.js';
import ShopService from '../../thrift/gen-nodejs/ShopService.js';
import UserService from '../../thrift/gen-nodejs/UserService.js';
import SearchService from '../../thrift/gen-nodejs/SearchService.js';
import commonTypes from '../../thrift/gen-nodejs/common_types.js';
import { installDirectReplies } from '../direct-processor.ts';
import { writerFor } from '../direct-writer.ts';
import { serviceSpec, type TypeSpec } from '../idl-schema.ts';
import { FastBinaryProtocol, ReadBuffer, WriteBuffer, type ProtocolClass } from '../protocol.ts';
import { FastCompactProtocol } from '../compact-protocol.ts';
import type { ServiceModule } from '../service-module.ts';

const MODULES = { ProductService, ShopService, UserService, SearchService } as unknown as Record<string, ServiceModule>;

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const STRINGS = ['', 'a', '189000.00', '오버사이즈 울 블렌드 코트 7', 'emoji 🧶 and é', 'x'.repeat(70), 'long 한글 '.repeat(20)];
const DOUBLES = [0, -0, 1, -1.5e-7, 2 ** 40 + 3, 812.5, Number.MAX_SAFE_INTEGER];
const I32S = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 4210];

/** A plain value of type `t` as a handler would return it: optional fields sometimes missing or null. */
function sample(t: TypeSpec, r: () => number, depth = 0): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  switch (t.kind) {
    case 'bool': return r() < 0.5;
    case 'byte': return pick([0, 1, -1, 127, -128]);
    case 'i16': return pick([0, 1, -1, 32767, -32768]);
    case 'i32': return pick(I32S);
    case 'double': return pick(DOUBLES);
    case 'string': return pick(STRINGS);
    case 'list': return Array.from({ length: depth > 3 ? 0 : Math.floor(r() * 4) }, () => sample(t.elem, r, depth + 1));
    case 'struct': {
      const o: Record<string, unknown> = {};
      for (const f of t.struct.fields) {
        const x = r();
        if (x < 0.15) continue;
        o[f.name] = x < 0.25 ? null : sample(f.type, r, depth + 1);
      }
      return o;
    }
    default: return null;
  }
}

/** Encodes a call with the generated client; returns the frame payload. */
function request(mod: ServiceModule, method: string, args: unknown[], Protocol: ProtocolClass): Buffer {
  let frame: Buffer = Buffer.alloc(0);
  const client = new mod.Client(new WriteBuffer((b) => { frame = b; }) as never, Protocol as never) as unknown as Record<string, Function> & { _seqid: number };
  client._seqid = 7;
  client[`send_${method}`]!(...args);
  return frame.subarray(4);
}

interface Outcome { reply: Buffer; args: string }

/** Runs one call through a processor (direct or generated) whose handler answers with `answer`. */
async function serve(mod: ServiceModule, method: string, arity: number, req: Buffer, Protocol: ProtocolClass, direct: boolean, answer: () => unknown): Promise<Outcome> {
  let seen: unknown[] = [];
  const fn = async (...a: unknown[]) => { seen = a; return answer(); };
  Object.defineProperty(fn, 'length', { value: arity });
  const handler = { [method]: fn };
  const processor = new mod.Processor(handler);
  if (direct) expect(installDirectReplies(processor, mod, handler), `${method} goes the direct way`).to.include(method);
  const reply = await new Promise<Buffer>((resolve) => {
    const out = new Protocol(new WriteBuffer(resolve));
    processor.process(new Protocol(new ReadBuffer(req)), out);
  });
  // what the handler received: values and the generated classes they are instances of
  const shape = JSON.stringify(seen, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) && v.constructor !== Object ? { [`<${v.constructor.name}>`]: { ...v } } : v));
  return { reply, args: shape };
}

async function both(mod: ServiceModule, method: string, arity: number, req: Buffer, Protocol: ProtocolClass, answer: () => unknown) {
  const generated = await serve(mod, method, arity, req, Protocol, false, answer);
  const direct = await serve(mod, method, arity, req, Protocol, true, answer);
  return { generated, direct };
}

const listProducts = serviceSpec('ProductService')!.functions.find((f) => f.name === 'listProducts')!;

describe('thrift direct replies (rpc/direct-processor.ts)', () => {
  for (const [label, Protocol] of [['binary', FastBinaryProtocol], ['compact', FastCompactProtocol]] as const) {
    it(`every covered method of every service: same reply bytes and same handler arguments as the generated processor (${label})`, async () => {
      const r = rng(label === 'binary' ? 15 : 16);
      let calls = 0;
      for (const [name, mod] of Object.entries(MODULES)) {
        for (const fn of serviceSpec(name)!.functions) {
          if (fn.name === 'health') continue; // a map in its result: left to the generated code
          for (let k = 0; k < 12; k++) {
            const args = fn.args.map((a) => sample(a.type, r));
            const result = fn.returns.kind === 'void' ? undefined : sample(fn.returns, r);
            const req = request(mod, fn.name, args, Protocol);
            const { generated, direct } = await both(mod, fn.name, fn.args.length, req, Protocol, () => result);
            expect(direct.args, `${name}.${fn.name} arguments`).to.equal(generated.args);
            expect(direct.reply.equals(generated.reply), `${name}.${fn.name} reply #${k}`).to.equal(true);
            // and the direct writer itself took these well-formed values (not the generated fallback)
            if (fn.returns.kind !== 'void') expect(() => writerFor(fn.returns)!(new Protocol(new WriteBuffer(() => undefined)) as never, result), `${name}.${fn.name}`).to.not.throw();
            calls++;
          }
        }
      }
      expect(calls).to.be.greaterThan(600);
    });
  }

  it('values of unusual shapes and values that do not fit the IDL: the same bytes as the generated processor', async () => {
    const item = { id: '1', name: 'n', images: [{ id: '9', url: 'u', position: 0 }] };
    const odd: unknown[] = [
      { items: [null, undefined, 5, 'str', item] }, // elements the generated copy turns into empty structs
      { items: [item, , item] }, // eslint-disable-line no-sparse-arrays
      { items: 'ab' }, { items: 0 }, { items: new Set([item]) }, { items: { length: 2, 0: item } },
      { items: [{ ...item, images: { length: 1, 0: { id: '2' } } }] },
      { items: [{ ...item, name: 42 }] }, // not a string: a TApplicationException either way
      { items: [{ ...item, images: [{ id: 7 }] }] },
      { items: [{ ...item, shop: 'not a struct' }], page: 3 },
      'not a page', 0, false, null,
      Object.assign(Object.create({ items: [item] }), { page: { total: 3 } }), // inherited fields count
    ];
    for (const Protocol of [FastBinaryProtocol, FastCompactProtocol]) {
      const req = request(ProductService as unknown as ServiceModule, 'listProducts', [{ requestId: 'r' }, {}], Protocol);
      for (const [k, value] of odd.entries()) {
        const { generated, direct } = await both(ProductService as unknown as ServiceModule, 'listProducts', listProducts.args.length, req, Protocol, () => value);
        expect(direct.reply.equals(generated.reply), `odd value #${k}`).to.equal(true);
      }
    }
  });

  it('declared exceptions and undeclared errors: the same bytes as the generated processor', async () => {
    const errors = [
      new commonTypes.NotFound({ code: 'NOT_FOUND', message: 'no product 9', status: 404 }),
      new commonTypes.Unavailable({ code: 'INTERNAL', message: 'internal error', status: 500 }),
      new Error('boom'),
    ];
    for (const Protocol of [FastBinaryProtocol, FastCompactProtocol]) {
      for (const fn of ['listProducts', 'ping']) {
        const arity = fn === 'ping' ? 0 : 2;
        const req = request(ProductService as unknown as ServiceModule, fn, fn === 'ping' ? [] : [{}, {}], Protocol);
        for (const err of errors) {
          const { generated, direct } = await both(ProductService as unknown as ServiceModule, fn, arity, req, Protocol, () => { throw err; });
          expect(direct.reply.equals(generated.reply), `${fn}: ${err.constructor.name}`).to.equal(true);
        }
      }
    }
  });

  it('a reply written the direct way decodes with the stock runtime to the handler\'s value', async () => {
    const page = { items: [{ id: '1', name: '코트', price: '1.00', likeCount: 3, images: [{ id: '2', url: 'u', position: 1 }], shop: { id: '5', name: 's' } }], page: { limit: 20, total: 4210 } };
    const req = request(ProductService as unknown as ServiceModule, 'listProducts', [{}, {}], FastBinaryProtocol);
    const { reply } = await serve(ProductService as unknown as ServiceModule, 'listProducts', 2, req, FastBinaryProtocol, true, () => page);
    const decoded = await new Promise<unknown>((resolve, reject) => {
      const client = new (ProductService as unknown as { Client: new (o: unknown, p: unknown) => Record<string, Function> & { _reqs: Record<number, Function> } }).Client(undefined, thrift.TBinaryProtocol);
      client._reqs[7] = (err: unknown, res: unknown) => (err ? reject(err) : resolve(res));
      const input = new thrift.TBinaryProtocol(new thrift.TFramedTransport(reply.subarray(4)));
      const h = input.readMessageBegin();
      client[`recv_${h.fname}`]!(input, h.mtype, h.rseqid);
    });
    expect(JSON.parse(JSON.stringify(decoded))).to.deep.include({ page: { limit: 20, offset: null, total: 4210, nextCursor: null } });
    const got = (decoded as { items: Record<string, unknown>[] }).items[0]!;
    expect(got).to.include({ id: '1', name: '코트', price: '1.00', likeCount: 3 });
    expect(JSON.parse(JSON.stringify(got.images))).to.deep.equal([{ id: '2', url: 'u', position: 1 }]);
  });
});
