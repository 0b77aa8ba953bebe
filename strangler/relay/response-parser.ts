/**
 * The lean upstream client's HTTP/1.1 response parser (docs/facade.md "Lean upstream client"): incremental,
 * over the socket's own Buffers, body bytes handed on as views of them (no copy). It faces upstreams only, but
 * it is strict about framing, because a response it mis-frames would hand one upstream answer's bytes to the
 * next request on the same connection (response splitting/smuggling):
 *
 * - the head must end within MAX_HEAD_BYTES (16 KiB, node's and undici's default), lines end in CRLF only,
 *   no obs-fold, header names are tokens with no space before the colon, values carry no control character
 *   but HTAB;
 * - Transfer-Encoding and Content-Length together, Transfer-Encoding other than exactly `chunked`, more than
 *   one Transfer-Encoding, Content-Length that is not plain digits, and more than one Content-Length (as
 *   llhttp does, even equal ones) are rejected;
 * - chunk sizes are 1–13 hex digits (no sign, no space, no overflow), each chunk's data ends in CRLF, trailers
 *   are bounded like the head and dropped (the engine never relays them);
 * - 101 (nobody asked to switch protocols) is rejected; other 1xx heads are reported and parsing goes on.
 *
 * Every rejection is a ProtocolError whose code starts with `HPE_` (engine.ts classifies it as `protocol`
 * → 502). Bodies: none for HEAD, 204, 304; Content-Length; chunked; else until the connection closes.
 */

export const MAX_HEAD_BYTES = 16 * 1024;
/** 13 hex digits: 2^52, below Number.MAX_SAFE_INTEGER. */
const MAX_CHUNK_SIZE_DIGITS = 13;

export class ProtocolError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

export type Headers = Record<string, string | string[]>;

export interface ParserEvents {
  /** A 1xx head (not 101): informational, the final head follows. */
  onInfo(status: number, headers: Headers): void;
  /** The final head. */
  onHead(status: number, headers: Headers): void;
  /** Body bytes: a view of the socket's buffer, valid as long as the caller keeps it. */
  onBody(chunk: Buffer): void;
  /** The message is complete (not called for close-delimited bodies: see `endOfInput`). */
  onComplete(): void;
  /** After each body event: stop parsing (paused or aborted); `execute` returns the offset reached. Completion is reported even when paused. */
  stopped(): boolean;
}

const S_HEAD = 0;
const S_LENGTH = 1;
const S_CHUNK_SIZE = 2;
const S_CHUNK_EXT = 3;
const S_CHUNK_SIZE_LF = 4;
const S_CHUNK_DATA = 5;
const S_CHUNK_DATA_CR = 6;
const S_CHUNK_DATA_LF = 7;
const S_TRAILERS = 8;
const S_EOF = 9;
const S_DONE = 10;

const CR = 13;
const LF = 10;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/** RFC 9110 tchar. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TOKEN[c] = 1;
for (let c = 65; c <= 90; c++) TOKEN[c] = 1;
for (let c = 97; c <= 122; c++) TOKEN[c] = 1;
/** Allowed in a field value or reason phrase: HTAB, SP, VCHAR, obs-text. */
const VALUE = new Uint8Array(256);
VALUE[9] = 1;
for (let c = 32; c < 127; c++) VALUE[c] = 1;
for (let c = 128; c < 256; c++) VALUE[c] = 1;
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}

/** Interned lower-case names of the headers most responses carry (no string made per header for these). */
const KNOWN = new Map<string, string>();
for (const n of ['content-type', 'content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'etag', 'cache-control',
  'vary', 'server', 'set-cookie', 'location', 'last-modified', 'x-powered-by', 'content-encoding', 'expires', 'access-control-allow-origin']) {
  KNOWN.set(n, n);
  KNOWN.set(n.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase()), n);
}

