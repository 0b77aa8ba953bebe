/**
 * The proxy engine: forwards one request to one upstream over that upstream's
 * lean client (relay/pool.ts: bodiless and buffered requests) or its keep-alive
 * undici Pool (streamed uploads and the rest), and streams the answer back with
 * backpressure. Both speak the same dispatch-handler interface. The facade calls
 * it directly (it is also the request pass of each upstream's
 * http-proxy-middleware instance, see upstreams.ts).
 *
 * Failure mapping: timeouts → 504, refused/reset/garbage → 502, both as the
 * JSON error shape with the request id; after the head went out, the client
 * connection is cut. Requests pass the upstream's Gate first (gate.ts): at most
 * `pool` are handed to undici, the rest wait with a deadline (→ 503 UPSTREAM_BUSY).
 * A client that goes away at any moment cancels its request: dropped from the
 * queue (never sent) or aborted upstream, which frees the pooled connection.
 * The response head is written with the first body byte (or the end), so an
 * upstream that breaks before that still gets the client a clean 502.
 * A client that stops reading (the response is paused waiting for `drain`, and
 * undici's body timer is stopped while paused) gets `drainTimeoutMs` without
 * progress (its connection taking none of the buffered bytes): then the
 * response is destroyed and the upstream request aborted. One timer, armed
 * only while paused and cleared on drain; a slow reader that still takes
 * bytes re-arms it instead of being cut.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { errorBody } from '../lib/errors.ts';
import type { Gate, Waiter } from './gate.ts';
import { headerNameMatcher } from './headers.ts';
import { leanEligible, type LeanPool } from './relay/pool.ts';

export const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate'];
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** `aborted`: the client left; `busy`: no pooled connection within the queue deadline; `body-timeout`: the client stopped sending its body. */
export type FailureKind = 'timeout' | 'refused' | 'reset' | 'protocol' | 'aborted' | 'busy' | 'body-timeout' | 'other';
/** Where a request was when its client left. */
export type AbortPhase = 'queued' | 'sending' | 'waiting' | 'receiving';
export const RETRY_AFTER_SECONDS = '1';
/** A paused response (the client reads nothing) is cut after this long without `drain`. */
export const DEFAULT_CLIENT_DRAIN_TIMEOUT_MS = 30_000;

export function classifyError(err: unknown): FailureKind {
  const code = String((err as { code?: unknown })?.code ?? '');
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND') return 'refused';
  if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return 'aborted';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') return 'reset';
  if (code.startsWith('HPE_') || code === 'UND_ERR_INFO' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') return 'protocol';
  return 'other';
}

/** Writes the standard JSON error, closing the connection when the request body may be unread. */
export function sendJsonError(res: ServerResponse, status: number, code: string, message: string, requestId: string, close = false, extra: Record<string, string> | null = null): void {
  if (res.headersSent || res.destroyed) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(code, message, requestId));
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId };
  if (close) headers.connection = 'close';
  if (extra !== null) for (const k in extra) headers[k] = extra[k];
  res.writeHead(status, headers);
  res.end(body);
}

export function failureStatus(kind: FailureKind): { status: number; code: string; message: string } {
  if (kind === 'timeout') return { status: 504, code: 'GATEWAY_TIMEOUT', message: 'The upstream service did not answer in time' };
  if (kind === 'busy') return { status: 503, code: 'UPSTREAM_BUSY', message: 'The upstream service is busy; try again shortly' };
  if (kind === 'body-timeout') return { status: 408, code: 'REQUEST_TIMEOUT', message: 'The request body stopped arriving' };
  return { status: 502, code: 'BAD_GATEWAY', message: kind === 'refused' ? 'The upstream service is unreachable' : 'The upstream service failed' };
}

export interface Capture {
  limit: number;
  chunks: Buffer[];
  size: number;
  truncated: boolean;
}

export interface ForwardTarget {
  name: string;
  pool: Dispatcher;
  /** The lean client (relay/pool.ts) for requests it can carry; null: everything goes through `pool` (undici). */
  lean: LeanPool | null;
  timeoutMs: number;
  /** Admission to the pool (null: straight to undici). */
  gate: Gate | null;
}

