/**
 * The lean upstream client (docs/facade.md "Lean upstream client"): keep-alive HTTP/1.1 over plain
 * net.Sockets, for the requests the facade forwards most — no body or a buffered one. It speaks undici's
 * dispatch-handler interface (onRequestStart / onResponseStart / onResponseData / onResponseEnd /
 * onResponseError, with a controller that aborts, pauses and resumes), so the engine and the shadow copies
 * use it exactly as they use an undici Pool; what it cannot do the same way (streamed request bodies,
 * CONNECT, connection-specific or Expect headers, a bad path) stays on undici: see `leanEligible`.
 *
 * Per request: the head is built as one latin1 string in undici's layout (request line, host, connection,
 * the headers in order, content-length) and written with the body in one corked write; the response is read
 * by response-parser.ts straight from the socket's buffers, body bytes handed on as views of them.
 *
 * Connections: at most `connections`, made on demand, reused LIFO while the upstream keeps them alive
 * (its `Keep-Alive: timeout` hint minus 2 s, else 30 s, like undici); requests beyond that wait in FIFO
 * order. A connection is never reused after an aborted request, a parse error, leftover bytes after a
 * response, a HEAD, a body on a method that expects none, `Connection: close` or a close-delimited body.
 * Deadlines: connect timeout; headers timeout from the moment the request was written (absolute, checked on
 * each partial head and by the socket's idle timer); body timeout as the idle time between body bytes,
 * suspended while the consumer has paused the response (as undici's is).
 */
import { connect, type Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { ResponseParser, type Headers, type ParserEvents } from './response-parser.ts';

export interface LeanPoolOptions {
  /** Connections at most. */
  connections: number;
  connectTimeoutMs: number;
  /** Headers and body timeout unless a request brings its own (undici's headersTimeout / bodyTimeout). */
  timeoutMs: number;
  /** Idle connections are kept this long unless the upstream's Keep-Alive hint says less (default 30 s). */
  keepAliveMs?: number;
}

export interface LeanDispatchOptions {
  method: string;
  path: string;
  headers: Record<string, string | string[] | number | undefined>;
  body: Buffer | null;
  headersTimeout?: number;
  bodyTimeout?: number;
}

/** The (empty) request context and trailers every handler is given: shared, not made per request. */
export const NO_CONTEXT = Object.freeze({});
export const NO_TRAILERS = Object.freeze({});

export const KEEP_ALIVE_THRESHOLD_MS = 2000;
export const KEEP_ALIVE_MAX_MS = 600_000;

/** Methods whose requests carry a body (undici's list): a bodiless one still sends `content-length: 0`. */
export function expectsPayload(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'QUERY' || method === 'PROPFIND' || method === 'PROPPATCH';
}

/** Request headers the lean client leaves to undici (they change the connection, or undici refuses them). */
const LEFT_TO_UNDICI = ['connection', 'keep-alive', 'upgrade', 'transfer-encoding', 'expect'];

/**
 * Whether the lean client sends this request the way undici would: a body that is absent or a Buffer, not
 * CONNECT, none of the connection-specific headers, a path of visible latin1 characters (undici's check),
 * and a Content-Length that, if present, matches the buffered body.
 */
export function leanEligible(method: string, path: string, headers: Record<string, unknown>, body: unknown): boolean {
  if (body !== null && !(body instanceof Buffer)) return false;
  if (method === 'CONNECT') return false;
  for (let i = 0; i < LEFT_TO_UNDICI.length; i++) if (headers[LEFT_TO_UNDICI[i]] !== undefined) return false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x21 || c > 0xff) return false;
  }
  const cl = headers['content-length'];
  if (cl !== undefined && body !== null && body.length > 0 && cl !== String(body.length)) return false;
  if (typeof headers.host !== 'string' && headers.host !== undefined) return false;
  return true;
}

/** An http: upstream's socket address and the `host` header line for requests without one of their own. */
export function upstreamAddress(url: URL): { host: string; port: number; hostHeader: string } {
  if (url.protocol !== 'http:') throw new Error(`lean client: only http: upstreams (got ${url.protocol})`);
  return {
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? 80 : Number(url.port),
    hostHeader: `host: ${url.hostname}${url.port ? `:${url.port}` : ''}\r\n`,
  };
}

