/**
 * The shadow copies' client (docs/facade.md "Pipelined shadow copies"): the lean client's wire format and response
 * parser (pool.ts, response-parser.ts) and its dispatch-handler interface, but bodiless GETs are pipelined
 * (HTTP/1.1, up to `depth` written ahead on one connection), and what was handed over in one turn of the event loop
 * is written in one write per connection (flushed from setImmediate), preferably all on one connection. Copies are
 * off the primary path, so a little latency buys fewer writes and reads on both ends.
 *
 * - Anything else — a body, HEAD (its connection closes), any other method — is sent alone: only on a connection
 *   with nothing in flight, and nothing is pipelined behind it (RFC 9112 §9.3.2).
 * - Answers are matched to requests in order. A connection that fails (error, close, timeout, malformed framing,
 *   an answer that closes it) fails every request written on it that is still unanswered, each once; requests
 *   assigned to it but not yet written go back to the front of the pool's queue and are sent elsewhere.
 * - Abort (a deadline, the capture limit): a request not yet written is simply dropped; a written one that is
 *   alone on its connection closes it (as the lean client does); a written one with others on its connection is
 *   settled at once and its answer, when it comes, is read and dropped — the connection takes no new requests
 *   until it has, so nothing new queues behind a slow answer.
 * - Deadlines as in the lean client, for the request whose answer is being read: headers timeout from its write
 *   (checked on data and by the socket's idle timer), body timeout between body bytes. Keep-alive as there.
 */
