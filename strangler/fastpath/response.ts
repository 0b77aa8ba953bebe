/**
 * The fast server leg's response: the part of node:http's ServerResponse the facade's request path uses
 * (writeHead with a flat array or an object, write with backpressure, end, destroy, writeEarlyHints, the
 * headersSent / destroyed / writableEnded / writableFinished / writableLength / shouldKeepAlive state and the
 * close / finish / drain events), writing the same bytes node:http writes for it: status line, the headers in
 * the order and case given (validated the same way), then Date, Connection / Keep-Alive and Content-Length or
 * chunked framing by node's rules (HEAD, 204, 304 and 1xx carry no body). strangler/test/fast-server.test.ts
 * compares the bytes of both paths.
 */
import { EventEmitter } from 'node:events';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** What the response reports back to its connection. */
export interface ResponseOwner {
  readonly socket: Socket;
  /** node's keepAliveTimeout (the Keep-Alive header's timeout=). */
  keepAliveTimeoutMs(): number;
  /** The last byte is handed to the kernel (node's 'finish'); `last`: the connection closes after it. */
  finished(res: FastResponse, last: boolean): void;
}

const TOKEN_RE = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE_RE = /[^\t\x20-\x7e\x80-\xff]/;
const CONN_CLOSE_RE = /(?:^|\W)close(?:$|\W)/i;
const TE_CHUNKED_RE = /(?:^|\W)chunked(?:$|\W)/i;
const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = '0\r\n\r\n';

let utcCache: string | undefined;
/** node's Date header value: cached until the next second starts. */
function utcDate(): string {
  if (utcCache === undefined) {
    const d = new Date();
    utcCache = d.toUTCString();
    setTimeout(() => { utcCache = undefined; }, 1000 - d.getMilliseconds()).unref();
  }
  return utcCache;
}

function invalidToken(name: unknown): TypeError {
  return Object.assign(new TypeError(`Header name must be a valid HTTP token ["${String(name)}"]`), { code: 'ERR_INVALID_HTTP_TOKEN' });
}

function invalidValue(name: string): TypeError {
  return Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), { code: 'ERR_INVALID_CHAR' });
}