/** A keep-alive TCP connection to an upstream, Nagle off, its idle timeout armed: the connection of both lean clients. */
export function upstreamSocket(host: string, port: number, timeoutMs: number): Socket {
  const s = connect({ host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 });
  s.setTimeout(timeoutMs);
  return s;
}

/** Writes a request's head (latin1) and its body, if it has one, as one write. */
export function writeRequest(s: Socket, head: string, body: Buffer | null): void {
  if (body !== null && body.length > 0) {
    s.cork();
    s.write(head, 'latin1');
    s.write(body);
    s.uncork();
  } else s.write(head, 'latin1');
}

/**
 * The request head in undici's layout: request line, `host` (the request's, else `hostHeader`), `connection`
 * (`close` for HEAD, whose connection is never reused), the headers in order, `content-length` (0 for a bodiless
 * method that expects a payload), blank line. `body`: null or non-empty.
 */
export function requestHead(method: string, path: string, headers: LeanDispatchOptions['headers'], body: Buffer | null, hostHeader: string): string {
  let head = method + ' ' + path + ' HTTP/1.1\r\n';
  const host = headers.host;
  head += typeof host === 'string' ? 'host: ' + host + '\r\n' : hostHeader;
  head += method === 'HEAD' ? 'connection: close\r\n' : 'connection: keep-alive\r\n';
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined || k === 'host' || k === 'content-length') continue;
    if (typeof v === 'string') head += k + ': ' + v + '\r\n';
    else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) head += k + ': ' + v[i] + '\r\n';
    else head += k + ': ' + v + '\r\n';
  }
  if (body !== null) head += 'content-length: ' + body.length + '\r\n\r\n';
  else head += expectsPayload(method) ? 'content-length: 0\r\n\r\n' : '\r\n';
  return head;
}

export class SocketError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SocketError';
    this.code = code;
  }
}

/** One request: the controller handed to the handler. */
class LeanRequest {
  readonly pool: LeanPool;
  readonly handler: Dispatcher.DispatchHandler;
  readonly head: string;
  readonly body: Buffer | null;
  readonly isHead: boolean;
  /** The connection must not be reused after this request. */
  readonly reset: boolean;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  conn: Conn | null = null;
  aborted = false;
  paused = false;
  done = false;
  reason: Error | null = null;
  /** When the request was written (headers deadline). */
  sentAt = 0;
  /** Bytes not yet parsed when the consumer paused. */
  rest: Buffer | null = null;
  restOff = 0;
  /** Waiting in the pool's queue. */
  queued = false;

  constructor(pool: LeanPool, handler: Dispatcher.DispatchHandler, head: string, body: Buffer | null, isHead: boolean, reset: boolean, headersTimeout: number, bodyTimeout: number) {
    this.pool = pool;
    this.handler = handler;
    this.head = head;
    this.body = body;
    this.isHead = isHead;
    this.reset = reset;
    this.headersTimeout = headersTimeout;
    this.bodyTimeout = bodyTimeout;
  }

  abort(reason?: Error): void {
    if (this.done) return;
    this.aborted = true;
    this.done = true;
    this.reason = reason ?? new SocketError('UND_ERR_ABORTED', 'request aborted');
    const c = this.conn;
    if (c !== null) {
      this.conn = null;
      c.req = null;
      c.destroy(); // whatever the upstream still sends belongs to this request: the connection is not reused
    } else if (this.queued) this.pool.unqueue(this);
    this.handler.onResponseError?.(this as unknown as Dispatcher.DispatchController, this.reason);
  }

  pause(): void {
    if (this.done || this.paused) return;
    this.paused = true;
    this.conn?.socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const c = this.conn;
    if (c === null || this.done) return;
    c.socket.setTimeout(c.timeoutMs); // the body timeout starts again (it was suspended while paused)
    const rest = this.rest;
    if (rest !== null) {
      this.rest = null;
      c.feed(rest, this.restOff);
    }
    if (this.paused || this.conn !== c) return;
    if (c.eof) c.atEnd();
    else c.socket.resume();
  }
}