import type { Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { ResponseParser, type Headers, type ParserEvents } from './response-parser.ts';
import { KEEP_ALIVE_MAX_MS, KEEP_ALIVE_THRESHOLD_MS, NO_CONTEXT, NO_TRAILERS, SocketError, expectsPayload, requestHead, upstreamAddress, upstreamSocket, writeRequest, type LeanDispatchOptions, type LeanPoolOptions } from './pool.ts';

export interface PipelinePoolOptions extends LeanPoolOptions {
  /** Requests written ahead on one connection at most (1: no pipelining, only coalesced writes of nothing). */
  depth: number;
  /**
   * Called once when the upstream closed a connection with requests pipelined behind the answer (it does not keep
   * connections for pipelining): from then on this pool sends one request per connection at a time.
   */
  onPipeliningStopped?: (reason: string) => void;
}

export const DEFAULT_PIPELINE_DEPTH = 16;

const QUEUED = 0;
const ASSIGNED = 1;
const SENT = 2;
const DONE = 3;

type Controller = Dispatcher.DispatchController;

/** One request: the controller handed to the handler. */
class PipeRequest {
  readonly pool: PipelinePool;
  readonly handler: Dispatcher.DispatchHandler;
  readonly head: string;
  readonly body: Buffer | null;
  readonly isHead: boolean;
  /** Sent alone: nothing pipelined before or behind it. */
  readonly solo: boolean;
  /** The connection is not reused after its answer (HEAD, a body on a method that expects none). */
  readonly reset: boolean;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  state = QUEUED;
  conn: PipeConn | null = null;
  paused = false;
  sentAt = 0;
  /** When its answer became the one being read: its write, or the end of the answer before it on its connection. */
  servedFrom = 0;
  /** Bytes not yet parsed when the consumer paused. */
  rest: Buffer | null = null;
  restOff = 0;

  constructor(pool: PipelinePool, handler: Dispatcher.DispatchHandler, head: string, body: Buffer | null, isHead: boolean, solo: boolean, reset: boolean, headersTimeout: number, bodyTimeout: number) {
    this.pool = pool;
    this.handler = handler;
    this.head = head;
    this.body = body;
    this.isHead = isHead;
    this.solo = solo;
    this.reset = reset;
    this.headersTimeout = headersTimeout;
    this.bodyTimeout = bodyTimeout;
  }

  get aborted(): boolean {
    return this.state === DONE;
  }

  /**
   * How long its answer waited behind earlier answers on its connection (ms; head-of-line). A copy's latency
   * minus this is the service's own time for it, as unpipelined copies measure it (docs/facade.md).
   */
  get queuedMs(): number {
    return this.servedFrom > this.sentAt ? this.servedFrom - this.sentAt : 0;
  }

  abort(reason?: Error): void {
    if (this.state === DONE) return;
    const prev = this.state;
    this.state = DONE;
    const c = this.conn;
    if (prev === QUEUED) this.pool.unqueue(this);
    else if (c !== null) {
      if (prev === ASSIGNED) c.unassign(this);
      else c.abandon(this);
    }
    this.handler.onResponseError?.(this as unknown as Controller, reason ?? new SocketError('UND_ERR_ABORTED', 'request aborted'));
  }

  pause(): void {
    const c = this.conn;
    if (this.state !== SENT || this.paused || c === null || c.reqs[0] !== this) return; // only the answer being read
    this.paused = true;
    c.socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const c = this.conn;
    if (c === null || this.state !== SENT) return;
    c.resumeHead(this);
  }
}

/** One upstream connection: `reqs` in order, the first `sent` of them written (reqs[0]'s answer is being read). */
class PipeConn implements ParserEvents {
  readonly pool: PipelinePool;
  readonly socket: Socket;
  readonly parser: ResponseParser;
  reqs: PipeRequest[] = [];
  sent = 0;
  /** Written requests already settled whose answers are still due (read and dropped). */
  detached = 0;
  /** Carries a request that must be alone. */
  solo = false;
  connected = false;
  destroyed = false;
  completed = false;
  /** Listed for the next flush. */
  dirty = false;
  /** In the pool's idle list. */
  idle = false;
  idleAt = 0;
  keepAliveMs: number;
  timeoutMs: number;
  error: Error | null = null;
  eof = false;

  constructor(pool: PipelinePool) {
    this.pool = pool;
    this.parser = new ResponseParser(this);
    this.keepAliveMs = pool.keepAliveMs;
    this.timeoutMs = pool.connectTimeoutMs;
    this.idleAt = performance.now();
    const s = upstreamSocket(pool.host, pool.port, this.timeoutMs);
    this.socket = s;
    s.on('connect', () => {
      this.connected = true;
      this.write();
    });
    s.on('data', (b: Buffer) => this.onData(b));
    s.on('end', () => this.onEnd());
    s.on('error', (err: Error) => {
      this.error = err;
      this.fail(err);
    });
    s.on('close', () => {
      this.fail(this.error ?? new SocketError('UND_ERR_SOCKET', 'other side closed'));
      this.pool.gone(this);
    });
    s.on('timeout', () => this.onTimeout());
  }

  /** Takes another request (written at the next flush). */
  accepts(): boolean {
    return !this.destroyed && !this.solo && !this.eof && this.detached === 0 && this.reqs.length < this.pool.depth;
  }

  assign(r: PipeRequest): void {
    this.reqs.push(r);
    r.conn = this;
    r.state = ASSIGNED;
    if (r.solo) this.solo = true;
    this.pool.markDirty(this);
  }

  /** An assigned request was aborted before it was written. */
  unassign(r: PipeRequest): void {
    const i = this.reqs.indexOf(r, this.sent);
    if (i !== -1) this.reqs.splice(i, 1);
    r.conn = null;
    if (r.solo) this.solo = false;
    if (this.reqs.length === 0 && !this.destroyed) this.pool.release(this);
  }

  /** A written request was aborted: alone, its connection closes; else its answer will be dropped. */
  abandon(r: PipeRequest): void {
    if (this.sent === 1) {
      this.reqs.shift();
      this.sent = 0;
      r.conn = null;
      this.destroy(null); // whatever the upstream still sends belongs to r
      return;
    }
    this.detached++;
    if (r.paused) {
      r.paused = false;
      if (this.reqs[0] === r) this.resumeHead(r);
    }
  }

  /** Writes what was assigned since the last flush, in one write. */
  write(): void {
    if (!this.connected || this.destroyed) return;
    const first = this.sent === 0;
    let out = '';
    let body: Buffer | null = null;
    const now = performance.now();
    for (let i = this.sent; i < this.reqs.length;) {
      const r = this.reqs[i];
      r.handler.onRequestStart?.(r as unknown as Controller, NO_CONTEXT);
      if (this.destroyed) return;
      if (this.reqs[i] !== r) continue; // aborted before a byte was written: the next one is at i now
      r.state = SENT;
      r.sentAt = now;
      this.sent++;
      i++;
      out += r.head;
      if (r.body !== null) body = r.body; // only a solo request has one, and it is alone
    }
    if (this.sent === 0) {
      if (this.reqs.length === 0) this.pool.release(this);
      return;
    }
    if (first) this.startHead();
    if (out === '') return;
    writeRequest(this.socket, out, body);
  }

  /** reqs[0] was written and its answer is next. */
  private startHead(): void {
    const h = this.reqs[0];
    h.servedFrom = performance.now();
    this.completed = false;
    this.parser.reset(h.isHead);
    this.setTimeout(h.headersTimeout);
  }

  private setTimeout(ms: number): void {
    if (ms !== this.timeoutMs) {
      this.timeoutMs = ms;
      this.socket.setTimeout(ms);
    }
  }

  private onData(b: Buffer): void {
    if (this.sent === 0) {
      this.destroy(null); // bytes nobody asked for
      return;
    }
    const h = this.reqs[0];
    if (this.parser.inHead && performance.now() - h.sentAt > h.headersTimeout) {
      this.fail(new SocketError('UND_ERR_HEADERS_TIMEOUT', 'headers timeout'));
      return;
    }
    this.feed(b, 0);
  }

  /** Parses b from off: answers in order, each to the request at the front. */
  feed(b: Buffer, off: number): void {
    for (;;) {
      const h = this.reqs[0];
      let at: number;
      try {
        at = this.parser.execute(b, off);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      if (this.destroyed || this.reqs[0] !== h) return;
      if (this.completed) {
        if (!this.answered(h)) return;
        if (at === b.length) return;
        if (this.sent === 0) {
          this.destroy(null); // bytes nobody asked for
          return;
        }
        off = at;
        continue;
      }
      if (at < b.length) {
        // paused mid-buffer: keep the rest until resume
        h.rest = b;
        h.restOff = at;
        this.socket.pause();
        return;
      }
      if (this.parser.headDone) this.setTimeout(h.bodyTimeout);
      return;
    }
  }

  resumeHead(h: PipeRequest): void {
    const rest = h.rest;
    if (rest !== null) {
      h.rest = null;
      this.feed(rest, h.restOff);
    }
    if (this.destroyed || (this.sent > 0 && this.reqs[0].paused)) return;
    if (this.eof) {
      if (this.sent > 0) this.atEnd();
      else this.destroy(null);
      return;
    }
    this.socket.resume();
  }

  // ParserEvents
  onInfo(status: number, headers: Headers): void {
    const h = this.reqs[0];
    if (h.state === SENT) h.handler.onResponseStart?.(h as unknown as Controller, status, headers, '');
  }

  onHead(status: number, headers: Headers): void {
    const h = this.reqs[0];
    if (h.state === SENT) h.handler.onResponseStart?.(h as unknown as Controller, status, headers, '');
  }

  onBody(chunk: Buffer): void {
    const h = this.reqs[0];
    if (h.state === SENT) h.handler.onResponseData?.(h as unknown as Controller, chunk);
  }

  onComplete(): void {
    this.completed = true;
  }

  stopped(): boolean {
    if (this.destroyed || this.sent === 0) return true;
    return this.reqs[0].paused;
  }

  /** h's answer is complete: the next answer is the next request's, or the connection goes idle or closes. False: it closed. */
  private answered(h: PipeRequest): boolean {
    this.completed = false;
    this.reqs.shift();
    this.sent--;
    h.conn = null;
    const dropped = h.state === DONE;
    if (dropped) this.detached--;
    h.state = DONE;
    if (h.solo) this.solo = false;
    const p = this.parser;
    if (p.keepAlive && !h.reset) {
      const hint = p.keepAliveHintMs;
      this.keepAliveMs = hint < 0 ? this.pool.keepAliveMs : Math.min(hint - KEEP_ALIVE_THRESHOLD_MS, KEEP_ALIVE_MAX_MS);
    } else this.keepAliveMs = 0;
    if (this.socket.isPaused()) this.socket.resume();
    if (this.keepAliveMs <= 0) {
      // Connection: close (or HTTP/1.0) with requests written behind: the upstream does not serve pipelining here
      if (this.sent > 0 && !p.keepAlive) this.pool.stopPipelining('an answer closed its connection with pipelined requests behind it');
      this.destroy(new SocketError('UND_ERR_SOCKET', 'the upstream closed the connection before answering this pipelined request'));
    }
    else if (this.sent > 0) this.startHead();
    else {
      this.idleAt = performance.now();
      if (this.reqs.length === 0) this.pool.release(this);
    }
    if (!this.destroyed && this.reqs.length > 0) this.pool.refill(this);
    if (!dropped) h.handler.onResponseEnd?.(h as unknown as Controller, NO_TRAILERS);
    return !this.destroyed;
  }

  private onEnd(): void {
    this.eof = true;
    if (this.sent === 0) {
      this.destroy(null);
      return;
    }
    const h = this.reqs[0];
    if (h.rest !== null || h.paused) return; // bytes still unread: resume() ends it after them
    this.atEnd();
  }

  /** The upstream closed its side: completes a close-delimited body, else the connection fails. */
  atEnd(): void {
    if (this.sent > 0 && this.parser.endOfInput()) {
      if (!this.answered(this.reqs[0])) return;
    }
    this.fail(new SocketError('UND_ERR_SOCKET', 'other side closed'));
  }

  private onTimeout(): void {
    if (this.sent === 0) {
      if (!this.connected && this.reqs.length > 0) this.fail(new SocketError('UND_ERR_CONNECT_TIMEOUT', 'connect timeout'));
      return; // idle: its keep-alive is checked when taken
    }
    const h = this.reqs[0];
    if (h.paused) return; // the body timeout is suspended while the consumer holds the response
    this.fail(this.parser.headDone ? new SocketError('UND_ERR_BODY_TIMEOUT', 'body timeout') : new SocketError('UND_ERR_HEADERS_TIMEOUT', 'headers timeout'));
  }

  /** The connection failed: the request whose answer was being read gets err, the others written on it a socket error. */
  fail(err: Error): void {
    this.destroy(err);
  }

  /**
   * Closes the connection (once). Written, unsettled requests fail (the first with `err`, the rest with a
   * socket error; with `err` null, all with the socket error); assigned but unwritten ones go back to the queue.
   */
  destroy(err: Error | null): void {
    const reqs = this.reqs;
    const sent = this.sent;
    this.reqs = [];
    this.sent = 0;
    this.detached = 0;
    this.solo = false;
    if (!this.destroyed) {
      this.destroyed = true;
      this.socket.destroy();
    }
    if (reqs.length === 0) return;
    for (const r of reqs) r.conn = null;
    if (!this.connected && err !== null) {
      // never connected (refused, connect timeout, pool destroyed): every request here fails, none is sent elsewhere
      for (const r of reqs) {
        if (r.state === DONE) continue;
        r.state = DONE;
        r.handler.onResponseError?.(r as unknown as Controller, err);
      }
      return;
    }
    const back: PipeRequest[] = [];
    for (let i = sent; i < reqs.length; i++) if (reqs[i].state === ASSIGNED) back.push(reqs[i]);
    if (back.length > 0) this.pool.requeue(back);
    let other: SocketError | null = null;
    for (let i = 0; i < sent; i++) {
      const r = reqs[i];
      if (r.state === DONE) continue;
      r.state = DONE;
      const e = i === 0 && err !== null ? err : (other ??= new SocketError('UND_ERR_SOCKET', `the connection failed before this pipelined request was answered${err ? ` (${err.message})` : ''}`));
      r.handler.onResponseError?.(r as unknown as Controller, e);
    }
  }
}

export class PipelinePool {
  readonly host: string;
  readonly port: number;
  readonly hostHeader: string;
  readonly max: number;
  /** Becomes 1 for good when the upstream shows it does not serve pipelined requests (stopPipelining). */
  depth: number;
  private readonly onPipeliningStopped: ((reason: string) => void) | undefined;
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  readonly keepAliveMs: number;
  closed = false;
  private readonly idle: PipeConn[] = [];
  private count = 0;
  private queue: PipeRequest[] = [];
  private readonly all = new Set<PipeConn>();
  private readonly dirty: PipeConn[] = [];
  private flushScheduled = false;
  /** The connection pipelined requests went to in this turn (so they share one write). */
  private current: PipeConn | null = null;
  private closeWaiters: (() => void)[] = [];
  private readonly flushNow = () => this.flush();

  constructor(url: URL, opts: PipelinePoolOptions) {
    ({ host: this.host, port: this.port, hostHeader: this.hostHeader } = upstreamAddress(url));
    this.max = opts.connections;
    this.depth = Math.max(1, opts.depth);
    this.onPipeliningStopped = opts.onPipeliningStopped;
    this.connectTimeoutMs = opts.connectTimeoutMs;
    this.timeoutMs = opts.timeoutMs;
    this.keepAliveMs = opts.keepAliveMs ?? 30_000;
  }

  /** Connections open now (tests, metrics). */
  get connections(): number {
    return this.count;
  }

  /** Requests written and not yet answered, assigned or queued, and connections open (tests, diagnostics). */
  get stats(): { running: number; pending: number; connected: number } {
    let running = 0;
    let pending = this.queue.length;
    for (const c of this.all) {
      running += c.sent - c.detached;
      pending += c.reqs.length - c.sent;
    }
    return { running, pending, connected: this.count };
  }

  /** Sends one request (written at the end of this turn of the event loop); errors reach the handler's onResponseError. */
  dispatch(o: LeanDispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const method = o.method;
    const isHead = method === 'HEAD';
    const body = o.body !== null && o.body.length > 0 ? o.body : null;
    const reset = isHead || (body !== null && !expectsPayload(method));
    const solo = method !== 'GET' || body !== null || this.depth === 1;
    const r = new PipeRequest(this, handler, requestHead(method, o.path, o.headers, body, this.hostHeader), body, isHead, solo, reset,
      o.headersTimeout ?? this.timeoutMs, o.bodyTimeout ?? this.timeoutMs);
    if (this.closed) {
      r.state = DONE;
      handler.onResponseError?.(r as unknown as Controller, new SocketError('UND_ERR_CLOSED', 'the upstream pool is closed'));
      return false;
    }
    if (this.queue.length === 0) {
      const c = this.pick(r);
      if (c !== null) {
        c.assign(r);
        if (!r.solo) this.current = c;
        return true;
      }
    }
    this.queue.push(r);
    return true;
  }

  /** A connection for r now, or null (r waits in the queue). */
  private pick(r: PipeRequest): PipeConn | null {
    const cur = this.current;
    if (!r.solo && cur !== null && cur.accepts()) return cur;
    const idle = this.takeIdle();
    if (idle !== null) return idle;
    if (this.count < this.max && !this.closed) return this.open();
    if (r.solo) return null;
    let best: PipeConn | null = null;
    for (const c of this.all) if (c.accepts() && (best === null || c.reqs.length < best.reqs.length)) best = c;
    return best;
  }

  private takeIdle(): PipeConn | null {
    const idle = this.idle;
    const now = performance.now();
    while (idle.length > 0) {
      const c = idle.pop()!;
      c.idle = false;
      if (!c.destroyed && now - c.idleAt < c.keepAliveMs) return c;
      c.destroy(null);
    }
    return null;
  }

  private open(): PipeConn {
    const c = new PipeConn(this);
    this.count++;
    this.all.add(c);
    return c;
  }

  /** The upstream closed a connection with requests pipelined behind an answer: one request per connection from now on. */
  stopPipelining(reason: string): void {
    if (this.depth === 1) return;
    this.depth = 1;
    this.onPipeliningStopped?.(reason);
  }

  markDirty(c: PipeConn): void {
    if (!c.dirty) {
      c.dirty = true;
      this.dirty.push(c);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushNow);
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    this.current = null;
    const list = this.dirty.splice(0);
    for (const c of list) {
      c.dirty = false;
      c.write();
    }
  }

  unqueue(r: PipeRequest): void {
    const i = this.queue.indexOf(r);
    if (i !== -1) this.queue.splice(i, 1);
  }

  /** Requests a failed connection never wrote: first in line again, in their order. */
  requeue(rs: PipeRequest[]): void {
    for (const r of rs) r.state = QUEUED;
    this.queue.unshift(...rs);
    this.pump();
  }

  /** Places queued requests on connections while there are any for them. */
  private pump(): void {
    while (this.queue.length > 0) {
      const r = this.queue[0];
      const c = this.pick(r);
      if (c === null) return;
      this.queue.shift();
      c.assign(r);
      if (!r.solo) this.current = c;
    }
  }

  /** c has room again (an answer came): queued requests that may go on it do. */
  refill(c: PipeConn): void {
    const q = this.queue;
    while (q.length > 0) {
      const r = q[0];
      if (r.solo ? c.reqs.length > 0 || c.destroyed : !c.accepts()) return;
      q.shift();
      c.assign(r);
    }
  }

  /** c has nothing in flight: a queued request takes it, else it waits idle (or closes with the pool). */
  release(c: PipeConn): void {
    this.refill(c);
    if (c.reqs.length > 0 || c.destroyed) return;
    if (this.current === c) this.current = null;
    if (this.closed) {
      c.destroy(null);
      return;
    }
    if (!c.idle) {
      c.idle = true;
      this.idle.push(c);
    }
  }

  /** A connection closed: forget it, and open another for queued requests. */
  gone(c: PipeConn): void {
    if (!this.all.delete(c)) return;
    this.count--;
    if (c.idle) {
      c.idle = false;
      const i = this.idle.indexOf(c);
      if (i !== -1) this.idle.splice(i, 1);
    }
    if (this.current === c) this.current = null;
    if (this.queue.length > 0 && this.count < this.max) {
      const n = this.open();
      this.refill(n);
    }
    if (this.closed && this.count === 0) {
      const w = this.closeWaiters;
      this.closeWaiters = [];
      for (const f of w) f();
    }
  }

  /** Stops taking requests; queued and running ones finish, then every connection closes. */
  close(): Promise<void> {
    this.closed = true;
    for (const c of this.idle.splice(0)) {
      c.idle = false;
      c.destroy(null);
    }
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Closes every connection now; running and queued requests fail. */
  destroy(): Promise<void> {
    this.closed = true;
    const err = new SocketError('UND_ERR_DESTROYED', 'the upstream pool was destroyed');
    const queued = this.queue;
    this.queue = [];
    for (const r of queued) {
      r.state = DONE;
      r.handler.onResponseError?.(r as unknown as Controller, err);
    }
    for (const c of [...this.all]) c.destroy(err);
    // unwritten requests of those connections were queued again: they fail too
    const back = this.queue;
    this.queue = [];
    for (const r of back) {
      r.state = DONE;
      r.handler.onResponseError?.(r as unknown as Controller, err);
    }
    return this.close();
  }
}