/** node's linkValueRegExp (writeEarlyHints). */
const LINK_RE = /^(?:<[^>\r\n]*>)(?:\s*;\s*[^;"\s]+(?:=(")?[^;"\s]*\1)?)*$/;

function linkValue(hints: unknown): string {
  const list = typeof hints === 'string' ? [hints] : Array.isArray(hints) ? hints : null;
  if (list === null) throw Object.assign(new TypeError('The argument \'hints\' is invalid'), { code: 'ERR_INVALID_ARG_VALUE' });
  for (const l of list) if (typeof l !== 'string' || !LINK_RE.test(l)) throw Object.assign(new TypeError('The argument \'hints\' is invalid'), { code: 'ERR_INVALID_ARG_VALUE' });
  return list.join(', ');
}

export class FastResponse extends EventEmitter {
  readonly owner: ResponseOwner;
  readonly socket: Socket;
  statusCode = 200;
  shouldKeepAlive: boolean;
  headersSent = false;
  destroyed = false;
  writableEnded = false;
  writableFinished = false;
  /** The request was handed back to node:http before anything was written (see server-leg.ts). */
  handedBack = false;
  private hasBody: boolean;
  private chunked = false;
  private last = false;
  /** The stored head, until it goes out with the first write. */
  private head: string | null = null;
  private corked = false;
  private needDrain = false;
  /** end(data) without writeHead: node's Content-Length for the implicit head. */
  private implicitLength = -1;

  constructor(owner: ResponseOwner, method: string, keepAlive: boolean) {
    super();
    this.owner = owner;
    this.socket = owner.socket;
    this.hasBody = method !== 'HEAD';
    this.shouldKeepAlive = keepAlive;
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  writeHead(status: number, headers?: (string | string[])[] | Record<string, unknown>): this {
    if (this.headersSent) throw Object.assign(new Error('Cannot write headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' });
    const code = status | 0;
    if (code < 100 || code > 999) throw Object.assign(new RangeError(`Invalid status code: ${status}`), { code: 'ERR_HTTP_INVALID_STATUS_CODE' });
    const st = { connection: false, contLen: false, te: false, date: false, defaultKeepAlive: true, contentLength: 0 };
    let head = `HTTP/1.1 ${code} ${STATUS_CODES[code] || 'unknown'}\r\n`;
    if (Array.isArray(headers)) {
      if (headers.length % 2 !== 0) throw Object.assign(new TypeError('The argument \'headers\' is invalid'), { code: 'ERR_INVALID_ARG_VALUE' });
      for (let i = 0; i < headers.length; i += 2) head += this.header(st, headers[i] as string, headers[i + 1]);
    } else if (headers) {
      for (const k in headers) if (Object.prototype.hasOwnProperty.call(headers, k)) head += this.header(st, k, headers[k]);
    }
    if (code === 204 || code === 304 || code < 200) this.hasBody = false;
    this.statusCode = code;
    if (!st.date) head += 'Date: ' + utcDate() + '\r\n';
    if (this.chunked && (code === 204 || code === 304)) {
      this.chunked = false;
      this.shouldKeepAlive = false;
    }
    if (!st.connection) {
      if (this.shouldKeepAlive) {
        head += 'Connection: keep-alive\r\n';
        if (st.defaultKeepAlive) head += `Keep-Alive: timeout=${Math.floor(this.owner.keepAliveTimeoutMs() / 1000)}\r\n`;
      } else {
        this.last = true;
        head += 'Connection: close\r\n';
      }
    }
    if (!st.contLen && !st.te) {
      if (!this.hasBody) this.chunked = false;
      else if (this.implicitLength >= 0) head += 'Content-Length: ' + this.implicitLength + '\r\n';
      else {
        head += 'Transfer-Encoding: chunked\r\n';
        this.chunked = true;
      }
    }
    this.head = head + '\r\n';
    this.headersSent = true;
    return this;
  }

  /** One header's lines (node's processHeader/storeHeader/matchHeader). */
  private header(st: { connection: boolean; contLen: boolean; te: boolean; date: boolean; defaultKeepAlive: boolean; contentLength: number }, key: string, value: unknown): string {
    if (typeof key !== 'string' || !key || !TOKEN_RE.test(key)) throw invalidToken(key);
    const cd = st.contentLength !== 0 && key.length === 19 && key.toLowerCase() === 'content-disposition';
    if (Array.isArray(value)) {
      if (value.length < 2 || key.toLowerCase() !== 'cookie') {
        let out = '';
        for (let i = 0; i < value.length; i++) out += this.line(st, key, cd ? Buffer.from(String(value[i]), 'latin1').toString() : value[i]);
        return out;
      }
      value = value.join('; ');
    }
    return this.line(st, key, cd ? Buffer.from(String(value), 'latin1').toString() : value);
  }

  private line(st: { connection: boolean; contLen: boolean; te: boolean; date: boolean; defaultKeepAlive: boolean; contentLength: number }, key: string, value: unknown): string {
    if (value === undefined) throw Object.assign(new TypeError(`Invalid value "undefined" for header "${key}"`), { code: 'ERR_HTTP_INVALID_HEADER_VALUE' });
    const v = typeof value === 'string' ? value : String(value);
    if (INVALID_VALUE_RE.test(v)) throw invalidValue(key);
    if (key.length >= 4 && key.length <= 17) {
      switch (key.toLowerCase()) {
        case 'connection':
          st.connection = true;
          if (CONN_CLOSE_RE.test(v)) this.last = true;
          else this.shouldKeepAlive = true;
          break;
        case 'transfer-encoding':
          st.te = true;
          if (TE_CHUNKED_RE.test(v)) this.chunked = true;
          break;
        case 'content-length':
          st.contLen = true;
          st.contentLength = +v;
          break;
        case 'date':
          st.date = true;
          break;
        case 'keep-alive':
          st.defaultKeepAlive = false;
          break;
      }
    }
    return key + ': ' + v + '\r\n';
  }

  writeEarlyHints(hints: Record<string, unknown>): void {
    if (hints.link === null || hints.link === undefined) return;
    const link = linkValue(hints.link);
    if (link.length === 0) return;
    let head = 'HTTP/1.1 103 Early Hints\r\nLink: ' + link + '\r\n';
    for (const k of Object.keys(hints)) if (k !== 'link') head += k + ': ' + String(hints[k]) + '\r\n';
    this.socket.write(head + '\r\n', 'ascii');
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(uncorkNT, this);
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  write(chunk: Buffer | string): boolean {
    if (this.writableEnded) throw Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
    if (!this.headersSent) this.implicitHead(null, false);
    if (!this.hasBody) {
      this.flushHead(null);
      return true;
    }
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (this.destroyed || !this.socket.writable) {
      this.destroy();
      return false;
    }
    this.cork();
    let ok: boolean;
    if (this.chunked) {
      if (data.length === 0) {
        this.flushHead(null);
        return !this.needDrain;
      }
      this.flushHead(data.length.toString(16) + '\r\n', 'latin1');
      this.socket.write(data);
      ok = this.socket.write(CRLF);
    } else if (this.head !== null) {
      // node writes the head and a first string chunk as one string in the chunk's encoding
      if (typeof chunk === 'string') {
        const s = this.head + chunk;
        this.head = null;
        ok = this.socket.write(s, 'utf8');
      } else {
        this.flushHead(null);
        ok = this.socket.write(data);
      }
    } else ok = this.socket.write(data);
    if (!ok && !this.needDrain) {
      this.needDrain = true;
      this.socket.once('drain', () => {
        this.needDrain = false;
        this.emit('drain');
      });
    }
    return ok;
  }

  /** Writes the stored head (with `tail` appended in the same write); false: nothing was stored. */
  private flushHead(tail: string | null, enc: BufferEncoding = 'latin1'): boolean {
    if (this.head === null) {
      if (tail !== null) this.socket.write(tail, enc);
      return false;
    }
    const h = tail === null ? this.head : this.head + tail;
    this.head = null;
    if (this.socket.writable) this.socket.write(h, enc);
    return true;
  }

  /** node's implicit head: from end(data) with the body's length, from write() chunked. */
  private implicitHead(body: Buffer | string | null, fromEnd: boolean): void {
    if (fromEnd) this.implicitLength = body === null ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    this.writeHead(this.statusCode);
  }

  end(data?: Buffer | string): this {
    if (this.writableEnded) return this;
    if (!this.headersSent) this.implicitHead(data ?? null, true);
    if (data !== undefined && data.length > 0) this.write(data);
    this.writableEnded = true;
    if (this.destroyed || !this.socket.writable) {
      this.uncork();
      this.destroy();
      return this;
    }
    let tail: string | null = null;
    if (this.hasBody && this.chunked) tail = LAST_CHUNK;
    const owner = this.owner;
    const res = this;
    const done = (err?: Error | null) => {
      if (err || res.destroyed) return;
      res.writableFinished = true;
      res.emit('finish');
      owner.finished(res, res.last || !res.shouldKeepAlive);
    };
    if (this.head !== null) {
      const h = tail === null ? this.head : this.head + tail;
      this.head = null;
      this.socket.write(h, 'latin1', done);
    } else if (tail !== null) this.socket.write(tail, 'latin1', done);
    else if (this.socket.writableLength > 0) this.socket.write(EMPTY, done);
    else process.nextTick(done);
    this.uncork();
    return this;
  }

  /** The client connection is gone, or the response is cut: the socket is destroyed. */
  destroy(err?: Error): this {
    if (!this.socket.destroyed) this.socket.destroy(err);
    this.destroyed = true;
    return this;
  }

  /** The socket closed: marks the response destroyed (unless it finished) and emits its close (once). */
  socketClosed(): void {
    if (!this.writableFinished) this.destroyed = true;
    this.emit('close');
  }
}

const EMPTY = Buffer.alloc(0);

function uncorkNT(res: FastResponse): void {
  res.uncork();
}