/** One upstream connection. */
class Conn implements ParserEvents {
  readonly pool: LeanPool;
  readonly socket: Socket;
  readonly parser: ResponseParser;
  req: LeanRequest | null = null;
  connected = false;
  destroyed = false;
  /** The current request's message completed (set by the parser, acted on after it returns). */
  completed = false;
  idleAt = 0;
  keepAliveMs: number;
  /** The socket's idle timeout in force. */
  timeoutMs: number;
  error: Error | null = null;
  /** The upstream ended its side. */
  eof = false;

  constructor(pool: LeanPool) {
    this.pool = pool;
    this.parser = new ResponseParser(this);
    this.keepAliveMs = pool.keepAliveMs;
    this.timeoutMs = pool.connectTimeoutMs;
    const s = upstreamSocket(pool.host, pool.port, this.timeoutMs);
    this.socket = s;
    s.on('connect', () => this.onConnect());
    s.on('data', (b: Buffer) => this.onData(b));
    s.on('end', () => this.onEnd());
    s.on('error', (err: Error) => this.onError(err));
    s.on('close', () => this.onClose());
    s.on('timeout', () => this.onTimeout());
  }

  /** Takes a request (the connection is idle or just made). */
  start(r: LeanRequest): void {
    this.req = r;
    r.conn = this;
    this.completed = false;
    this.parser.reset(r.isHead);
    if (this.connected) this.send(r);
  }

  private send(r: LeanRequest): void {
    r.handler.onRequestStart?.(r as unknown as Dispatcher.DispatchController, NO_CONTEXT);
    if (r.done || this.req !== r) return; // aborted before a byte was written
    const t = r.headersTimeout;
    if (t !== this.timeoutMs) {
      this.timeoutMs = t;
      this.socket.setTimeout(t);
    }
    r.sentAt = performance.now();
    writeRequest(this.socket, r.head, r.body);
  }

  private onConnect(): void {
    this.connected = true;
    const r = this.req;
    if (r !== null) this.send(r);
  }

  private onData(b: Buffer): void {
    const r = this.req;
    if (r === null) {
      this.destroy(); // bytes nobody asked for
      return;
    }
    if (this.parser.inHead && r.sentAt !== 0 && performance.now() - r.sentAt > r.headersTimeout) {
      this.fail(new SocketError('UND_ERR_HEADERS_TIMEOUT', 'headers timeout'));
      return;
    }
    this.feed(b, 0);
  }

  /** Parses b from off for the current request; keeps the rest when the consumer paused. */
  feed(b: Buffer, off: number): void {
    const r = this.req!;
    let at: number;
    try {
      at = this.parser.execute(b, off);
    } catch (err) {
      if (this.req === r && !r.done) this.fail(err as Error);
      else this.destroy();
      return;
    }
    if (this.req !== r || r.done) return; // aborted by a handler
    if (this.completed) {
      this.finish(r, at < b.length);
      return;
    }
    if (at < b.length) {
      // paused mid-buffer: keep the rest until resume
      r.rest = b;
      r.restOff = at;
      this.socket.pause();
      return;
    }
    if (this.parser.headDone && this.timeoutMs !== r.bodyTimeout) {
      this.timeoutMs = r.bodyTimeout;
      this.socket.setTimeout(r.bodyTimeout);
    }
  }

  // ParserEvents
  onInfo(status: number, headers: Headers): void {
    const r = this.req!;
    r.handler.onResponseStart?.(r as unknown as Dispatcher.DispatchController, status, headers, '');
  }

  onHead(status: number, headers: Headers): void {
    const r = this.req!;
    r.handler.onResponseStart?.(r as unknown as Dispatcher.DispatchController, status, headers, '');
  }

  onBody(chunk: Buffer): void {
    const r = this.req!;
    if (r.done) return;
    r.handler.onResponseData?.(r as unknown as Dispatcher.DispatchController, chunk);
  }

  onComplete(): void {
    this.completed = true;
  }

  stopped(): boolean {
    const r = this.req;
    return r === null || r.done || r.paused;
  }

