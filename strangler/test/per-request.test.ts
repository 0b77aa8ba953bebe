/**
 * The per-request work trimmed in issue 15: the client response head built as one flat array (engine.ts
 * clientHead) must put the same fields in the same order on the wire as the delete-and-assign it replaced,
 * and the pooled request-id generator must keep crypto.randomUUID's format and uniqueness.
 */
import { expect } from 'chai';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import { HOP_BY_HOP, clientHead } from '../engine.ts';
import { FastCounter, FastHistogram } from '../fast-metrics.ts';
import { keepAliveTimeout } from '../relay/response-parser.ts';
import { forwardHeaders, isValidTraceparent, newRequestId, newTraceparent, prepareForwardHeaders, takeRequestId } from '../headers.ts';

type H = Record<string, string | string[] | undefined>;

/** What the engine did before: delete hop-by-hop and Connection-named headers, then assign the overrides. */
function oldHead(src: H, requestId: string, extra: Record<string, string> | null): H {
  const headers: H = {};
  for (const k in src) headers[k] = src[k];
  const conn = headers.connection;
  if (conn !== undefined) {
    const list = Array.isArray(conn) ? conn.join(',') : conn;
    if (list.indexOf(',') !== -1 || (list !== 'keep-alive' && list !== 'close')) {
      for (const token of list.split(',')) {
        const t = token.trim().toLowerCase();
        if (t !== '' && t !== 'keep-alive' && t !== 'close') delete headers[t];
      }
    }
  }
  for (const h of HOP_BY_HOP) if (headers[h] !== undefined) delete headers[h];
  headers['x-request-id'] = requestId;
  if (extra !== null) for (const k in extra) headers[k] = extra[k];
  return headers;
}

