/**
 * Probe for issue 15's "byte-level client side" question (docs/facade.md, issue-15 figures): the two
 * smallest proxies that can be built on the lean upstream client, differing only in the client leg, so a
 * paired CPU comparison prices node:http's server side on a real proxied request.
 *
 *   node strangler/bench/server-leg-probe.ts http <upstreamPort>   node:http server → LeanPool
 *   node strangler/bench/server-leg-probe.ts raw  <upstreamPort>   net.Server + a minimal head parser → LeanPool
 *
 * Neither is a facade: no routing, engine, deadlines beyond a 5 s socket idle timeout, metrics or logs, and
 * the raw one checks only what a strict parser would at least have to touch (request line, token header
 * names, control characters in values, a 16 KiB head) and closes the connection on anything else. Both
 * forward GETs without a body and answer with the upstream's headers minus hop-by-hop ones, an
 * x-request-id, and node:http's Date / Connection / Keep-Alive. Prints {"port":N}.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { LeanPool } from '../relay/pool.ts';

const [mode, upstreamPort] = [process.argv[2], Number(process.argv[3])];
if ((mode !== 'http' && mode !== 'raw') || !upstreamPort) {
  console.error('usage: server-leg-probe.ts http|raw <upstreamPort>');
  process.exit(2);
}
const pool = new LeanPool(new URL(`http://127.0.0.1:${upstreamPort}`), { connections: 128, connectTimeoutMs: 5000, timeoutMs: 30_000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
let served = 0;

type Handler = Dispatcher.DispatchHandler;
type RespHeaders = Record<string, string | string[]>;

function httpLeg(): void {
  const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    const headers: IncomingHttpHeaders = req.headers;
    const id = `probe-${++served}`;
    headers['x-request-id'] = id;
    const handler = {
      onRequestStart() {},
      onResponseStart(_c: unknown, status: number, upstream: RespHeaders) {
        const out: RespHeaders = {};
        for (const k in upstream) if (!HOP.has(k)) out[k] = upstream[k];
        out['x-request-id'] = id;
        res.writeHead(status, out);
      },
      onResponseData(_c: unknown, chunk: Buffer) { res.write(chunk); },
      onResponseEnd() { res.end(); },
      onResponseError() { res.destroy(); },
    };
    pool.dispatch({ method: req.method!, path: req.url!, headers: headers as Record<string, string>, body: null }, handler as unknown as Handler);
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n'));
}

const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1;
let date = new Date().toUTCString();
let dateAt = Date.now();

/** method, path, lower-cased headers of one head (without its blank line), or null when it is not plain. */
function parseHead(head: string): { method: string; path: string; headers: Record<string, string> } | null {
  const lines = head.split('\r\n');
  const line = lines[0];
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 <= sp1 + 1 || line.slice(sp2 + 1) !== 'HTTP/1.1') return null;
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    const colon = l.indexOf(':');
    if (colon <= 0) return null;
    for (let j = 0; j < colon; j++) if (TOKEN[l.charCodeAt(j)] === 0) return null;
    const v = l.slice(colon + 1).trim();
    for (let j = 0; j < v.length; j++) {
      const ch = v.charCodeAt(j);
      if ((ch < 32 && ch !== 9) || ch === 127) return null;
    }
    headers[l.slice(0, colon).toLowerCase()] = v;
  }
  return { method: line.slice(0, sp1), path: line.slice(sp1 + 1, sp2), headers };
}

function rawConnection(sock: Socket): void {
  sock.setNoDelay(true);
  sock.setTimeout(5000, () => sock.destroy());
  sock.on('error', () => {});
  let pending: Buffer | null = null;
  let busy = false;
  const next = (): void => {
    while (pending !== null && !busy) {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) {
        if (pending.length > 16384) sock.destroy();
        return;
      }
      const req = parseHead(pending.toString('latin1', 0, end));
      pending = end + 4 === pending.length ? null : pending.subarray(end + 4);
      if (req === null) {
        sock.destroy();
        return;
      }
      const id = `probe-${++served}`;
      req.headers['x-request-id'] = id;
      busy = true;
      const handler = {
        onRequestStart() {},
        onResponseStart(_c: unknown, status: number, upstream: RespHeaders) {
          const now = Date.now();
          if (now - dateAt >= 1000) {
            dateAt = now;
            date = new Date(now).toUTCString();
          }
          let head = `HTTP/1.1 ${status} OK\r\n`;
          for (const k in upstream) {
            if (HOP.has(k) || k === 'date') continue;
            const v = upstream[k];
            if (Array.isArray(v)) for (const x of v) head += `${k}: ${x}\r\n`;
            else head += `${k}: ${v}\r\n`;
          }
          head += `x-request-id: ${id}\r\nDate: ${date}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n`;
          sock.cork();
          sock.write(head, 'latin1');
        },
        onResponseData(_c: unknown, chunk: Buffer) { sock.write(chunk); },
        onResponseEnd() {
          sock.uncork();
          busy = false;
          next();
        },
        onResponseError() { sock.destroy(); },
      };
      pool.dispatch({ method: req.method, path: req.path, headers: req.headers, body: null }, handler as unknown as Handler);
    }
  };
  sock.on('data', (chunk: Buffer) => {
    pending = pending === null ? chunk : Buffer.concat([pending, chunk]);
    next();
  });
}

if (mode === 'http') httpLeg();
else {
  const server = createNetServer(rawConnection);
  server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n'));
}
process.on('SIGTERM', () => process.exit(0));
