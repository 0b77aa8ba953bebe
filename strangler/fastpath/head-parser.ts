/**
 * The fast server leg's request-head parser (pure): accepts only the plainest HTTP/1.1 heads and says "hand
 * over" for everything else, so node:http keeps answering every unusual or malformed request exactly as before
 * (docs/facade.md "Fast server leg").
 *
 * Accepted: `GET|HEAD|DELETE|OPTIONS|POST|PUT|PATCH <origin-form target> HTTP/1.1` CRLF, at most
 * FAST_MAX_HEADERS header fields of token names and visible-ASCII values (SP/HTAB inside), each name once, a
 * Host header, no body (no Transfer-Encoding; Content-Length absent or exactly `0`), no Expect, no Upgrade,
 * Connection only `keep-alive` or `close`, every line ending in CRLF, the whole head within FAST_MAX_HEAD bytes
 * (half of node's 16 KiB header limit, so a head node would refuse is never taken here).
 * An incomplete head is checked as far as it goes: a prefix that cannot become an accepted head is handed over
 * at once (node answers garbage at once, not at the headers deadline).
 */

export const FAST_MAX_HEAD = 8192;
export const FAST_MAX_HEADERS = 64;

export interface FastHead {
  method: string;
  url: string;
  /** Lower-case names, values trimmed: what node:http's `req.headers` holds for such a head. */
  headers: Record<string, string>;
  /** Names as sent and values, alternating (node's `rawHeaders`). */
  rawHeaders: string[];
  keepAlive: boolean;
  /** Bytes of the head, blank line included. */
  length: number;
}

/** More bytes are needed. */
export const NEED_MORE = 0;
/** Not a head the fast leg serves: node:http gets the connection. */
export const HAND_OVER = 1;
export type HeadResult = FastHead | typeof NEED_MORE | typeof HAND_OVER;

const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1;
const METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'POST', 'PUT', 'PATCH']);
const VERSION = Buffer.from('HTTP/1.1\r\n', 'latin1');
const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;

const latin1 = (b: Buffer, s: number, e: number): string => (b as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(s, e);

/** Parses the head at the start of `buf`. */
export function parseHead(buf: Buffer): HeadResult {
  const n = Math.min(buf.length, FAST_MAX_HEAD);
  const over = buf.length >= FAST_MAX_HEAD;
  const more = over ? HAND_OVER : NEED_MORE;
  // method
  let p = 0;
  while (p < n && p < 8) {
    const c = buf[p];
    if (c === SP) break;
    if (c < 65 || c > 90) return HAND_OVER;
    p++;
  }
  if (p >= n) return more;
  if (buf[p] !== SP) return HAND_OVER;
  const method = latin1(buf, 0, p);
  if (!METHODS.has(method)) return HAND_OVER;
  // target: origin-form, visible ASCII
  const us = ++p;
  if (p >= n) return more;
  if (buf[p] !== 47) return HAND_OVER;
  while (p < n) {
    const c = buf[p];
    if (c === SP) break;
    if (c < 0x21 || c > 0x7e) return HAND_OVER;
    p++;
  }
  if (p >= n) return more;
  const url = latin1(buf, us, p);
  p++;
  for (let i = 0; i < VERSION.length; i++, p++) {
    if (p >= n) return more;
    if (buf[p] !== VERSION[i]) return HAND_OVER;
  }
  const headers: Record<string, string> = {};
  const rawHeaders: string[] = [];
  let keepAlive = true;
  let host = false;
  for (;;) {
    if (p >= n) return more;
    if (buf[p] === CR) {
      if (p + 1 >= n) return more;
      if (buf[p + 1] !== LF) return HAND_OVER;
      if (!host) return HAND_OVER;
      return { method, url, headers, rawHeaders, keepAlive, length: p + 2 };
    }
    if (rawHeaders.length >= FAST_MAX_HEADERS * 2) return HAND_OVER;
    const ns = p;
    while (p < n && TOKEN[buf[p]] === 1) p++;
    if (p >= n) return more;
    if (p === ns || buf[p] !== 58) return HAND_OVER;
    const ne = p++;
    while (p < n && (buf[p] === SP || buf[p] === HTAB)) p++;
    const vs = p;
    let ve = p;
    for (;;) {
      if (p >= n) return more;
      const c = buf[p];
      if (c === CR) break;
      if ((c < SP && c !== HTAB) || c > 0x7e) return HAND_OVER;
      p++;
      if (c !== SP && c !== HTAB) ve = p;
    }
    if (p + 1 >= n) return more;
    if (buf[p + 1] !== LF) return HAND_OVER;
    p += 2;
    const raw = latin1(buf, ns, ne);
    const name = raw.toLowerCase();
    const value = latin1(buf, vs, ve);
    if (Object.prototype.hasOwnProperty.call(headers, name) || name === '__proto__') return HAND_OVER;
    switch (name) {
      case 'host':
        host = true;
        break;
      case 'content-length':
        if (value !== '0') return HAND_OVER;
        break;
      case 'connection': {
        const v = value.toLowerCase();
        if (v === 'close') keepAlive = false;
        else if (v !== 'keep-alive') return HAND_OVER;
        break;
      }
      case 'transfer-encoding':
      case 'expect':
      case 'upgrade':
      case 'http2-settings':
        return HAND_OVER;
    }
    headers[name] = value;
    rawHeaders.push(raw, value);
  }
}
