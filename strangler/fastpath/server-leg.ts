/**
 * The fast server leg (on unless STRANGLER_FAST_SERVER=0, docs/facade.md "Fast server leg"): takes node:http's place as
 * the proxy port's 'connection' listener, reads request heads itself (head-parser.ts) and runs the facade's
 * own request handler (the server's 'request' event, as node:http emits it: ConnectionGuard.wrap(createRequestHandler(…)))
 * with a FastRequest and a FastResponse (response.ts) — one request at a time per connection, pipelined ones after.
 *
 * Whatever it does not serve goes to node:http unchanged: when the next head is not a plain one (body,
 * Expect, Upgrade, HTTP/1.0, duplicates, anything malformed, over 8 KiB), or the facade hands an unmatched
 * request back (it would go to the Express app), the bytes read so far are put back into the socket and
 * node's own connection listener takes the socket; from then on node:http owns it.
 *
 * Deadlines as node's: a head not complete within `headersTimeout` of its first byte (of the connection, for
 * the first) → the server's 'clientError' with ERR_HTTP_REQUEST_TIMEOUT (the guard answers 408), checked by
 * one coarse timer; idle keep-alive → socket timeout → the server's 'timeout' (the guard closes it); socket
 * errors → 'clientError'; a client FIN → the socket is ended (an unfinished head: HPE_INVALID_EOF_STATE).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HAND_OVER, NEED_MORE, parseHead, type FastHead } from './head-parser.ts';
import { FastResponse, type ResponseOwner } from './response.ts';

type ConnectionListener = (this: Server, socket: Socket) => void;

/** node adds this much to the keep-alive idle timer over the advertised timeout (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER). */
const KEEP_ALIVE_BUFFER_MS = 1000;

/** The part of node's IncomingMessage the facade's request path reads, for a head without a body. */
export class FastRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  readonly socket: Socket;
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor = 1;
  readonly httpVersion = '1.1';
  readonly complete = true;
  readonly readableFlowing = null;

  constructor(head: FastHead, socket: Socket) {
    this.method = head.method;
    this.url = head.url;
    this.headers = head.headers;
    this.rawHeaders = head.rawHeaders;
    this.socket = socket;
  }
}

/** A request the fast leg made (the facade hands unmatched ones of these back, see handBack). */
export function isFastRequest(req: unknown): req is FastRequest {
  return req instanceof FastRequest;
}

/** Called by the facade instead of its Express app for a fast request: node:http answers it instead. */
export function handBack(res: unknown): void {
  (res as FastResponse).handedBack = true;
}

/** One client connection while the fast leg owns it. */
class FastConnection implements ResponseOwner {
  readonly socket: Socket;
  readonly leg: FastServerLeg;
  /** Bytes read and not yet parsed. */
  pending: Buffer | null = null;
  busy: FastResponse | null = null;
  /** When the head being waited for began (ms, performance.now()); -1: not waiting. */
  headSince = -1;
  /** When the first byte of the head in `pending` arrived (or the last response finished, for pipelined ones). */
  headStart = 0;
  served = 0;
  keepAliveSet = false;
  owned = true;
  looping = false;
  readonly onData = (chunk: Buffer) => this.data(chunk);
  readonly onEnd = () => this.ended();
  readonly onClose = () => this.closed();
  readonly onTimeout = () => {
    if (!this.leg.server.emit('timeout', this.socket)) this.socket.destroy();
  };
  readonly onError = (err: Error) => this.error(err);

  constructor(socket: Socket, leg: FastServerLeg) {
    this.socket = socket;
    this.leg = leg;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('timeout', this.onTimeout);
    socket.on('error', this.onError);
    leg.open.add(this);
    leg.watch(this, performance.now()); // node's first head deadline runs from the connection's start
  }

  keepAliveTimeoutMs(): number {
    return this.leg.server.keepAliveTimeout;
  }

