/**
 * The proxy engine: forwards one request to one upstream over that upstream's
 * keep-alive undici Pool and streams the answer back with backpressure.
 * It is installed as the request pass of each upstream's http-proxy-middleware
 * instance (see upstreams.ts), and called directly for fallbacks.
 *
 * Failure mapping: timeouts → 504, refused/reset/garbage → 502, both as the
 * JSON error shape with the request id; after headers were sent, the client
 * connection is cut. A client that goes away aborts the upstream request, so
 * its socket is freed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { errorBody } from '../lib/errors.ts';

export const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate'];
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

export type FailureKind = 'timeout' | 'refused' | 'reset' | 'protocol' | 'aborted' | 'other';

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
  timeoutMs: number;
}

/** What the engine reports back for one forwarded request. */
export interface ForwardHooks {
  /** Response head from the upstream; return false to swallow it (fallback takes over). */
  onHead(status: number, headers: Record<string, string | string[] | undefined>): boolean;
  /** Upstream answered fully (status), or failed (kind) before or during the response. */
  onDone(status: number, failure: FailureKind | null, capture: Capture | null): void;
  /** Failure before any response head; return true if handled (fallback), else the engine answers 502/504. */
  onFailure(kind: FailureKind, err: unknown): boolean;
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
}

class ForwardHandler implements Dispatcher.DispatchHandler {
  res: ServerResponse;
  fr: ForwardRequest;
  hooks: ForwardHooks;
  controller: Dispatcher.DispatchController | null = null;
  status = 0;
  swallowed = false;
  finished = false;
  onClose: () => void;
  onDrain: () => void;

  constructor(res: ServerResponse, fr: ForwardRequest, hooks: ForwardHooks) {
    this.res = res;
    this.fr = fr;
    this.hooks = hooks;
    this.onClose = () => {
      if (!this.finished && this.controller !== null && !this.res.writableFinished) this.controller.abort(new ClientAbort());
    };
    this.onDrain = () => this.controller?.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    this.res.once('close', this.onClose);
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = status;
    if (!this.hooks.onHead(status, headers)) {
      this.swallowed = true;
      return;
    }
    for (let i = 0; i < HOP_BY_HOP.length; i++) delete headers[HOP_BY_HOP[i]];
    headers['x-request-id'] = this.fr.requestId;
    const extra = this.fr.extraHeaders;
    if (extra !== null) for (const k in extra) headers[k] = extra[k];
    const res = this.res;
    if (res.headersSent || res.destroyed) return;
    try {
      res.writeHead(status, headers as Record<string, string | string[]>);
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
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', this.onDrain);
    }
  }

  onResponseEnd(): void {
    this.finished = true;
    this.res.removeListener('close', this.onClose);
    if (this.swallowed) {
      this.hooks.onDone(this.status, null, null);
      return;
    }
    this.res.end();
    this.hooks.onDone(this.status, null, this.fr.capture);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.finished = true;
    this.res.removeListener('close', this.onClose);
    const kind = err instanceof ClientAbort ? 'aborted' : classifyError(err);
    if (this.swallowed) {
      this.hooks.onDone(this.status, kind, null);
      return;
    }
    if (kind !== 'aborted' && this.status === 0 && this.hooks.onFailure(kind, err)) return;
    this.hooks.onDone(this.status, kind, null);
    if (kind === 'aborted') return;
    if (this.status === 0) {
      const f = failureStatus(kind);
      sendJsonError(this.res, f.status, f.code, f.message, this.fr.requestId, this.fr.body !== null && !(this.fr.body instanceof Buffer), this.fr.extraHeaders);
    } else this.res.destroy();
  }
}

class ClientAbort extends Error {
  constructor() {
    super('client closed the connection');
    this.name = 'ClientAbort';
  }
}

export function forward(target: ForwardTarget, res: ServerResponse, fr: ForwardRequest, hooks: ForwardHooks): void {
  const handler = new ForwardHandler(res, fr, hooks);
  try {
    target.pool.dispatch({
      method: fr.method as Dispatcher.HttpMethod,
      path: fr.path,
      headers: fr.headers as Record<string, string>,
      body: fr.body,
      headersTimeout: target.timeoutMs,
      bodyTimeout: target.timeoutMs,
    } as Dispatcher.DispatchOptions, handler);
  } catch (err) {
    // invalid request head (e.g. a header undici refuses): answer, never crash
    handler.onResponseError(null as unknown as Dispatcher.DispatchController, Object.assign(err as Error, { code: 'UND_ERR_INVALID_ARG' }));
  }
}

export function newCapture(limit: number): Capture {
  return { limit, chunks: [], size: 0, truncated: false };
}