  /** The response is complete: the connection goes back to the pool (or is closed), then the handler hears of it. */
  private finish(r: LeanRequest, leftover: boolean): void {
    this.req = null;
    r.conn = null;
    r.done = true;
    const p = this.parser;
    if (p.keepAlive && !r.reset && !leftover && !this.pool.closed && !this.destroyed) {
      const hint = p.keepAliveHintMs;
      this.keepAliveMs = hint < 0 ? this.pool.keepAliveMs : Math.min(hint - KEEP_ALIVE_THRESHOLD_MS, KEEP_ALIVE_MAX_MS);
      if (this.keepAliveMs > 0) {
        this.idleAt = performance.now();
        if (this.socket.isPaused()) this.socket.resume();
        this.pool.release(this);
      } else this.destroy();
    } else this.destroy();
    r.handler.onResponseEnd?.(r as unknown as Dispatcher.DispatchController, NO_TRAILERS);
  }

  /** Fails the current request with err and closes the connection. */
  fail(err: Error): void {
    const r = this.req;
    this.req = null;
    this.destroy();
    if (r === null || r.done) return;
    r.conn = null;
    r.done = true;
    r.handler.onResponseError?.(r as unknown as Dispatcher.DispatchController, err);
  }

  private onEnd(): void {
    this.eof = true;
    const r = this.req;
    if (r === null) {
      this.destroy();
      return;
    }
    if (r.rest !== null || r.paused) return; // bytes still unread: resume() ends it after them
    this.atEnd();
  }

  /** The upstream closed its side: completes a close-delimited body, else the request fails. */
  atEnd(): void {
    const r = this.req!;
    if (this.parser.endOfInput()) this.finish(r, false);
    else this.fail(new SocketError('UND_ERR_SOCKET', 'other side closed'));
  }

  private onError(err: Error): void {
    this.error = err;
    if (this.req !== null) this.fail(err);
    else this.destroy();
  }

  private onClose(): void {
    this.destroyed = true;
    if (this.req !== null) this.fail(this.error ?? new SocketError('UND_ERR_SOCKET', 'other side closed'));
    this.pool.gone(this);
  }

  private onTimeout(): void {
    const r = this.req;
    if (r === null) return; // idle in the pool: its keep-alive is checked when taken
    if (!this.connected) {
      this.fail(new SocketError('UND_ERR_CONNECT_TIMEOUT', 'connect timeout'));
      return;
    }
    if (r.paused) return; // the body timeout is suspended while the consumer holds the response
    this.fail(new SocketError(this.parser.headDone ? 'UND_ERR_BODY_TIMEOUT' : 'UND_ERR_HEADERS_TIMEOUT', this.parser.headDone ? 'body timeout' : 'headers timeout'));
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.socket.destroy();
  }
}

export class LeanPool {
  readonly host: string;
  readonly port: number;
  readonly hostHeader: string;
  readonly max: number;
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  readonly keepAliveMs: number;
  closed = false;
  private readonly idle: Conn[] = [];
  /** Connections open or connecting (each counted until its 'close'). */
  private count = 0;
  private readonly queue: (LeanRequest | null)[] = [];
  private queueHead = 0;
  private readonly all = new Set<Conn>();
  private closeWaiters: (() => void)[] = [];

  constructor(url: URL, opts: LeanPoolOptions) {
    ({ host: this.host, port: this.port, hostHeader: this.hostHeader } = upstreamAddress(url));
    this.max = opts.connections;
    this.connectTimeoutMs = opts.connectTimeoutMs;
    this.timeoutMs = opts.timeoutMs;
    this.keepAliveMs = opts.keepAliveMs ?? 30_000;
  }

  /** Connections open now (tests, metrics). */
  get connections(): number {
    return this.count;
  }

  /** Like undici's Pool#stats (tests, diagnostics): requests on a connection, requests queued, connections open. */
  get stats(): { running: number; pending: number; connected: number } {
    let running = 0;
    for (const c of this.all) if (c.req !== null) running++;
    let pending = 0;
    for (let i = this.queueHead; i < this.queue.length; i++) if (this.queue[i] !== null) pending++;
    return { running, pending, connected: this.count };
  }