  private data(chunk: Buffer): void {
    if (!this.owned) return; // after an error answer or a last response: nothing more is read
    if (this.pending === null) {
      this.pending = chunk;
      if (this.busy === null) this.headStart = performance.now();
    } else this.pending = Buffer.concat([this.pending, chunk]);
    if (this.busy === null) this.next();
    // pipelined bytes behind a response in flight: stop reading past a head's worth (node pauses too)
    else if (this.pending.length > 16384) this.socket.pause();
  }

  /** Serves the complete heads in `pending`, one at a time; hands the connection over at the first it cannot serve. */
  private next(): void {
    if (this.looping) return;
    this.looping = true;
    try {
      while (this.owned && this.busy === null && this.pending !== null && !this.socket.destroyed) {
        const r = parseHead(this.pending);
        if (r === NEED_MORE) {
          if (this.headSince < 0) this.leg.watch(this, this.headStart);
          return;
        }
        if (r === HAND_OVER) {
          this.handOver(this.pending);
          return;
        }
        const bytes = this.pending;
        this.pending = r.length === bytes.length ? null : bytes.subarray(r.length);
        this.serve(r, bytes.subarray(0, r.length));
      }
    } finally {
      this.looping = false;
    }
  }

  private serve(head: FastHead, headBytes: Buffer): void {
    if (this.headSince >= 0) this.leg.unwatch(this);
    // the keep-alive idle timer stays armed during the request (node clears and re-arms it for each one): when it
    // fires with a request in flight, the guard's 'timeout' listener leaves the socket alone, as node's would
    if (this.socket.isPaused()) this.socket.resume();
    this.leg.served++;
    const req = new FastRequest(head, this.socket);
    const res = new FastResponse(this, head.method, head.keepAlive);
    this.busy = res;
    (this.socket as Socket & { _httpMessage?: unknown })._httpMessage = res;
    // as node:http does: every 'request' listener (the facade's handler first) sees it
    this.leg.server.emit('request', req as unknown as IncomingMessage, res as unknown as ServerResponse);
    if (res.handedBack) {
      // nothing was written: node:http parses this head again and answers it
      this.busy = null;
      (this.socket as Socket & { _httpMessage?: unknown })._httpMessage = null;
      this.leg.served--;
      res.socketClosed();
      this.handOver(this.pending === null ? headBytes : Buffer.concat([headBytes, this.pending]));
    }
  }

  finished(res: FastResponse, last: boolean): void {
    if (this.busy !== res) return;
    this.busy = null;
    this.served++;
    (this.socket as Socket & { _httpMessage?: unknown })._httpMessage = null;
    if (last) {
      this.owned = false;
      this.socket.destroySoon();
      res.socketClosed();
      return;
    }
    if (!this.keepAliveSet) {
      this.socket.setTimeout(this.keepAliveTimeoutMs() + KEEP_ALIVE_BUFFER_MS);
      this.keepAliveSet = true;
    }
    res.socketClosed();
    this.headStart = performance.now();
    this.next();
  }

  private ended(): void {
    if (!this.owned) return;
    if (this.busy === null && this.pending !== null) {
      this.error(Object.assign(new Error('Parse Error: Invalid EOF state'), { code: 'HPE_INVALID_EOF_STATE' }));
      return;
    }
    // node:http (httpAllowHalfOpen off) ends its side at once; pipelined requests not started yet never are
    this.pending = null;
    this.socket.end();
  }

  private error(err: Error): void {
    this.owned = this.busy !== null; // a response in flight still finishes (the guard decides what happens to it)
    this.pending = null;
    this.leg.unwatch(this);
    this.socket.removeListener('error', this.onError);
    this.socket.on('error', noop);
    if (!this.leg.server.emit('clientError', err, this.socket)) this.socket.destroy(err);
  }

