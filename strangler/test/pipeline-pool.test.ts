/**
 * The shadow copies' pipelining client (strangler/relay/pipeline-pool.ts) against raw TCP upstreams: GETs handed
 * over in one turn share one write and one connection, answers go to their own requests in order, anything else
 * is sent alone, and every failure — a connection killed mid-pipeline, `Connection: close`, a deadline, an abort
 * of a written or unwritten request — settles each request exactly once without handing anyone a wrong answer.
 */
import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
import { PipelinePool } from '../relay/pipeline-pool.ts';
import { LeanPool } from '../relay/pool.ts';
import { shadowFetch, type ShadowOutcome } from '../shadow.ts';
import { waitFor } from '../../test/helpers/wait.ts';

interface Head { method: string; path: string }

interface PipeUpstream {
  url: URL;
  sockets: Socket[];
  /** Per connection: the request heads each received chunk carried (how many requests shared a write). */
  chunks: Head[][][];
  /** Every request head received, in order, with its connection index. */
  heads: (Head & { conn: number })[];
  close(): Promise<void>;
}

/** A TCP upstream that splits pipelined heads (bodies by Content-Length) and calls `answer` once per request. */
async function pipeUpstream(answer: (s: Socket, h: Head, conn: number, nth: number) => void): Promise<PipeUpstream> {
  const sockets: Socket[] = [];
  const chunks: Head[][][] = [];
  const heads: PipeUpstream['heads'] = [];
  const server: Server = createServer((s) => {
    const conn = sockets.push(s) - 1;
    chunks.push([]);
    let buf = Buffer.alloc(0);
    let nth = 0;
    s.on('error', () => undefined);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const inChunk: Head[] = [];
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const text = buf.toString('latin1', 0, end);
        const cl = /\r\ncontent-length: (\d+)/i.exec(text);
        const len = cl ? Number(cl[1]) : 0;
        if (buf.length < end + 4 + len) break;
        buf = buf.subarray(end + 4 + len);
        const [method, path] = text.split(' ');
        const h = { method, path };
        inChunk.push(h);
        heads.push({ ...h, conn });
        answer(s, h, conn, nth++);
      }
      if (inChunk.length > 0) chunks[conn].push(inChunk);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), sockets, chunks, heads,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

const answerOf = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

interface Result {
  status: number;
  body: string;
  error: (Error & { code?: string }) | null;
  /** Settlements (onResponseEnd + onResponseError): must be exactly 1. */
  settled: number;
  controller: Dispatcher.DispatchController | null;
  done: Promise<void>;
}

function start(pool: PipelinePool, o: { method?: string; path?: string; body?: Buffer | null; timeout?: number },
  onData?: (c: Dispatcher.DispatchController, chunk: Buffer) => void): Result {
  let resolve!: () => void;
  const r: Result = { status: 0, body: '', error: null, settled: 0, controller: null, done: new Promise<void>((res) => (resolve = res)) };
  pool.dispatch({ method: o.method ?? 'GET', path: o.path ?? '/', headers: {}, body: o.body ?? null, headersTimeout: o.timeout, bodyTimeout: o.timeout }, {
    onRequestStart: (c) => {
      r.controller = c;
    },
    onResponseStart: (_c, status) => {
      r.status = status;
    },
    onResponseData: (c, chunk) => {
      r.body += chunk.toString('latin1');
      onData?.(c, chunk);
    },
    onResponseEnd: () => {
      r.settled++;
      resolve();
    },
    onResponseError: (_c, err) => {
      r.settled++;
      r.error = err;
      resolve();
    },
  });
  return r;
}

describe('pipelining shadow client', () => {
  const toClose: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const c of toClose.splice(0)) await c.close();
  });

  it('writes the GETs of one turn together on one connection and hands each answer to its own request, however the bytes are cut', async () => {
    const up = await pipeUpstream((s, h) => {
      const a = answerOf(`answer for ${h.path}`);
      // dribble the answer in 3-byte pieces, so answers straddle reads
      for (let i = 0; i < a.length; i += 3) s.write(a.slice(i, i + 3));
    });
    const pool = new PipelinePool(up.url, { connections: 4, depth: 16, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(up, pool);
    const rs = [1, 2, 3, 4, 5].map((i) => start(pool, { path: `/p${i}` }));
    await Promise.all(rs.map((r) => r.done));
    expect(rs.map((r) => r.body)).to.deep.equal([1, 2, 3, 4, 5].map((i) => `answer for /p${i}`));
    expect(rs.map((r) => r.settled)).to.deep.equal([1, 1, 1, 1, 1]);
    expect(up.sockets.length).to.equal(1);
    expect(up.chunks[0][0].map((h) => h.path)).to.deep.equal(['/p1', '/p2', '/p3', '/p4', '/p5']); // one write
    // the next turn's requests reuse the connection
    const more = [6, 7].map((i) => start(pool, { path: `/p${i}` }));
    await Promise.all(more.map((r) => r.done));
    expect(more.map((r) => r.body)).to.deep.equal(['answer for /p6', 'answer for /p7']);
    expect(up.sockets.length).to.equal(1);
  });

  it('answers arriving all in one write are split exactly; the depth caps how many go ahead on one connection', async () => {
    const pending: { s: Socket; text: string }[] = [];
    const up = await pipeUpstream((s, h) => pending.push({ s, text: answerOf(h.path) }));
    const pool = new PipelinePool(up.url, { connections: 1, depth: 2, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(up, pool);
    const rs = ['/a', '/b', '/c'].map((path) => start(pool, { path }));
    await waitFor(() => up.heads.length === 2, { what: 'two requests written' });
    expect(pool.stats.pending).to.equal(1); // the third waits for room
    up.sockets[0].write(pending.splice(0).map((p) => p.text).join('')); // both answers in one write
    await waitFor(() => up.heads.length === 3, { what: 'third written once there was room' });
    up.sockets[0].write(answerOf('/c'));
    await Promise.all(rs.map((r) => r.done));
    expect(rs.map((r) => r.body)).to.deep.equal(['/a', '/b', '/c']);
  });

  it('sends anything but a bodiless GET alone: nothing pipelined before or behind it', async () => {
    const up = await pipeUpstream((s, h) => s.write(answerOf(`${h.method} ${h.path}`)));
    const pool = new PipelinePool(up.url, { connections: 1, depth: 16, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(up, pool);
    const rs = [
      start(pool, { path: '/g1' }), start(pool, { path: '/g2' }),
      start(pool, { method: 'POST', path: '/post', body: Buffer.from('{"a":1}') }),
      start(pool, { path: '/g3' }),
    ];
    await Promise.all(rs.map((r) => r.done));
    expect(rs.map((r) => r.body)).to.deep.equal(['GET /g1', 'GET /g2', 'POST /post', 'GET /g3']);
    expect(up.chunks[0].map((c) => c.map((h) => h.path))).to.deep.equal([['/g1', '/g2'], ['/post'], ['/g3']]);
  });

  it('writes the same request bytes as the lean client (and so as undici), one request at a time', async () => {
    const raw: Buffer[] = [];
    const server = createServer((sock) => {
      sock.on('error', () => undefined);
      sock.on('data', (d) => {
        raw.push(d);
        if (d.includes('\r\n\r\n')) sock.write(answerOf('ok'));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const pipe = new PipelinePool(url, { connections: 1, depth: 16, connectTimeoutMs: 1000, timeoutMs: 5000 });
    const lean = new LeanPool(url, { connections: 1, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push({ close: () => new Promise<void>((r) => server.close(() => r())) }, pipe, lean);
    const cases = [
      { method: 'GET', path: '/a?b=1', headers: { host: 'example.test', 'x-request-id': 'r1', accept: '*/*', 'x-multi': ['1', '2'] } },
      { method: 'GET', path: '/no-host', headers: { accept: 'text/plain' } },
      { method: 'POST', path: '/p', headers: { host: 'h', 'content-length': '7' }, body: Buffer.from('{"a":1}') },
      { method: 'POST', path: '/empty', headers: { host: 'h' } },
      { method: 'HEAD', path: '/h', headers: { host: 'h' } },
    ];
    const once = (pool: PipelinePool | LeanPool, c: (typeof cases)[number]) => new Promise<string>((resolve) => {
      const from = raw.length;
      pool.dispatch({ method: c.method, path: c.path, headers: c.headers, body: c.body ?? null }, {
        onResponseEnd: () => resolve(Buffer.concat(raw.slice(from)).toString('latin1')),
        onResponseError: (_c, err) => resolve(`error ${err.message}`),
      });
    });
    for (const c of cases) expect(await once(pipe, c), c.path).to.equal(await once(lean, c));
  });

  it('a copy pipelined behind a slow answer reports how long it waited behind it (queuedMs), so its latency stays the service\'s own', async () => {
    const HOLD_MS = 150;
    let held: (() => void) | null = null;
    const up = await pipeUpstream((s, h) => {
      // the first answer is slow (the service's time); the one pipelined behind it is ready at once but, in order, goes after it
      if (h.path === '/slow') held = () => s.write(answerOf('slow'));
      else if (held !== null) {
        const first = held;
        held = null;
        setTimeout(() => {
          first();
          s.write(answerOf('fast'));
        }, HOLD_MS);
      }
    });
    const pool = new PipelinePool(up.url, { connections: 4, depth: 16, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(up, pool);
    const outcomes: Record<string, ShadowOutcome> = {};
    const done = ['/slow', '/fast'].map((path) => new Promise<void>((resolve) => {
      shadowFetch(null as unknown as Dispatcher, pool, { method: 'GET', path, headers: {}, body: null }, 'service', 5000, 1024, {
        shadowDone: (o) => {
          outcomes[path] = o;
          resolve();
        },
      });
    }));
    await Promise.all(done);
    expect(up.chunks[0][0].map((h) => h.path), 'both copies in one write, on one connection').to.deep.equal(['/slow', '/fast']);
    const slow = outcomes['/slow'];
    const fast = outcomes['/fast'];
    if (!slow.ok || !fast.ok) throw new Error(`a copy failed: ${JSON.stringify(outcomes)}`);
    expect(slow.response.body.toString()).to.equal('slow');
    expect(fast.response.body.toString()).to.equal('fast');
    expect(slow.queuedMs ?? 0, 'the first answer waited behind nothing').to.be.lessThan(20);
    expect(fast.queuedMs ?? 0, 'the second waited behind the slow one').to.be.at.least(HOLD_MS - 20);
  });

  it('depth 1 (STRANGLER_SHADOW_PIPELINE=0): one request per connection at a time, never two in one write', async () => {
    const up = await pipeUpstream((s, h) => s.write(answerOf(h.path)));
    const pool = new PipelinePool(up.url, { connections: 2, depth: 1, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(up, pool);
    const rs = ['/a', '/b', '/c', '/d', '/e'].map((path) => start(pool, { path }));
    await Promise.all(rs.map((r) => r.done));
    expect(rs.map((r) => r.body)).to.deep.equal(['/a', '/b', '/c', '/d', '/e']);
    expect(up.sockets.length).to.equal(2);
    for (const conn of up.chunks) for (const chunk of conn) expect(chunk.length).to.equal(1);
  });

  it('a connection killed mid-pipeline: answered requests keep their answers, the rest fail once each; the pool recovers', async () => {
    let kill = true;
    const up = await pipeUpstream((s, h, _conn, nth) => {
      if (!kill) return s.write(answerOf(h.path));
      if (nth === 0) s.write(answerOf(h.path));
      if (nth === 1) s.write('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\npart');
      if (nth === 2) setImmediate(() => s.destroy());
    });
    const pool = new PipelinePool(up.url, { connections: 1, depth: 16, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(up, pool);
    const rs = ['/a', '/b', '/c', '/d'].map((path) => start(pool, { path }));
    await Promise.all(rs.map((r) => r.done));
    expect(rs[0].body).to.equal('/a');
    expect(rs[0].error).to.equal(null);
    for (const r of rs.slice(1)) expect(r.error, 'failed').to.be.an('error');
    expect(rs[1].error?.code).to.match(/^(UND_ERR_SOCKET|ECONNRESET)$/);
    await waitFor(() => pool.connections === 0, { what: 'dead connection gone' });
    expect(rs.map((r) => r.settled)).to.deep.equal([1, 1, 1, 1]);
    kill = false;
    expect((await (async () => { const r = start(pool, { path: '/e' }); await r.done; return r; })()).body).to.equal('/e');
  });

  it('Connection: close on one answer: the requests written behind it fail once; one assigned but not yet written is sent on a new connection', async () => {
    const up = await pipeUpstream((s, h, conn, nth) => {
      if (conn === 0 && nth === 0) s.write(answerOf(h.path, 'Connection: close\r\n'));
      else if (conn === 0) return; // the close above makes these unanswerable
      else s.write(answerOf(h.path));
    });
    const pool = new PipelinePool(up.url, { connections: 1, depth: 16, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(up, pool);
    let late: Result | null = null;
    const first = start(pool, { path: '/a' }, () => {
      late ??= start(pool, { path: '/late' }); // handed over while the connection is about to close: not written on it
    });
    const behind = start(pool, { path: '/b' });
    await Promise.all([first.done, behind.done]);
    expect(first.body).to.equal('/a');
    expect(behind.error?.code).to.equal('UND_ERR_SOCKET');
    await late!.done;
    expect(late!.body).to.equal('/late');
    expect(late!.error).to.equal(null);
    expect(up.heads.map((h) => `${h.conn}${h.path}`)).to.deep.equal(['0/a', '0/b', '1/late']);
    expect([first, behind, late!].map((r) => r.settled)).to.deep.equal([1, 1, 1]);
  });

  it('an upstream that closes a connection with requests pipelined behind an answer gets one request per connection from then on, said once', async () => {
    const up = await pipeUpstream((s, h, conn, nth) => {
      if (conn === 0 && nth === 0) s.end(answerOf(h.path, 'Connection: close\r\n'));
      else if (conn > 0) s.write(answerOf(h.path));
    });
    const stopped: string[] = [];
    const pool = new PipelinePool(up.url, { connections: 4, depth: 16, connectTimeoutMs: 1000, timeoutMs: 5000, onPipeliningStopped: (r) => stopped.push(r) });
    toClose.push(up, pool);
    const [a, b] = [start(pool, { path: '/a' }), start(pool, { path: '/b' })];
    await Promise.all([a.done, b.done]);
    expect(a.body).to.equal('/a');
    expect(b.error?.code).to.equal('UND_ERR_SOCKET');
    expect(stopped).to.have.length(1);
    expect(pool.depth).to.equal(1);
    // the next turn's copies: each alone on a connection, none written behind another, all answered
    const later = [1, 2, 3].map((i) => start(pool, { path: `/c${i}` }));
    await Promise.all(later.map((r) => r.done));
    expect(later.map((r) => r.body)).to.deep.equal(['/c1', '/c2', '/c3']);
    for (const perConn of up.chunks.slice(1)) for (const chunk of perConn) expect(chunk.length, 'one request per write').to.equal(1);
    expect(stopped).to.have.length(1);
  });

  it('a request whose handler aborts before its write (a deadline passed while it waited) never reaches the wire', async () => {
    const up = await pipeUpstream((s, h) => s.write(answerOf(h.path)));
    const pool = new PipelinePool(up.url, { connections: 1, depth: 16, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(up, pool);
    const a = start(pool, { path: '/a' });
    let neverErr: Error | null = null;
    let neverSettled = 0;
    pool.dispatch({ method: 'GET', path: '/never', headers: {}, body: null }, {
      onRequestStart: (c) => c.abort(new Error('shadow deadline')),
      onResponseError: (_c, err) => {
        neverErr = err;
        neverSettled++;
      },
      onResponseEnd: () => {
        neverSettled++;
      },
    });
    const b = start(pool, { path: '/b' });
    await Promise.all([a.done, b.done]);
    expect([a.body, b.body]).to.deep.equal(['/a', '/b']);
    expect(neverErr!.message).to.equal('shadow deadline');
    expect(neverSettled).to.equal(1);
    expect(up.heads.map((h) => h.path)).to.deep.equal(['/a', '/b']);
  });

  it('an abort of a written request behind others settles it at once; its answer is read and dropped and the connection kept', async () => {
    const answers: { s: Socket; h: Head }[] = [];
    const up = await pipeUpstream((s, h) => answers.push({ s, h }));
    const pool = new PipelinePool(up.url, { connections: 1, depth: 16, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(up, pool);
    const [a, b, c] = ['/a', '/b', '/c'].map((path) => start(pool, { path }));
    await waitFor(() => answers.length === 3, { what: 'three written' });
    b.controller!.abort(new Error('shadow deadline'));
    expect(b.error?.message).to.equal('shadow deadline');
    // b's connection takes nothing new until b's answer is gone: this one opens no second connection only if it waits
    const d = start(pool, { path: '/d' });
    for (const { s, h } of answers.splice(0)) s.write(answerOf(h.path));
    await waitFor(() => answers.length === 1, { what: 'd written after b\'s answer was dropped' });
    for (const { s, h } of answers.splice(0)) s.write(answerOf(h.path));
    await Promise.all([a.done, c.done, d.done]);
    expect([a, c, d].map((r) => r.body)).to.deep.equal(['/a', '/c', '/d']);
    expect(b.body).to.equal(''); // never handed to anyone
    expect([a, b, c, d].map((r) => r.settled)).to.deep.equal([1, 1, 1, 1]);
    expect(up.sockets.length).to.equal(1);
  });

  it('an abort mid-body (the capture limit) with requests behind: the rest of that body is skipped, the others get their own answers', async () => {
    const big = 'x'.repeat(64 * 1024);
    const up = await pipeUpstream((s, h) => s.write(answerOf(h.path === '/big' ? big : h.path)));
    const pool = new PipelinePool(up.url, { connections: 1, depth: 16, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(up, pool);
    const head = start(pool, { path: '/big' }, (c) => c.abort(new Error('capture limit')));
    const rest = ['/a', '/b'].map((path) => start(pool, { path }));
    await Promise.all([head.done, ...rest.map((r) => r.done)]);
    expect(head.error?.message).to.equal('capture limit');
    expect(rest.map((r) => r.body)).to.deep.equal(['/a', '/b']);
    expect([head, ...rest].map((r) => r.settled)).to.deep.equal([1, 1, 1]);
    expect(up.sockets.length).to.equal(1);
  });

  it('an abort of the only written request closes its connection, as the lean client does', async () => {
    const up = await pipeUpstream((s, h) => s.write(h.path === '/slow' ? 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial' : answerOf(h.path)));
    const pool = new PipelinePool(up.url, { connections: 1, depth: 16, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(up, pool);
    const r = start(pool, { path: '/slow' }, (c) => c.abort(new Error('client left')));
    await r.done;
    expect(r.error?.message).to.equal('client left');
    await waitFor(() => up.sockets[0].destroyed || up.sockets[0].readableEnded, { what: 'upstream saw the close' });
    const next = start(pool, { path: '/next' });
    await next.done;
    expect(next.body).to.equal('/next');
    expect(up.sockets.length).to.equal(2);
  });

  it('a silent upstream: every pipelined request fails once by its deadline and the connection closes', async () => {
    const up = await pipeUpstream(() => undefined);
    const pool = new PipelinePool(up.url, { connections: 1, depth: 16, connectTimeoutMs: 1000, timeoutMs: 150 });
    toClose.push(up, pool);
    const t0 = performance.now();
    const rs = ['/a', '/b', '/c'].map((path) => start(pool, { path }));
    await Promise.all(rs.map((r) => r.done));
    expect(performance.now() - t0).to.be.below(2000);
    expect(rs[0].error?.code).to.equal('UND_ERR_HEADERS_TIMEOUT');
    for (const r of rs.slice(1)) expect(r.error?.code).to.equal('UND_ERR_SOCKET');
    expect(rs.map((r) => r.settled)).to.deep.equal([1, 1, 1]);
    await waitFor(() => pool.connections === 0, { what: 'connection closed' });
  });

  it('an idle connection the upstream closed is not used again; a refused connection fails its requests with their errno', async () => {
    const up = await pipeUpstream((s, h) => {
      s.write(answerOf(h.path));
      s.end(); // closes the idle keep-alive connection at once
    });
    const pool = new PipelinePool(up.url, { connections: 1, depth: 16, connectTimeoutMs: 1000, timeoutMs: 5000 });
    toClose.push(up, pool);
    const a = start(pool, { path: '/a' });
    await a.done;
    await waitFor(() => pool.connections === 0, { what: 'closed connection forgotten' });
    const b = start(pool, { path: '/b' });
    await b.done;
    expect([a.body, b.body]).to.deep.equal(['/a', '/b']);
    expect(up.sockets.length).to.equal(2);
    const port = up.url.port;
    await up.close();
    toClose.splice(toClose.indexOf(up), 1);
    const refused = new PipelinePool(new URL(`http://127.0.0.1:${port}`), { connections: 1, depth: 16, connectTimeoutMs: 1000, timeoutMs: 150 });
    toClose.push(refused);
    const rs = ['/x', '/y'].map((path) => start(refused, { path }));
    await Promise.all(rs.map((r) => r.done));
    expect(rs.map((r) => r.error?.code)).to.deep.equal(['ECONNREFUSED', 'ECONNREFUSED']);
    expect(rs.map((r) => r.settled)).to.deep.equal([1, 1]);
  });
});
