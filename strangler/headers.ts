/**
 * Request-side header handling (pure apart from random ids): request id,
 * W3C traceparent, x-forwarded-*, and removal of hop-by-hop headers that must
 * not be forwarded.
 */
import { randomFillSync } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { normaliseTarget, TARGET_PROBLEM_MESSAGES, type NormalisedTarget } from './table/normalize.ts';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT_RE = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
const REQUEST_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'proxy-authorization'];

export function isValidTraceparent(v: unknown): v is string {
  return typeof v === 'string' && v.length === 55 && TRACEPARENT_RE.test(v);
}

/** Takes a well-formed incoming request id or makes one. */
export function takeRequestId(headers: IncomingHttpHeaders): string {
  const incoming = headers['x-request-id'];
  if (typeof incoming === 'string' && REQUEST_ID_RE.test(incoming)) return incoming;
  return newRequestId();
}

/** Random bytes for request ids, refilled from the CSPRNG every 256 ids (what crypto.randomUUID does internally too). */
const ID_BYTES = 16;
const idPool = Buffer.allocUnsafe(ID_BYTES * 256);
let idAt = idPool.length;
/** The last id newRequestId made and its 32 hex digits (newTraceparent's trace id, without re-checking or re-formatting). */
let lastGeneratedId = '';
let lastGeneratedHex = '';
/** Buffer#hexSlice (node's own, untyped): hex without toString's argument handling. */
const hexSlice = (b: Buffer, start: number, end: number): string => (b as unknown as { hexSlice(s: number, e: number): string }).hexSlice(start, end);

/**
 * A random (version 4) UUID, the same format and 122 random bits as crypto.randomUUID: 16 bytes of a pooled
 * randomFillSync buffer with the version and variant bits set, hex-encoded once.
 */