/** What the engine reports back for one forwarded request. */
export interface ForwardHooks {
  /** Response head from the upstream; return false to swallow it (fallback takes over). */
  onHead(status: number, headers: Record<string, string | string[] | undefined>): boolean;
  /**
   * Upstream answered fully (status), or failed (kind) before or during the response. Status 0: nothing reached
   * the client from the upstream (the engine answered the error itself, or the client left).
   */
  onDone(status: number, failure: FailureKind | null, capture: Capture | null): void;
  /** Failure before anything was sent to the client; return true if handled (fallback), else the engine answers 502/503/504. */
  onFailure(kind: FailureKind, err: unknown): boolean;
  /** The client left (once, before onDone with `aborted`). */
  onAbort?(phase: AbortPhase): void;
  /** Left the gate's queue after waiting `waitedMs`: admitted to the pool, or turned away at the deadline. */
  onQueueWait?(waitedMs: number): void;
  /** The client read nothing for the drain deadline; the response is cut (once, before onDone with `aborted`). */
  onStall?(stalledMs: number): void;
}

export interface ForwardRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** A buffered body, or the incoming request to stream, or null. */
  body: Buffer | IncomingMessage | null;
  requestId: string;
  /** Extra response headers (e.g. x-strangler-route). */
  extraHeaders: Record<string, string> | null;
  capture: Capture | null;
  /** Drain deadline for this response (default DEFAULT_CLIENT_DRAIN_TIMEOUT_MS). */
  drainTimeoutMs?: number;
}

const NEW = 0;
const QUEUED = 1;
const DISPATCHED = 2;
const STARTED = 3;
const RECEIVING = 4;
const DONE = 5;

/** A hop-by-hop response header (HOP_BY_HOP). */
const isHopByHop = headerNameMatcher(HOP_BY_HOP);

/** The response header to write: a flat [name, value, …] array (res.writeHead takes it without copying). */
export type RawHead = (string | string[])[];

/**
 * The response head for the client as one flat array, built in one pass over the upstream's headers: hop-by-hop
 * headers and those the upstream named in its Connection header left out, `x-request-id` and then `extra` set
 * (replacing an upstream value in its place, else appended). The same fields, values and order as deleting them
 * from the object and assigning the overrides (what it replaces), so the bytes on the wire are unchanged, but no
 * `delete` (which turns the header object into a slow dictionary) and no object for node to walk again.
 */
export function clientHead(headers: Record<string, string | string[] | undefined>, requestId: string, extra: Record<string, string> | null): RawHead {
  let named: string[] | null = null;
  const conn = headers.connection;
  if (conn !== undefined) {
    const list = Array.isArray(conn) ? conn.join(',') : conn;
    if (list.indexOf(',') !== -1 || (list !== 'keep-alive' && list !== 'close')) {
      for (const token of list.split(',')) {
        const t = token.trim().toLowerCase();
        if (t !== '' && t !== 'keep-alive' && t !== 'close') (named ??= []).push(t);
      }
    }
  }
  const out: RawHead = [];
  let idAt = -1;
  for (const k in headers) {
    if (isHopByHop(k) || (named !== null && named.includes(k))) continue;
    if (k.length === 12 && k === 'x-request-id') idAt = out.length;
    out.push(k, headers[k] as string | string[]);
  }
  if (idAt === -1) out.push('x-request-id', requestId);
  else out[idAt + 1] = requestId;
  if (extra !== null) {
    for (const k in extra) {
      let at = -1;
      for (let i = 0; i < out.length; i += 2) {
        if (out[i] === k) {
          at = i;
          break;
        }
      }
      if (at === -1) out.push(k, extra[k]);
      else out[at + 1] = extra[k];
    }
  }
  return out;
}

/** The forward a response belongs to (the latest one: a fallback takes over the response of the failed forward). */
const HANDLER = Symbol('strangler.forwardHandler');
/**
 * Set by a caller that already listens for the response's `close` and calls `responseClosed` from that listener
 * (connections.ts does, for every request it wraps): the engine then adds no listener of its own.
 */
export const CLOSE_RELAYED = Symbol('strangler.closeRelayed');
type HandledResponse = ServerResponse & { [HANDLER]?: ForwardHandler; [CLOSE_RELAYED]?: boolean };

/** The response closed: its forwards hear of it (for callers that set CLOSE_RELAYED). */
export function responseClosed(res: ServerResponse): void {
  const h = (res as HandledResponse)[HANDLER];
  if (h !== undefined) closeForwards(res, h);
}

/**
 * The one `close` listener of every proxied response (no closure per request): the client went away unless the
 * forward is done or the response was written completely. Attached once per response and never removed (a done
 * forward ignores it), so a request adds one listener and removes none.
 */
