/**
 * The lean upstream client (strangler/relay/pool.ts) against raw TCP upstreams: the request bytes are undici's,
 * connections are reused only when safe, aborts and malformed framing close the connection, deadlines hold.
 */
import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import { LeanPool, leanEligible } from '../relay/pool.ts';
import { waitFor } from '../../test/helpers/wait.ts';

interface RawUpstream {
  server: Server;
  url: URL;
  sockets: Socket[];
  /** Bytes received per connection. */
  received: Buffer[][];
  /** Every chunk received, in arrival order across connections. */
  log: Buffer[];
  close(): Promise<void>;
}

/** A TCP upstream: `reply(socket, index of the connection, everything received on it so far)` answers by hand. */
async function rawUpstream(reply: (s: Socket, conn: number, data: Buffer) => void): Promise<RawUpstream> {
  const sockets: Socket[] = [];
  const received: Buffer[][] = [];
  const log: Buffer[] = [];
  const server = createServer((s) => {
    const i = sockets.push(s) - 1;
    received.push([]);
    s.on('error', () => undefined);
    s.on('data', (d) => {
      received[i].push(d);
      log.push(d);
      const all = Buffer.concat(received[i]);
      if (all.includes('\r\n\r\n')) reply(s, i, all);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return {
    server, url, sockets, received, log,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

interface Result {
  status: number;
  headers: Record<string, unknown>;
  body: string;
  error: (Error & { code?: string }) | null;
}

function request(pool: { dispatch(o: any, h: Dispatcher.DispatchHandler): boolean }, o: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | null; timeout?: number },
  onData?: (c: Dispatcher.DispatchController, chunk: Buffer) => void): Promise<Result> {
  return new Promise((resolve) => {
    const r: Result = { status: 0, headers: {}, body: '', error: null };
    pool.dispatch({ method: o.method ?? 'GET', path: o.path ?? '/', headers: o.headers ?? {}, body: o.body ?? null, headersTimeout: o.timeout, bodyTimeout: o.timeout }, {
      onRequestStart: () => undefined,
      onResponseStart: (_c, status, headers) => {
        if (status >= 200) {
          r.status = status;
          r.headers = headers;
        }
      },
      onResponseData: (c, chunk) => {
        r.body += chunk.toString('latin1');
        onData?.(c, chunk);
      },
      onResponseEnd: () => resolve(r),
      onResponseError: (_c, err) => {
        r.error = err;
        resolve(r);
      },
    });
  });
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

describe('lean upstream client', () => {
  const toClose: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const c of toClose.splice(0)) await c.close();
  });

  it('writes the same request bytes as undici (host, connection, header order, content-length)', async () => {
    const up = await rawUpstream((s) => s.write(OK));
    toClose.push(up);
    const lean = new LeanPool(up.url, { connections: 1, connectTimeoutMs: 1000, timeoutMs: 5000 });
    const und = new Pool(up.url.origin, { connections: 1, pipelining: 1 });
    toClose.push(lean, und);
    const cases: { method: string; path: string; headers: Record<string, string>; body?: Buffer }[] = [
      { method: 'GET', path: '/a?b=1', headers: { host: 'example.test', 'x-request-id': 'r1', accept: '*/*', 'x-forwarded-for': '10.0.0.1' } },
      { method: 'GET', path: '/no-host', headers: { accept: 'text/plain' } },
      { method: 'POST', path: '/p', headers: { host: 'h', 'content-type': 'application/json', 'content-length': '7' }, body: Buffer.from('{"a":1}') },
      { method: 'POST', path: '/empty', headers: { host: 'h' } },
      { method: 'DELETE', path: '/d', headers: { host: 'h', 'content-length': '0' } },
    ];
    for (const c of cases) {
      const before = up.log.length;
      expect((await request(und, c)).status).to.equal(200);
      const undiciBytes = Buffer.concat(up.log.slice(before)).toString('latin1');
      const mid = up.log.length;
      expect(leanEligible(c.method, c.path, c.headers, c.body ?? null)).to.equal(true);
      expect((await request(lean, c)).status).to.equal(200);
      const leanBytes = Buffer.concat(up.log.slice(mid)).toString('latin1');
      expect(leanBytes, c.path).to.equal(undiciBytes);
    }
  });

  it('reuses one keep-alive connection for sequential requests, but not after HEAD, Connection: close or a close-delimited body', async () => {
    let answer = OK;
    const up = await rawUpstream((s, _i, data) => {
      const text = data.toString('latin1');
      const n = text.split('\r\n\r\n').length - 1;
      // answer each new request head once
      if ((s as Socket & { answered?: number }).answered === n) return;
      (s as Socket & { answered?: number }).answered = n;
      s.write(answer);
      if (answer.includes('X-Close')) s.end();
    });
    toClose.push(up);
    const lean = new LeanPool(up.url, { connections: 4, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(lean);
    for (let i = 0; i < 5; i++) expect((await request(lean, {})).body).to.equal('ok');
    expect(up.sockets.length).to.equal(1);
    answer = 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok';
    expect((await request(lean, {})).body).to.equal('ok');
    answer = OK;
    expect((await request(lean, {})).body).to.equal('ok');
    expect(up.sockets.length).to.equal(2);
    answer = 'HTTP/1.1 200 OK\r\nX-Close: 1\r\n\r\nuntil close';
    expect((await request(lean, {})).body).to.equal('until close');
    answer = OK;
    expect((await request(lean, {})).body).to.equal('ok');
    expect(up.sockets.length).to.equal(3);
    expect((await request(lean, { method: 'HEAD' })).status).to.equal(200);
    expect((await request(lean, {})).body).to.equal('ok');
    expect(up.sockets.length).to.equal(4);
  });

  it('an abort mid-body closes the upstream connection (never reused); the next request gets a fresh one', async () => {
    const up = await rawUpstream((s, i) => {
      if (i === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      else s.write(OK);
    });
    toClose.push(up);
    const lean = new LeanPool(up.url, { connections: 1, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(lean);
    const r = await request(lean, {}, (c) => c.abort(new Error('client left')));
    expect(r.error?.message).to.equal('client left');
    await waitFor(() => up.sockets[0].destroyed || up.sockets[0].readableEnded, { what: 'upstream saw the connection close' });
    expect((await request(lean, {})).body).to.equal('ok');
    expect(up.sockets.length).to.equal(2);
  });

  it('bytes after a complete response (a smuggled second answer) close the connection; the next request never sees them', async () => {
    const up = await rawUpstream((s, i) => {
      if (i === 0) s.write(OK + 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil!');
      else s.write(OK);
    });
    toClose.push(up);
    const lean = new LeanPool(up.url, { connections: 1, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(lean);
    expect((await request(lean, {})).body).to.equal('ok');
    expect((await request(lean, {})).body).to.equal('ok');
    expect(up.sockets.length).to.equal(2);
  });

  it('malformed framing fails the request with an HPE_ code and closes the connection', async () => {
    const up = await rawUpstream((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'));
    toClose.push(up);
    const lean = new LeanPool(up.url, { connections: 1, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(lean);
    const r = await request(lean, {});
    expect(r.error?.code).to.equal('HPE_UNEXPECTED_CONTENT_LENGTH');
    await waitFor(() => lean.connections === 0, { what: 'connection closed' });
  });

  it('headers and body deadlines fail the request with undici\'s timeout codes; a refused connection keeps its errno', async () => {
    const silent = await rawUpstream(() => undefined);
    const trickle = await rawUpstream((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab'));
    toClose.push(silent, trickle);
    const a = new LeanPool(silent.url, { connections: 1, connectTimeoutMs: 1000, timeoutMs: 150 });
    const b = new LeanPool(trickle.url, { connections: 1, connectTimeoutMs: 1000, timeoutMs: 150 });
    toClose.push(a, b);
    expect((await request(a, {})).error?.code).to.equal('UND_ERR_HEADERS_TIMEOUT');
    expect((await request(b, {})).error?.code).to.equal('UND_ERR_BODY_TIMEOUT');
    const port = silent.url.port;
    await silent.close();
    toClose.splice(toClose.indexOf(silent), 1);
    const c = new LeanPool(new URL(`http://127.0.0.1:${port}`), { connections: 1, connectTimeoutMs: 1000, timeoutMs: 150 });
    toClose.push(c);
    expect((await request(c, {})).error?.code).to.equal('ECONNREFUSED');
  });

  it('queues beyond its connections and serves the queue in order; a paused response resumes where it stopped', async () => {
    const up = await rawUpstream((s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n'));
    toClose.push(up);
    const lean = new LeanPool(up.url, { connections: 1, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(lean);
    const results = await Promise.all([0, 1, 2].map(() => request(lean, {}, (c) => {
      c.pause();
      setImmediate(() => c.resume());
    })));
    expect(results.map((r) => r.body)).to.deep.equal(['abc', 'abc', 'abc']);
    expect(up.sockets.length).to.equal(1);
  });
});