/** Both forms written by node:http; the raw head bytes as the client receives them (Date removed). */
async function wireBytes(head: H | (string | string[])[]): Promise<string> {
  const server: Server = createServer((_req, res) => {
    res.sendDate = false;
    res.writeHead(200, head as H);
    res.end('x');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<string>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', path: '/' }, (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => resolve(JSON.stringify(res.rawHeaders)));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

const CASES: { name: string; headers: H; extra: Record<string, string> | null }[] = [
  { name: 'plain keep-alive answer', headers: { 'content-type': 'application/json', 'content-length': '1', connection: 'keep-alive', 'keep-alive': 'timeout=5', date: 'x' }, extra: null },
  { name: 'upstream x-request-id kept in its place', headers: { 'x-request-id': 'up', 'content-length': '1', etag: '"a"' }, extra: { 'x-strangler-route': 'r; upstream=legacy' } },
  { name: 'Connection names headers (mixed case, spaces), one of them the request id', headers: { connection: 'Keep-Alive, X-Secret , x-request-id', 'x-secret': 's', 'x-request-id': 'up', 'content-length': '1', vary: 'a' }, extra: null },
  { name: 'every hop-by-hop header', headers: Object.fromEntries([...HOP_BY_HOP.map((h) => [h, 'v']), ['content-length', '1']]), extra: { 'retry-after': '1' } },
  { name: 'repeated fields (set-cookie array) and an extra overriding an upstream field', headers: { 'set-cookie': ['a=1', 'b=2'], 'retry-after': '9', 'content-length': '1' }, extra: { 'retry-after': '1', 'x-strangler-route': 'r' } },
  { name: 'Connection as an array', headers: { connection: ['close', 'x-a'], 'x-a': '1', 'x-b': '2', 'content-length': '1' }, extra: null },
];

describe('strangler per-request work (issue 15)', () => {
  describe('clientHead: the response head as one flat array', () => {
    for (const c of CASES) {
      it(`same fields and order as delete-and-assign: ${c.name}`, () => {
        const want = oldHead(c.headers, 'rid-1', c.extra);
        const got = clientHead({ ...c.headers }, 'rid-1', c.extra);
        const pairs: [string, unknown][] = [];
        for (let i = 0; i < got.length; i += 2) pairs.push([got[i] as string, got[i + 1]]);
        expect(pairs).to.deep.equal(Object.entries(want));
      });
    }

    it('writes the same bytes through node:http as the object form it replaces', async () => {
      for (const c of CASES) {
        const a = await wireBytes(oldHead(c.headers, 'rid-2', c.extra));
        const b = await wireBytes(clientHead({ ...c.headers }, 'rid-2', c.extra));
        expect(b, c.name).to.equal(a);
      }
    });

    it('keeps an own `__proto__` field as a field', () => {
      const h: H = {};
      Object.defineProperty(h, '__proto__', { value: 'x', enumerable: true, configurable: true, writable: true });
      h['content-length'] = '0';
      expect(clientHead(h, 'r', null)).to.deep.equal(['__proto__', 'x', 'content-length', '0', 'x-request-id', 'r']);
    });
  });

  describe('request ids and traceparent', () => {
    const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

    it('makes version-4 UUIDs like crypto.randomUUID, unique across pool refills', () => {
      const seen = new Set<string>();
      for (let i = 0; i < 5000; i++) {
        const id = newRequestId();
        expect(id).to.match(UUID_V4);
        seen.add(id);
      }
      expect(seen.size).to.equal(5000);
    });

    it('takes a well-formed incoming id and replaces a malformed one', () => {
      expect(takeRequestId({ 'x-request-id': 'abc-123' })).to.equal('abc-123');
      expect(takeRequestId({ 'x-request-id': 'bad id' })).to.match(UUID_V4);
      expect(takeRequestId({})).to.match(UUID_V4);
    });

    it('uses a generated id as the trace id, and a fresh random one otherwise', () => {
      const id = takeRequestId({});
      const tp = newTraceparent(id);
      expect(isValidTraceparent(tp)).to.equal(true);
      expect(tp.slice(3, 35)).to.equal(id.replaceAll('-', ''));
      // a UUID that is not the last generated one (an incoming id) is still used
      const other = newRequestId();
      newRequestId();
      expect(newTraceparent(other).slice(3, 35)).to.equal(other.replaceAll('-', ''));
      // a non-UUID id: a random trace id, and the last generated id still pairs with its own hex afterwards
      const last = newRequestId();
      const r1 = newTraceparent('abc');
      const r2 = newTraceparent('abc');
      expect(isValidTraceparent(r1)).to.equal(true);
      expect(r1.slice(3, 35)).to.not.equal(r2.slice(3, 35));
      expect(r1.slice(3, 35)).to.match(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
      expect(newTraceparent(last).slice(3, 35)).to.equal(last.replaceAll('-', ''));
    });

    it('gives every traceparent a distinct non-zero span id', () => {
      const spans = new Set<string>();
      for (let i = 0; i < 1000; i++) {
        const tp = newTraceparent();
        expect(isValidTraceparent(tp)).to.equal(true);
        spans.add(tp.slice(36, 52));
      }
      expect(spans.size).to.equal(1000);
    });
  });

  describe('fast metric series (updated in place)', () => {
    function pair() {
      const make = () => {
        const registry = new Registry();
        const c = new Counter({ name: 't_requests_total', help: 'h', labelNames: ['route', 'upstream', 'code'], registers: [registry] });
        const h = new Histogram({ name: 't_seconds', help: 'h', labelNames: ['route', 'upstream'], registers: [registry], buckets: [0.0005, 0.001, 0.01, 0.1, 1] });
        return { registry, c, h };
      };
      return { slow: make(), fast: make() };
    }
    const VALUES = [0.0001, 0.0005, 0.00051, 0.003, 0.1, 0.7, 1, 2.5, 0, 12345.678, 0.1 + 0.2];

    it('gives the same exposition text as the public children, value for value', async () => {
      const { slow, fast } = pair();
      const sc = [slow.c.labels('r', 'legacy', '2xx'), slow.c.labels('r', 'svc', '5xx')];
      const sh = [slow.h.labels('r', 'legacy'), slow.h.labels('r', 'svc')];
      const fc = [new FastCounter(fast.c, ['r', 'legacy', '2xx']), new FastCounter(fast.c, ['r', 'svc', '5xx'])];
      const fh = [new FastHistogram(fast.h, ['r', 'legacy']), new FastHistogram(fast.h, ['r', 'svc'])];
      for (let i = 0; i < 200; i++) {
        const v = VALUES[i % VALUES.length] * (1 + i / 1000);
        sc[i % 2].inc();
        fc[i % 2].inc();
        sh[i % 2].observe(v);
        fh[i % 2].observe(v);
      }
      expect(await fast.registry.metrics()).to.equal(await slow.registry.metrics());
    });

    it('keeps counting correctly across reset() and remove() (falls back, then rebinds)', async () => {
      const { slow, fast } = pair();
      const fc = new FastCounter(fast.c, ['r', 'u', '2xx']);
      const fh = new FastHistogram(fast.h, ['r', 'u']);
      const sc = slow.c.labels('r', 'u', '2xx');
      const sh = slow.h.labels('r', 'u');
      const step = (v: number) => {
        fc.inc();
        sc.inc();
        fh.observe(v);
        sh.observe(v);
      };
      step(0.002);
      step(0.02);
      fast.registry.resetMetrics();
      slow.registry.resetMetrics();
      step(0.2);
      step(3);
      fast.c.remove('r', 'u', '2xx');
      slow.c.remove('r', 'u', '2xx');
      fast.h.remove('r', 'u');
      slow.h.remove('r', 'u');
      step(0.0004);
      step(0.0004);
      expect(await fast.registry.metrics()).to.equal(await slow.registry.metrics());
    });

    it('refuses a non-finite value like prom-client does', () => {
      const { fast } = pair();
      const fh = new FastHistogram(fast.h, ['r', 'u']);
      fh.observe(1);
      expect(() => fh.observe(Number.NaN)).to.throw(TypeError);
    });
  });

  describe('forwardHeaders: the forwarded request headers without delete', () => {
    const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const SETS: Record<string, string | string[]>[] = [
      { host: 'a.example', 'user-agent': 'ua', accept: '*/*', connection: 'keep-alive' },
      { host: 'a.example', connection: 'close, X-Drop , traceparent', 'x-drop': '1', traceparent: TP, tracestate: 'k=v', 'x-keep': '2' },
      { 'x-request-id': 'old', host: 'h', traceparent: TP, tracestate: 'k=v', 'x-forwarded-for': '1.1.1.1', 'x-forwarded-host': 'evil', 'x-forwarded-proto': 'https' },
      { traceparent: 'garbage', tracestate: 'k=v', 'x-forwarded-host': 'evil', te: 'trailers', expect: '100-continue', 'proxy-authorization': 'x', 'keep-alive': '1', upgrade: 'h2c', trailer: 'x', 'transfer-encoding': 'chunked', 'proxy-connection': 'x' },
      { connection: 'host', host: 'gone', 'x-forwarded-host': 'kept?', cookie: ['a=1', 'b=2'] as unknown as string },
      { connection: 'x-forwarded-for, x-request-id', 'x-forwarded-for': '9.9.9.9', 'x-request-id': 'drop-me', accept: 'a' },
      {},
    ];
    const strip = (h: Record<string, unknown>) => Object.entries(h).map(([k, v]) => [k, k === 'traceparent' && v !== TP ? isValidTraceparent(v) : v]);

    for (const [i, set] of SETS.entries()) {
      for (const trusted of [false, true]) {
        it(`same fields, values and order as prepareForwardHeaders in place: set ${i}, trusted peer ${trusted}`, () => {
          const inPlace = { ...set };
          prepareForwardHeaders(inPlace, 'rid', '10.0.0.9', i % 2 === 0, trusted);
          const input = { ...set };
          const copy = forwardHeaders(input, 'rid', '10.0.0.9', i % 2 === 0, trusted);
          expect(strip(copy)).to.deep.equal(strip(inPlace));
          expect(input, 'the incoming object is left alone').to.deep.equal(set);
        });
      }
    }

    it('keeps an own `__proto__` field as a field', () => {
      const h: Record<string, string> = {};
      Object.defineProperty(h, '__proto__', { value: 'x', enumerable: true, configurable: true, writable: true });
      const out = forwardHeaders(h, 'rid', '10.0.0.1', false);
      expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
      expect(Object.keys(out)[0]).to.equal('__proto__');
      expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).to.equal('x');
    });
  });

  describe('keepAliveTimeout: the Keep-Alive hint without a regex', () => {
    const RE = /(?:^|[,\s])timeout\s*=\s*(\d{1,9})/i;
    const viaRegex = (v: string) => {
      const m = RE.exec(v);
      return m === null ? -1 : Number(m[1]) * 1000;
    };
    const FIXED = ['timeout=5', 'timeout=60, max=1000', 'max=5, timeout=7', 'Timeout = 12', 'TIMEOUT=\t3', 'xtimeout=5, timeout=9', 'xtimeout=5',
      'timeout=', 'timeout=abc, timeout=4', 'timeout=1234567890', 'timeout =  0', ' timeout=2', 'timeout\u00a0=1', '\u00a0timeout=8', 'timeouttimeout=1',
      'timeout=-1', ',timeout=3', 'timeout;=3', '', 'max=1'];
    it('agrees with the regex it replaces on fixed and random values', () => {
      for (const v of FIXED) expect(keepAliveTimeout(v), JSON.stringify(v)).to.equal(viaRegex(v));
      const parts = ['timeout', 'TimeOut', '=', ' ', '\t', ',', '1', '9', '0', 'x', 'max', '\u00a0', ';', '12345'];
      let seed = 7;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      for (let i = 0; i < 20000; i++) {
        let v = '';
        const n = 1 + rnd(8);
        for (let j = 0; j < n; j++) v += parts[rnd(parts.length)];
        expect(keepAliveTimeout(v), JSON.stringify(v)).to.equal(viaRegex(v));
      }
    });
  });
});