  /** Sends one request; errors (closed pool) reach the handler's onResponseError. */
  dispatch(o: LeanDispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.send(o.method, o.path, o.headers, o.body, o.headersTimeout ?? this.timeoutMs, o.bodyTimeout ?? this.timeoutMs, handler);
  }

  /** `dispatch` without the options object (the engine's hot path). */
  send(method: string, path: string, headers: LeanDispatchOptions['headers'], reqBody: Buffer | null, headersTimeout: number, bodyTimeout: number, handler: Dispatcher.DispatchHandler): boolean {
    const isHead = method === 'HEAD';
    const body = reqBody !== null && reqBody.length > 0 ? reqBody : null;
    const reset = isHead || (body !== null && !expectsPayload(method));
    const r = new LeanRequest(this, handler, requestHead(method, path, headers, body, this.hostHeader), body, isHead, reset, headersTimeout, bodyTimeout);
    if (this.closed) {
      r.done = true;
      handler.onResponseError?.(r as unknown as Dispatcher.DispatchController, new SocketError('UND_ERR_CLOSED', 'the upstream pool is closed'));
      return false;
    }
    const c = this.takeIdle();
    if (c !== null) c.start(r);
    else if (this.count < this.max) this.open().start(r);
    else {
      r.queued = true;
      this.queue.push(r);
    }
    return true;
  }

  private takeIdle(): Conn | null {
    const idle = this.idle;
    if (idle.length === 0) return null;
    const now = performance.now();
    while (idle.length > 0) {
      const c = idle.pop()!;
      if (!c.destroyed && now - c.idleAt < c.keepAliveMs) return c;
      c.destroy();
    }
    return null;
  }

  private open(): Conn {
    const c = new Conn(this);
    this.count++;
    this.all.add(c);
    return c;
  }

  private nextQueued(): LeanRequest | null {
    const q = this.queue;
    while (this.queueHead < q.length) {
      const r = q[this.queueHead];
      q[this.queueHead++] = null;
      if (r !== null && !r.done) {
        r.queued = false;
        if (this.queueHead === q.length) {
          q.length = 0;
          this.queueHead = 0;
        }
        return r;
      }
    }
    q.length = 0;
    this.queueHead = 0;
    return null;
  }

  unqueue(r: LeanRequest): void {
    r.queued = false;
    const i = this.queue.indexOf(r, this.queueHead);
    if (i !== -1) this.queue[i] = null;
  }

  /** An idle connection: the next queued request takes it, else it waits in the pool. */
  release(c: Conn): void {
    const next = this.nextQueued();
    if (next !== null) c.start(next);
    else this.idle.push(c);
  }

  /** A connection closed: forget it, and open another for a queued request. */
  gone(c: Conn): void {
    if (!this.all.delete(c)) return;
    this.count--;
    const i = this.idle.indexOf(c);
    if (i !== -1) this.idle.splice(i, 1);
    if (!this.closed || this.queueHead < this.queue.length) {
      if (this.count < this.max) {
        const next = this.nextQueued();
        if (next !== null) this.open().start(next);
      }
    }
    if (this.closed && this.count === 0) this.settleClose();
  }

  private settleClose(): void {
    const w = this.closeWaiters;
    this.closeWaiters = [];
    for (const f of w) f();
  }

  /** Stops taking requests; queued and running ones finish, then every connection closes. */
  close(): Promise<void> {
    this.closed = true;
    for (const c of this.idle.splice(0)) c.destroy();
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.closeWaiters.push(resolve);
      // connections that finish their request are destroyed (closed pool) and counted down in gone()
    });
  }

  /** Closes every connection now; running and queued requests fail. */
  destroy(): Promise<void> {
    this.closed = true;
    const err = new SocketError('UND_ERR_DESTROYED', 'the upstream pool was destroyed');
    for (let r = this.nextQueued(); r !== null; r = this.nextQueued()) {
      r.done = true;
      r.handler.onResponseError?.(r as unknown as Dispatcher.DispatchController, err);
    }
    for (const c of [...this.all]) {
      if (c.req !== null) c.fail(err);
      else c.destroy();
    }
    return this.close();
  }
}