  private closed(): void {
    this.leg.open.delete(this);
    this.leg.unwatch(this);
    this.owned = false;
    const res = this.busy;
    this.busy = null;
    if (res !== null) res.socketClosed();
  }

  /** The head deadline passed (node: ERR_HTTP_REQUEST_TIMEOUT → the guard answers 408). */
  headTimedOut(): void {
    if (!this.owned || this.busy !== null) return;
    this.error(Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }));
  }

  /** node:http takes the socket from here, with `bytes` read but not answered put back in front. */
  private handOver(bytes: Buffer | null): void {
    this.owned = false;
    this.pending = null;
    this.leg.open.delete(this);
    this.leg.unwatch(this);
    const s = this.socket;
    s.pause();
    s.removeListener('data', this.onData);
    s.removeListener('end', this.onEnd);
    s.removeListener('close', this.onClose);
    s.removeListener('timeout', this.onTimeout);
    s.removeListener('error', this.onError);
    if (this.keepAliveSet || this.served > 0) s.setTimeout(0);
    if (bytes !== null) s.unshift(bytes);
    this.leg.handOvers++;
    // node's parser must read through the stream (not straight from the handle), so the bytes put back come first
    const handle = (s as Socket & { _handle?: { _consumed?: boolean } | null })._handle;
    if (handle) handle._consumed = true;
    this.leg.nodeListener.call(this.leg.server, s);
    s.resume();
  }
}

function noop(): void {}

export class FastServerLeg {
  readonly server: Server;
  readonly nodeListener: ConnectionListener;
  /** Connections handed to node:http, and requests answered here (tests). */
  handOvers = 0;
  served = 0;
  /** Connections this leg owns (node:http's closeAllConnections does not know them). */
  readonly open = new Set<FastConnection>();
  private readonly waiting = new Map<FastConnection, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly tickMs: number;

  constructor(server: Server, nodeListener: ConnectionListener, tickMs: number) {
    this.server = server;
    this.nodeListener = nodeListener;
    this.tickMs = tickMs;
  }

  /** End of the shutdown grace: what node's closeAllConnections does for its own connections. */
  closeAll(): void {
    for (const c of this.open) c.socket.destroy();
  }

  watch(c: FastConnection, since: number): void {
    c.headSince = since;
    this.waiting.set(c, since);
    if (this.timer === null) {
      this.timer = setTimeout(() => this.sweep(), this.tickMs);
      this.timer.unref();
    }
  }

  unwatch(c: FastConnection): void {
    if (c.headSince < 0) return;
    c.headSince = -1;
    this.waiting.delete(c);
  }

  private sweep(): void {
    this.timer = null;
    const limit = this.server.headersTimeout;
    const now = performance.now();
    for (const [c, since] of this.waiting) {
      if (limit > 0 && now - since > limit) {
        this.unwatch(c);
        c.headTimedOut();
      }
    }
    if (this.waiting.size > 0) {
      this.timer = setTimeout(() => this.sweep(), this.tickMs);
      this.timer.unref();
    }
  }
}

/**
 * Puts the fast leg in front of `server`'s own connection listener (call before any other 'connection'
 * listener is added, e.g. the ConnectionGuard's, so the guard still sees every socket once, after it).
 */
/** The fast leg is in front of node:http unless STRANGLER_FAST_SERVER=0 (checked by config.ts). */
export function fastServerEnabled(): boolean {
  return process.env.STRANGLER_FAST_SERVER !== '0';
}

export function installFastServer(server: Server, tickMs: number): FastServerLeg {
  const nodeListener = server.listeners('connection').find((f) => f.name === 'connectionListener') as ConnectionListener | undefined;
  if (nodeListener === undefined) throw new Error('node:http connection listener not found');
  server.removeListener('connection', nodeListener);
  const leg = new FastServerLeg(server, nodeListener, tickMs);
  server.prependListener('connection', (socket: Socket) => {
    new FastConnection(socket, leg);
  });
  return leg;
}