/** Buffer#latin1Slice (node's own, untyped): a string from bytes without toString's argument handling. */
const latin1 = (b: Buffer, start: number, end: number): string => (b as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(start, end);

function fail(code: string, message: string): never {
  throw new ProtocolError(code, message);
}

/** JS `\s` within latin1: HTAB, LF, VT, FF, CR, SP, NBSP. */
function isSpace(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 32 || c === 160;
}

/**
 * `Keep-Alive: timeout=N` in ms, else -1: the first `timeout` (any case) at the start or after a comma or space,
 * then optional spaces, `=`, optional spaces and 1–9 digits (the first 9 of a longer run) — what
 * `/(?:^|[,\s])timeout\s*=\s*(\d{1,9})/i` matches, without a regex per response.
 */
export function keepAliveTimeout(value: string): number {
  const v = value.toLowerCase();
  for (let p = v.indexOf('timeout'); p !== -1; p = v.indexOf('timeout', p + 1)) {
    if (p > 0) {
      const before = v.charCodeAt(p - 1);
      if (before !== 44 && !isSpace(before)) continue;
    }
    let i = p + 7;
    while (i < v.length && isSpace(v.charCodeAt(i))) i++;
    if (v.charCodeAt(i) !== 61 /* = */) continue;
    i++;
    while (i < v.length && isSpace(v.charCodeAt(i))) i++;
    let n = 0;
    let digits = 0;
    while (digits < 9 && i < v.length) {
      const d = v.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
      digits++;
      i++;
    }
    if (digits > 0) return n * 1000;
  }
  return -1;
}

export class ResponseParser {
  private state = S_HEAD;
  /** The request was HEAD: no response body whatever the head says. */
  private noBody = false;
  /** Bytes of an unfinished head (or trailer section) kept from earlier chunks. */
  private pending: Buffer | null = null;
  private remaining = 0;
  private sizeDigits = 0;
  private trailerBytes = 0;
  /** Trailer section: bytes since the last CRLF (0 at a line start). */
  private trailerLine = 0;
  status = 0;
  /** The connection can carry another request after this response (HTTP/1.1 without `close`, 1.0 with keep-alive, framed body). */
  keepAlive = true;
  /** From `Keep-Alive: timeout=N` (ms), else -1. */
  keepAliveHintMs = -1;
  /** The final head was parsed. */
  headDone = false;
  private readonly ev: ParserEvents;

  constructor(ev: ParserEvents) {
    this.ev = ev;
  }

  /** Ready for the response to a new request. */
  reset(head: boolean): void {
    this.state = S_HEAD;
    this.noBody = head;
    this.pending = null;
    this.status = 0;
    this.keepAlive = true;
    this.keepAliveHintMs = -1;
    this.headDone = false;
    this.trailerBytes = 0;
    this.trailerLine = 0;
  }

  get done(): boolean {
    return this.state === S_DONE;
  }

  /** The body runs until the connection closes. */
  get closeDelimited(): boolean {
    return this.state === S_EOF;
  }

  /** Waiting for (more of) a head. */
  get inHead(): boolean {
    return this.state === S_HEAD;
  }

  /**
   * Parses `buf` from `start`; returns the offset reached: `buf.length` unless the message completed (the
   * rest is not this response's) or `stopped()` turned true. Throws ProtocolError.
   */
  execute(buf: Buffer, start: number): number {
    let i = start;
    const len = buf.length;
    const ev = this.ev;
    while (i < len) {
      switch (this.state) {
        case S_HEAD: {
          let b = buf;
          let from = i;
          if (this.pending !== null) {
            b = Buffer.concat([this.pending, buf.subarray(i)]);
            from = 0;
          }
          const scanFrom = this.pending !== null ? Math.max(0, this.pending.length - 3) : from;
          const end = b.indexOf(HEAD_END, scanFrom);
          if (end === -1) {
            if (b.length - from > MAX_HEAD_BYTES) fail('HPE_HEADER_OVERFLOW', 'response head larger than 16 KiB');
            this.pending = from === 0 && b !== buf ? b : Buffer.from(b.subarray(from));
            return len;
          }
          if (end + 4 - from > MAX_HEAD_BYTES) fail('HPE_HEADER_OVERFLOW', 'response head larger than 16 KiB');
          const consumed = this.pending !== null ? end + 4 - this.pending.length : end + 4 - from;
          this.pending = null;
          this.parseHead(b, from, end);
          i += consumed;
          if ((this.state as number) === S_DONE || ev.stopped()) return i;
          break;
        }
        case S_LENGTH: {
          const n = Math.min(this.remaining, len - i);
          this.remaining -= n;
          const chunk = i === 0 && n === len ? buf : buf.subarray(i, i + n);
          i += n;
          if (this.remaining === 0) this.state = S_DONE;
          ev.onBody(chunk);
          if (this.state === S_DONE) {
            ev.onComplete();
            return i;
          }
          if (ev.stopped()) return i;
          break;
        }
        case S_EOF: {
          ev.onBody(i === 0 ? buf : buf.subarray(i));
          return len;
        }
        case S_CHUNK_SIZE: {
          const c = buf[i];
          const h = HEX[c];
          if (h !== -1) {
            if (++this.sizeDigits > MAX_CHUNK_SIZE_DIGITS) fail('HPE_INVALID_CHUNK_SIZE', 'chunk size too large');
            this.remaining = this.remaining * 16 + h;
            i++;
          } else if (this.sizeDigits === 0) fail('HPE_INVALID_CHUNK_SIZE', 'chunk size missing or malformed');
          else if (c === CR) {
            this.state = S_CHUNK_SIZE_LF;
            i++;
          } else if (c === 59 /* ; */) {
            this.state = S_CHUNK_EXT;
            i++;
          } else fail('HPE_INVALID_CHUNK_SIZE', 'malformed chunk size');
          break;
        }
        case S_CHUNK_EXT: {
          // chunk extensions are ignored, but bounded and free of control characters
          const c = buf[i];
          if (c === CR) this.state = S_CHUNK_SIZE_LF;
          else if (VALUE[c] !== 1) fail('HPE_INVALID_CHUNK_SIZE', 'control character in a chunk extension');
          else if (++this.trailerBytes > MAX_HEAD_BYTES) fail('HPE_CHUNK_EXTENSIONS_OVERFLOW', 'chunk extensions too long');
          i++;
          break;
        }
        case S_CHUNK_SIZE_LF: {
          if (buf[i] !== LF) fail('HPE_INVALID_CHUNK_SIZE', 'chunk size line not ended by CRLF');
          i++;
          this.trailerBytes = 0;
          if (this.remaining === 0) {
            this.state = S_TRAILERS;
            this.trailerLine = 0;
            this.trailerColon = false;
          } else this.state = S_CHUNK_DATA;
          break;
        }
        case S_CHUNK_DATA: {
          const n = Math.min(this.remaining, len - i);
          this.remaining -= n;
          const chunk = buf.subarray(i, i + n);
          i += n;
          if (this.remaining === 0) this.state = S_CHUNK_DATA_CR;
          ev.onBody(chunk);
          if (ev.stopped()) return i;
          break;
        }
        case S_CHUNK_DATA_CR: {
          if (buf[i] !== CR) fail('HPE_INVALID_CHUNK_SIZE', 'chunk data not followed by CRLF');
          this.state = S_CHUNK_DATA_LF;
          i++;
          break;
        }
        case S_CHUNK_DATA_LF: {
          if (buf[i] !== LF) fail('HPE_INVALID_CHUNK_SIZE', 'chunk data not followed by CRLF');
          this.state = S_CHUNK_SIZE;
          this.sizeDigits = 0;
          this.remaining = 0;
          i++;
          break;
        }
        case S_TRAILERS: {
          // field lines until an empty one; dropped (the engine relays no trailers), bounded, CRLF only, token names
          const c = buf[i];
          i++;
          if (++this.trailerBytes > MAX_HEAD_BYTES) fail('HPE_HEADER_OVERFLOW', 'trailers larger than 16 KiB');
          const t = this.trailerLine;
          if (t === -1) {
            if (c !== LF) fail('HPE_LF_EXPECTED', 'trailer line not ended by CRLF');
            if (this.trailerEmptyLine) {
              this.state = S_DONE;
              ev.onComplete();
              return i;
            }
            this.trailerLine = 0;
            this.trailerColon = false;
          } else if (c === CR) {
            if (t !== 0 && !this.trailerColon) fail('HPE_INVALID_HEADER_TOKEN', 'trailer line without a colon');
            this.trailerEmptyLine = t === 0;
            this.trailerLine = -1;
          } else if (this.trailerColon) {
            if (VALUE[c] !== 1) fail('HPE_INVALID_HEADER_TOKEN', 'control character in a trailer value');
            this.trailerLine++;
          } else if (c === 58 && t > 0) {
            this.trailerColon = true;
            this.trailerLine++;
          } else if (TOKEN[c] !== 1) fail('HPE_INVALID_HEADER_TOKEN', 'invalid character in a trailer name');
          else this.trailerLine++;
          break;
        }
        default:
          // S_DONE: bytes after the message belong to no request
          return i;
      }
    }
    return i;
  }

  private trailerEmptyLine = false;
  private trailerColon = false;

  /** The connection ended: completes a close-delimited body, else false (the message was cut short). */
  endOfInput(): boolean {
    if (this.state === S_EOF) {
      this.state = S_DONE;
      return true;
    }
    return this.state === S_DONE;
  }

  /** Parses the head in b[from, end) (end: the index of the CRLFCRLF), sets the body state and reports it. */
  private parseHead(b: Buffer, from: number, end: number): void {
    // status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF
    if (end - from < 12 || b[from] !== 72 || b[from + 1] !== 84 || b[from + 2] !== 84 || b[from + 3] !== 80 || b[from + 4] !== 47
      || b[from + 5] !== 49 || b[from + 6] !== 46 || (b[from + 7] !== 49 && b[from + 7] !== 48) || b[from + 8] !== 32) {
      fail('HPE_INVALID_CONSTANT', 'not an HTTP/1.x status line');
    }
    const minor = b[from + 7] - 48;
    const d0 = b[from + 9] - 48;
    const d1 = b[from + 10] - 48;
    const d2 = b[from + 11] - 48;
    if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) fail('HPE_INVALID_STATUS', 'malformed status code');
    const status = d0 * 100 + d1 * 10 + d2;
    let i = from + 12;
    if (b[i] === 32) {
      i++;
      while (b[i] !== CR) {
        if (VALUE[b[i]] !== 1) fail('HPE_INVALID_STATUS', 'control character in the reason phrase');
        i++;
      }
    } else if (b[i] !== CR) fail('HPE_INVALID_STATUS', 'malformed status line');
    if (b[i + 1] !== LF) fail('HPE_LF_EXPECTED', 'status line not ended by CRLF');
    i += 2;

    // the head as one string (one native call), names and values sliced from it
    const text = latin1(b, from, end);
    const headers: Headers = {};
    let contentLength = -1;
    let chunked = false;
    let sawTe = false;
    let connClose = false;
    let connKeepAlive = false;
    let hint = -1;
    // header lines: name ":" OWS value OWS CRLF, up to `end` (the last line's CRLF is the head terminator's first half)
    const stop = end + 2;
    while (i < stop) {
      const nameStart = i;
      let upper = false;
      while (b[i] !== 58 /* : */) {
        const c = b[i];
        if (TOKEN[c] !== 1) fail('HPE_INVALID_HEADER_TOKEN', 'invalid character in a header name');
        if (c >= 65 && c <= 90) upper = true;
        i++;
      }
      if (i === nameStart) fail('HPE_INVALID_HEADER_TOKEN', 'empty header name');
      const nameEnd = i;
      i++;
      while (b[i] === 32 || b[i] === 9) i++;
      const valueStart = i;
      let valueEnd = i;
      for (;;) {
        const c = b[i];
        if (c === CR) break;
        if (VALUE[c] !== 1) fail('HPE_INVALID_HEADER_TOKEN', 'control character in a header value');
        i++;
        if (c !== 32 && c !== 9) valueEnd = i;
      }
      if (b[i + 1] !== LF) fail('HPE_LF_EXPECTED', 'header line not ended by CRLF');
      i += 2;
      const raw = text.slice(nameStart - from, nameEnd - from);
      let name = KNOWN.get(raw);
      if (name === undefined) name = upper ? raw.toLowerCase() : raw;
      const value = text.slice(valueStart - from, valueEnd - from);
      const len = name.length;
      if (len === 14 && name === 'content-length') {
        let n = 0;
        if (value.length === 0 || value.length > 15) fail('HPE_INVALID_CONTENT_LENGTH', 'malformed Content-Length');
        for (let k = 0; k < value.length; k++) {
          const c = value.charCodeAt(k) - 48;
          if (c < 0 || c > 9) fail('HPE_INVALID_CONTENT_LENGTH', 'malformed Content-Length');
          n = n * 10 + c;
        }
        // like llhttp: a second Content-Length is refused even when equal (differing ones are the smuggling vector)
        if (contentLength !== -1) fail('HPE_UNEXPECTED_CONTENT_LENGTH', 'more than one Content-Length header');
        contentLength = n;
      } else if (len === 17 && name === 'transfer-encoding') {
        if (sawTe) fail('HPE_INVALID_TRANSFER_ENCODING', 'more than one Transfer-Encoding header');
        sawTe = true;
        if (value.length !== 7 || value.toLowerCase() !== 'chunked') fail('HPE_INVALID_TRANSFER_ENCODING', 'Transfer-Encoding other than chunked');
        chunked = true;
      } else if (len === 10 && name === 'connection') {
        if (value.length === 5 && value.toLowerCase() === 'close') connClose = true;
        else if (value.length === 10 && value.toLowerCase() === 'keep-alive') connKeepAlive = true;
        else {
          for (const t of value.toLowerCase().split(',')) {
            const tt = t.trim();
            if (tt === 'close') connClose = true;
            else if (tt === 'keep-alive') connKeepAlive = true;
          }
        }
      } else if (len === 10 && name === 'keep-alive') {
        hint = keepAliveTimeout(value);
      }
      const prev = headers[name];
      if (prev === undefined || !Object.hasOwn(headers, name)) {
        // a plain object like undici's; `__proto__` becomes an own field, never the prototype
        if (name === '__proto__') Object.defineProperty(headers, name, { value, enumerable: true, configurable: true, writable: true });
        else headers[name] = value;
      } else if (typeof prev === 'string') headers[name] = [prev, value];
      else prev.push(value);
    }
    if (sawTe && contentLength !== -1) fail('HPE_UNEXPECTED_CONTENT_LENGTH', 'both Content-Length and Transfer-Encoding');

    if (status < 200) {
      if (status === 101) fail('HPE_INVALID_STATUS', '101 Switching Protocols without an upgrade request');
      this.ev.onInfo(status, headers);
      return; // state stays S_HEAD: the final head follows
    }
    this.status = status;
    this.headDone = true;
    this.keepAlive = minor === 1 ? !connClose : connKeepAlive && !connClose;
    this.keepAliveHintMs = hint;
    if (this.noBody || status === 204 || status === 304) this.state = S_DONE;
    else if (chunked) {
      this.state = S_CHUNK_SIZE;
      this.sizeDigits = 0;
      this.remaining = 0;
    } else if (contentLength !== -1) {
      this.remaining = contentLength;
      this.state = contentLength === 0 ? S_DONE : S_LENGTH;
    } else {
      this.state = S_EOF;
      this.keepAlive = false;
    }
    this.ev.onHead(status, headers);
    if (this.state === S_DONE) this.ev.onComplete();
  }
}