function onResponseClose(this: HandledResponse): void {
  const h = this[HANDLER];
  if (h !== undefined) closeForwards(this, h);
}

/**
 * Oldest forward first (the order their own listeners had): one still running behind a fallback hears of it too,
 * and is cancelled without counting — the client left once, and the forward answering it (the newest) counts it.
 */
function closeForwards(res: ServerResponse, h: ForwardHandler, newest = true): void {
  if (h.previous !== null) closeForwards(res, h.previous, false);
  if (h.state !== DONE && !res.writableFinished) h.clientLeft(newest);
}

export class ForwardHandler implements Dispatcher.DispatchHandler, Waiter {
  readonly res: ServerResponse;
  readonly fr: ForwardRequest;
  readonly hooks: ForwardHooks;
  readonly target: ForwardTarget;
  controller: Dispatcher.DispatchController | null = null;
  state = NEW;
  status = 0;
  swallowed = false;
  /** The final head is stored here until the first body byte (or the end) goes to the client. */
  pendingHead: RawHead | null = null;
  holdsSlot = false;
  upload = false;
  clientGone = false;
  /** The client's body stopped arriving and the 408 was sent; the upstream's answer is dropped. */
  timedOut = false;
  drainHooked = false;
  /** Armed while the response is paused waiting for `drain`. */
  drainTimer: NodeJS.Timeout | null = null;
  /** Bytes the response had buffered when last checked (with the writes since): less now means progress. */
  drainMark = 0;
  // Waiter fields (gate.ts)
  queuedAt = 0;
  nextWaiter: Waiter | null = null;
  dequeued = false;
  /** Made the first time the response pushes back (most responses never do). */
  onDrain: (() => void) | null = null;
  /** The forward this one took the response over from while that one was still running (a fallback), if any. */
  previous: ForwardHandler | null = null;

  constructor(target: ForwardTarget, res: ServerResponse, fr: ForwardRequest, hooks: ForwardHooks) {
    this.target = target;
    this.res = res;
    this.fr = fr;
    this.hooks = hooks;
  }

  /** Attaches the client-close listener (once per response), then takes a pool slot or queues for one. */
  start(): void {
    const res = this.res as HandledResponse;
    const prev = res[HANDLER];
    if (prev === undefined) {
      if (res[CLOSE_RELAYED] !== true) res.on('close', onResponseClose);
    } else if (prev.state !== DONE) this.previous = prev;
    res[HANDLER] = this;
    if (this.res.destroyed) {
      this.clientLeft();
      return;
    }
    const gate = this.target.gate;
    if (gate === null) {
      this.dispatch();
      return;
    }
    if (this.fr.body !== null && !(this.fr.body instanceof Buffer)) {
      this.upload = true;
      gate.uploads++;
    }
    if (gate.tryAcquire()) {
      this.holdsSlot = true;
      this.dispatch();
    } else {
      this.state = QUEUED;
      gate.enqueue(this);
    }
  }

  admit(waitedMs: number): void {
    this.holdsSlot = true;
    this.hooks.onQueueWait?.(waitedMs);
    this.dispatch();
  }

  expire(waitedMs: number): void {
    this.hooks.onQueueWait?.(waitedMs);
    this.fail('busy', new Error('no pooled connection within the queue deadline'));
  }

  private dispatch(): void {
    this.state = DISPATCHED;
    const fr = this.fr;
    const lean = this.target.lean;
    if (lean !== null && leanEligible(fr.method, fr.path, fr.headers, fr.body)) {
      lean.send(fr.method, fr.path, fr.headers, fr.body as Buffer | null, this.target.timeoutMs, this.target.timeoutMs, this);
      return;
    }
    try {
      this.target.pool.dispatch({
        method: fr.method as Dispatcher.HttpMethod,
        path: fr.path,
        headers: fr.headers as Record<string, string>,
        body: fr.body,
        headersTimeout: this.target.timeoutMs,
        bodyTimeout: this.target.timeoutMs,
      } as Dispatcher.DispatchOptions, this);
    } catch (err) {
      // invalid request head (e.g. a header undici refuses): answer, never crash
      this.onResponseError(null as unknown as Dispatcher.DispatchController, Object.assign(err as Error, { code: 'UND_ERR_INVALID_ARG' }));
    }
  }

