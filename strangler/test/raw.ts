/** Raw-socket test helpers: connections the test controls byte by byte, an HTTP/1.1 response reader, fd counts. */
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

export interface RawConn {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves when the socket is fully closed (by either side). */
  closed: Promise<void>;
  isClosed(): boolean;
}

/**
 * Opens a TCP connection. `read: false` never reads (the socket is paused, so the kernel buffers fill and a FIN from
 * the server is never acted on); `allowHalfOpen` keeps our side open after the server's FIN.
 */
export function rawConnect(port: number, opts: { localAddress?: string; read?: boolean; allowHalfOpen?: boolean } = {}): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: opts.localAddress, allowHalfOpen: opts.allowHalfOpen ?? false });
    const chunks: Buffer[] = [];
    let closed = false;
    const closedP = new Promise<void>((r) => socket.once('close', () => {
      closed = true;
      r();
    }));
    socket.on('error', () => undefined);
    if (opts.read === false) socket.pause();
    else socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks), closed: closedP, isClosed: () => closed }));
    socket.once('error', reject);
  });
}

/** Open file descriptors of this process. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string[]>;
  body: Buffer;
  /** The exact bytes of this response on the wire. */
  raw: Buffer;
}

/**
 * Reads consecutive HTTP/1.1 responses from a byte stream (content-length and chunked framing; a response with neither
 * runs to the end). Returns the complete ones and the leftover bytes; throws on anything that is not a response.
 */
export function parseResponses(buf: Buffer): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let pos = 0;
  for (;;) {
    if (pos >= buf.length) break;
    const headEnd = buf.indexOf('\r\n\r\n', pos);
    if (headEnd === -1) break;
    const head = buf.subarray(pos, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
    if (!m) throw new Error(`not an HTTP response at byte ${pos}: ${JSON.stringify(head[0].slice(0, 60))}`);
    const headers: Record<string, string[]> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      const k = line.slice(0, i).trim().toLowerCase();
      (headers[k] ??= []).push(line.slice(i + 1).trim());
    }
    let p = headEnd + 4;
    let body: Buffer;
    if (headers['transfer-encoding']?.some((v) => /chunked/i.test(v))) {
      const parts: Buffer[] = [];
      let done = false;
      for (;;) {
        const le = buf.indexOf('\r\n', p);
        if (le === -1) break;
        const size = Number.parseInt(buf.subarray(p, le).toString('latin1'), 16);
        if (!Number.isFinite(size)) throw new Error(`bad chunk size at byte ${p}: ${JSON.stringify(buf.subarray(p, le).toString('latin1').slice(0, 60))}`);
        if (le + 2 + size + 2 > buf.length) break;
        if (buf.subarray(le + 2 + size, le + 4 + size).toString('latin1') !== '\r\n') throw new Error(`chunk of ${size} bytes not followed by CRLF at byte ${le + 2 + size}`);
        if (size === 0) {
          p = le + 4;
          done = true;
          break;
        }
        parts.push(buf.subarray(le + 2, le + 2 + size));
        p = le + 4 + size;
      }
      if (!done) break;
      body = Buffer.concat(parts);
    } else if (headers['content-length']) {
      const n = Number(headers['content-length'][0]);
      if (p + n > buf.length) break;
      body = buf.subarray(p, p + n);
      p += n;
    } else if (m[1] === '204' || m[1] === '304' || m[1].startsWith('1')) {
      body = Buffer.alloc(0);
    } else {
      body = buf.subarray(p);
      p = buf.length;
    }
    responses.push({ status: Number(m[1]), headers, body, raw: buf.subarray(pos, p) });
    pos = p;
  }
  return { responses, rest: buf.subarray(pos) };
}

/**
 * The same stream with every chunked body written as one chunk (its framing checked by parseResponses on the way):
 * where a proxy cuts a streamed body into chunks follows how the upstream's bytes arrived, which differs from run to
 * run, while everything else on the wire must not. Heads, other bodies and leftover bytes are kept as they are.
 */
export function oneChunkBodies(buf: Buffer): Buffer {
  let parsed: ReturnType<typeof parseResponses>;
  try {
    parsed = parseResponses(buf);
  } catch {
    return buf; // a stream this parser cannot follow (answers to HEAD carry a Content-Length and no body): compared as it is
  }
  const { responses, rest } = parsed;
  const out: Buffer[] = [];
  for (const r of responses) {
    if (!r.headers['transfer-encoding']?.some((v) => /chunked/i.test(v))) {
      out.push(r.raw);
      continue;
    }
    const head = r.raw.subarray(0, r.raw.indexOf('\r\n\r\n') + 4);
    out.push(head, Buffer.from(r.body.length ? `${r.body.length.toString(16)}\r\n` : '', 'latin1'), r.body, Buffer.from(r.body.length ? '\r\n0\r\n\r\n' : '0\r\n\r\n', 'latin1'));
  }
  out.push(rest);
  return Buffer.concat(out);
}

/** The value of one counter/gauge sample from a prom-client registry text, or 0. */
export async function metricValue(registry: { metrics(): Promise<string> }, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await registry.metrics();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
      const [k, v] = kv.split('=');
      got[k] = JSON.parse(v);
    }
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return 0;
}