export function newRequestId(): string {
  if (idAt === idPool.length) {
    randomFillSync(idPool);
    idAt = 0;
  }
  const o = idAt;
  idAt += ID_BYTES;
  idPool[o + 6] = (idPool[o + 6] & 0x0f) | 0x40;
  idPool[o + 8] = (idPool[o + 8] & 0x3f) | 0x80;
  const h = hexSlice(idPool, o, o + ID_BYTES);
  lastGeneratedHex = h;
  lastGeneratedId = h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  return lastGeneratedId;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const spanHigh = randomFillSync(Buffer.alloc(4)).readUInt32BE(0);
const spanHighHex = spanHigh.toString(16).padStart(8, '0');
let spanLow = randomFillSync(Buffer.alloc(4)).readUInt32BE(0);

/** Span ids: a random per-process high half and an incrementing low half (unique, non-zero, no bigint). */
function nextSpanId(): string {
  spanLow = (spanLow + 1) >>> 0;
  const lo = spanLow === 0 && spanHigh === 0 ? 1 : spanLow;
  return spanHighHex + lo.toString(16).padStart(8, '0');
}

/** A new traceparent; a generated (UUID) request id doubles as the trace id, so logs and traces line up. */
export function newTraceparent(requestId?: string): string {
  let trace: string;
  if (requestId !== undefined && requestId.length === 36 && requestId === lastGeneratedId) trace = lastGeneratedHex;
  else if (requestId !== undefined && requestId.length === 36 && UUID_RE.test(requestId)) trace = requestId.replaceAll('-', '');
  else {
    const id = lastGeneratedId;
    const hex = lastGeneratedHex;
    newRequestId();
    trace = lastGeneratedHex;
    // a fresh trace id is not a request id: the last generated one stays the one a later call may pass
    lastGeneratedId = id;
    lastGeneratedHex = hex;
  }
  return '00-' + trace + '-' + nextSpanId() + '-01';
}

/**
 * Prepares the incoming headers, in place, for forwarding: strips hop-by-hop
 * headers (and those named in Connection), sets x-request-id, keeps or creates
 * traceparent, appends the client to x-forwarded-for, sets x-forwarded-host/-proto (kept from a trusted proxy only).
 */
export function prepareForwardHeaders(headers: IncomingHttpHeaders, requestId: string, remoteAddress: string | undefined, encrypted: boolean, trustedPeer = false): void {
  const conn = headers.connection;
  if (conn !== undefined && conn !== 'keep-alive' && conn !== 'close') {
    for (const token of conn.split(',')) {
      const t = token.trim().toLowerCase();
      if (t && t !== 'keep-alive' && t !== 'close') delete headers[t];
    }
  }
  for (let i = 0; i < REQUEST_HOP.length; i++) if (headers[REQUEST_HOP[i]] !== undefined) delete headers[REQUEST_HOP[i]];
  headers['x-request-id'] = requestId;
  if (!isValidTraceparent(headers.traceparent)) {
    headers.traceparent = newTraceparent(requestId);
    if (headers.tracestate !== undefined) delete headers.tracestate;
  }
  const ip = remoteAddress ?? '';
  const xff = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = xff ? `${xff}, ${ip}` : ip;
  // a client's own x-forwarded-host/-proto would let it pose as another host behind a host-restricted route (an
  // upstream with `trust proxy` believes them): only a trusted proxy's values are kept
  if (!trustedPeer || headers['x-forwarded-host'] === undefined) {
    if (headers.host !== undefined) headers['x-forwarded-host'] = headers.host;
    else if (headers['x-forwarded-host'] !== undefined) delete headers['x-forwarded-host'];
  }
  if (!trustedPeer || headers['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = encrypted ? 'https' : 'http';
}

/**
 * A test for membership in a fixed list of lower-case header names, built once from the list: names are bucketed by
 * length, so most header names are rejected by one array index and none is hashed or copied (a hot-path check).
 */
export function headerNameMatcher(names: readonly string[]): (k: string) => boolean {
  const byLength: string[][] = [];
  for (const n of names) (byLength[n.length] ??= []).push(n);
  return (k) => {
    const bucket = byLength[k.length];
    if (bucket === undefined) return false;
    for (let i = 0; i < bucket.length; i++) if (bucket[i] === k) return true;
    return false;
  };
}

/** A request hop-by-hop header (REQUEST_HOP). */
const isRequestHop = headerNameMatcher(REQUEST_HOP);

/**
 * prepareForwardHeaders' result as a new object, without `delete` (which turns node's header object into a slow
 * dictionary that the upstream client then walks): the fields prepareForwardHeaders would delete are left out
 * while copying, then the same assignments run on the copy. Same fields, values and order; the facade assigns it
 * to `req.headers`.
 */
export function forwardHeaders(headers: IncomingHttpHeaders, requestId: string, remoteAddress: string | undefined, encrypted: boolean, trustedPeer = false): IncomingHttpHeaders {
  let named: string[] | null = null;
  const conn = headers.connection;
  if (conn !== undefined && conn !== 'keep-alive' && conn !== 'close') {
    for (const token of conn.split(',')) {
      const t = token.trim().toLowerCase();
      if (t && t !== 'keep-alive' && t !== 'close') (named ??= []).push(t);
    }
  }
  const kept = (k: string): boolean => !isRequestHop(k) && (named === null || !named.includes(k));
  // what prepareForwardHeaders would delete after its first step: tracestate (traceparent replaced), x-forwarded-host (no host)
  const dropTracestate = !isValidTraceparent(kept('traceparent') ? headers.traceparent : undefined);
  const dropForwardedHost = !trustedPeer && !(kept('host') && headers.host !== undefined);
  const out: IncomingHttpHeaders = {};
  for (const k in headers) {
    if (!kept(k)) continue;
    if (k.length === 10 && k === 'tracestate' && dropTracestate) continue;
    if (k.length === 16 && k === 'x-forwarded-host' && dropForwardedHost) continue;
    // an own `__proto__` field stays a field (a plain assignment would try to set the prototype)
    if (k.length === 9 && k === '__proto__') Object.defineProperty(out, k, { value: headers[k], enumerable: true, configurable: true, writable: true });
    else out[k] = headers[k];
  }
  prepareForwardHeaders(out, requestId, remoteAddress, encrypted, trustedPeer);
  return out;
}

export const MAX_URL_LENGTH = 8192;

/**
 * Checks the request target before matching; returns an error status + message, or null if fine.
 * The same rules as the normalisation the target is matched and forwarded with (table/normalize.ts):
 * no `#`, no `\` in the path, no malformed `%` escape, no dot segment (also `%2e`).
 */
export function checkRequestTarget(url: string | undefined): { status: number; code: string; message: string } | null {
  const t = checkedTarget(url);
  return 'status' in t ? t : null;
}

/** checkRequestTarget and normaliseTarget in one pass (the hot path): the error, or the normalised target. */
export function checkedTarget(url: string | undefined): { status: number; code: string; message: string } | NormalisedTarget {
  if (!url || url.charCodeAt(0) !== 47) return { status: 400, code: 'BAD_REQUEST', message: TARGET_PROBLEM_MESSAGES['not-absolute'] };
  if (url.length > MAX_URL_LENGTH) return { status: 414, code: 'URI_TOO_LONG', message: 'The request target is too long' };
  const target = normaliseTarget(url);
  return target.problem === null ? target : { status: 400, code: 'BAD_REQUEST', message: TARGET_PROBLEM_MESSAGES[target.problem] };
}

/**
 * Protocol checks before anything else (pure): only HTTP/1.x is served (→ 505), and a request must not carry more
 * than one Host header (→ 400; node keeps the first, an upstream or cache may take the last).
 */
export function checkProtocol(httpVersionMajor: number, rawHeaders: string[]): { status: number; code: string; message: string } | null {
  if (httpVersionMajor !== 1) return { status: 505, code: 'HTTP_VERSION_NOT_SUPPORTED', message: 'Only HTTP/1.0 and HTTP/1.1 are served on this port' };
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const k = rawHeaders[i];
    if (k.length === 4 && k.toLowerCase() === 'host' && ++hosts > 1) {
      return { status: 400, code: 'BAD_REQUEST', message: 'The request has more than one Host header' };
    }
  }
  return null;
}