  /**
   * The client went away: cancel wherever the request is. `count`: this forward answers the client, so the abort
   * is counted here, by its phase (false for one a fallback replaced: the same client must not count twice).
   */
  clientLeft(count = true): void {
    if (this.clientGone || this.state === DONE) return;
    this.clientGone = true;
    const s = this.state;
    const body = this.fr.body;
    const phase: AbortPhase = s <= DISPATCHED ? 'queued' : s === RECEIVING ? 'receiving'
      : body !== null && !(body instanceof Buffer) && !(body as IncomingMessage).complete ? 'sending' : 'waiting';
    if (count) this.hooks.onAbort?.(phase);
    if (s === QUEUED) {
      this.target.gate!.cancel(this);
      this.end();
      this.hooks.onDone(0, 'aborted', null);
    } else if (s === NEW) {
      this.end();
      this.hooks.onDone(0, 'aborted', null);
    } else if (this.controller !== null) this.controller.abort(new ClientAbort());
    // DISPATCHED without a controller: onRequestStart aborts it before anything is written
  }

  /** The client stopped sending its body: answer 408 (or cut) and abort the upstream request. */
  bodyTimeout(): void {
    if (this.state === DONE || this.clientGone) return;
    const res = this.res;
    if (this.state === QUEUED) {
      this.target.gate!.cancel(this);
      this.fail('body-timeout', new BodyTimeout());
      return;
    }
    if (this.controller === null) {
      this.clientGone = true; // aborted in onRequestStart
      return;
    }
    const controller = this.controller;
    if (this.pendingHead !== null || !res.headersSent) {
      this.swallowed = true;
      this.timedOut = true;
      this.pendingHead = null;
      const f = failureStatus('body-timeout');
      sendJsonError(res, f.status, f.code, f.message, this.fr.requestId, true, this.fr.extraHeaders);
      // abort once the 408 is out: undici's abort destroys the request stream, and with it the socket
      if (res.writableFinished) controller.abort(new BodyTimeout());
      else res.once('finish', () => controller.abort(new BodyTimeout()));
    } else {
      controller.abort(new BodyTimeout());
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    this.state = STARTED;
    // a client that left while this waited inside undici: abort before a byte is written
    if (this.clientGone || this.res.destroyed) {
      this.clientGone = true;
      controller.abort(new ClientAbort());
    }
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    if (status < 200) {
      // 1xx: never the final answer. Early hints are relayed, the others dropped.
      const res = this.res;
      if (status === 103 && !this.swallowed && headers.link !== undefined && !res.headersSent && !res.destroyed) {
        try {
          res.writeEarlyHints({ link: headers.link });
        } catch {
          // a malformed link header: drop the hint
        }
      }
      return;
    }
    if (this.timedOut) return;
    this.state = RECEIVING;
    this.status = status;
    if (!this.hooks.onHead(status, headers)) {
      this.swallowed = true;
      return;
    }
    if (this.res.destroyed) {
      this.clientGone = true;
      controller.abort(new ClientAbort());
      return;
    }
    this.pendingHead = clientHead(headers, this.fr.requestId, this.fr.extraHeaders);
  }

  private writeHead(): void {
    const headers = this.pendingHead!;
    this.pendingHead = null;
    const res = this.res;
    if (res.headersSent || res.destroyed) return;
    try {
      res.writeHead(this.status, headers);
    } catch {
      res.destroy();
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.swallowed) return;
    const cap = this.fr.capture;
    if (cap !== null && !cap.truncated) {
      if (cap.size + chunk.length > cap.limit) cap.truncated = true;
      else {
        cap.chunks.push(chunk);
        cap.size += chunk.length;
      }
    }
    if (this.pendingHead !== null) this.writeHead();
    const res = this.res;
    if (res.destroyed) {
      // never pause on a destroyed response: nothing would ever resume it
      this.clientLeft();
      return;
    }
    const ok = res.write(chunk);
    if (this.drainTimer !== null) this.drainMark += chunk.length;
    if (!ok) {
      controller.pause();
      if (!this.drainHooked) {
        this.drainHooked = true;
        this.onDrain = () => {
          if (this.drainTimer !== null) {
            clearTimeout(this.drainTimer);
            this.drainTimer = null;
          }
          this.controller?.resume();
        };
        res.on('drain', this.onDrain);
      }
      if (this.drainTimer === null) this.armDrainTimer();
    }
  }

  private armDrainTimer(): void {
    const ms = this.fr.drainTimeoutMs ?? DEFAULT_CLIENT_DRAIN_TIMEOUT_MS;
    this.drainMark = this.res.writableLength;
    this.drainTimer = setTimeout(() => this.stalled(ms), ms);
    this.drainTimer.unref();
  }

  /** No `drain` within the deadline: unless the client took some bytes meanwhile, cut it and abort the upstream request (frees the pooled connection). */
  private stalled(ms: number): void {
    this.drainTimer = null;
    if (this.state === DONE || this.clientGone) return;
    if (!this.res.destroyed && this.res.writableLength < this.drainMark) {
      this.armDrainTimer(); // a slow reader, not a stalled one
      return;
    }
    this.clientGone = true;
    this.hooks.onStall?.(ms);
    this.res.destroy();
    this.controller?.abort(new ClientStall());
  }

  onResponseEnd(): void {
    this.end();
    if (this.timedOut) {
      this.hooks.onDone(408, 'body-timeout', null);
      return;
    }
    if (this.swallowed) {
      this.hooks.onDone(this.status, null, null);
      return;
    }
    if (this.pendingHead !== null) this.writeHead();
    this.res.end();
    this.hooks.onDone(this.status, null, this.fr.capture);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    const kind: FailureKind = err instanceof ClientAbort || err instanceof ClientStall ? 'aborted' : err instanceof BodyTimeout ? 'body-timeout' : classifyError(err);
    this.fail(kind, err);
  }

  private fail(kind: FailureKind, err: unknown): void {
    if (this.state === DONE) return;
    this.end();
    if (kind === 'body-timeout' || this.timedOut) {
      if (!this.timedOut) {
        const f = failureStatus('body-timeout');
        if (!this.res.headersSent) sendJsonError(this.res, f.status, f.code, f.message, this.fr.requestId, true, this.fr.extraHeaders);
        else this.res.destroy();
      }
      this.hooks.onDone(408, 'body-timeout', null);
      return;
    }
    if (this.swallowed || kind === 'aborted') {
      this.hooks.onDone(kind === 'aborted' ? 0 : this.status, kind, null);
      return;
    }
    // nothing reached the client yet (no head, or a head still held back): answer cleanly, or let the fallback answer
    if (this.pendingHead !== null || this.status === 0) {
      this.pendingHead = null;
      if (this.hooks.onFailure(kind, err)) return;
      this.hooks.onDone(0, kind, null);
      const f = failureStatus(kind);
      const streamed = this.fr.body !== null && !(this.fr.body instanceof Buffer);
      let extra = this.fr.extraHeaders;
      if (kind === 'busy') extra = { ...extra, 'retry-after': RETRY_AFTER_SECONDS };
      sendJsonError(this.res, f.status, f.code, f.message, this.fr.requestId, streamed, extra);
      return;
    }
    this.hooks.onDone(this.status, kind, null);
    this.res.destroy();
  }

  /** Done with undici and the pool slot: detach from the response, give the slot and upload count back. */
  private end(): void {
    this.state = DONE; // the response's close listener stays, and ignores a done forward
    if (this.onDrain !== null) this.res.removeListener('drain', this.onDrain);
    if (this.drainTimer !== null) {
      clearTimeout(this.drainTimer);
      this.drainTimer = null;
    }
    const gate = this.target.gate;
    if (gate !== null) {
      if (this.upload) {
        this.upload = false;
        gate.uploads--;
      }
      if (this.holdsSlot) {
        this.holdsSlot = false;
        gate.release();
      }
    }
  }
}

class ClientAbort extends Error {
  constructor() {
    super('client closed the connection');
    this.name = 'ClientAbort';
  }
}

class ClientStall extends Error {
  constructor() {
    super('client did not read its response within the drain deadline');
    this.name = 'ClientStall';
  }
}

export class BodyTimeout extends Error {
  constructor() {
    super('the request body stopped arriving');
    this.name = 'BodyTimeout';
  }
}

/** Forwards one request; returns its handler (to cancel it or time its body out). */
export function forward(target: ForwardTarget, res: ServerResponse, fr: ForwardRequest, hooks: ForwardHooks): ForwardHandler {
  const handler = new ForwardHandler(target, res, fr, hooks);
  handler.start();
  return handler;
}

export function newCapture(limit: number): Capture {
  return { limit, chunks: [], size: 0, truncated: false };
}
