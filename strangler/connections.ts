/**
 * Client connections of the proxy port: deadlines, caps, parser errors and the shutdown drain.
 *
 * - Deadlines: `firstByteTimeoutMs` (a connection that never sends a byte), node's `headersTimeout` and
 *   `requestTimeout` (checked every `checkIntervalMs`; both answer 408), `keepAliveTimeoutMs` (idle between requests).
 * - Caps: node's `maxConnections` (the kernel accept is closed at once) and an optional per-client-address cap.
 * - A socket that failed parsing or timed out gets a short JSON answer when nothing else is being written on it, and
 *   is destroyed after `ERROR_FLUSH_MS` at the latest: never `end()` alone, which on a half-open-allowed socket whose
 *   peer never reads or closes keeps the descriptor forever. A parse error behind a response in flight (pipelining)
 *   writes nothing: the connection is closed after that response, so no bytes ever land inside it.
 * - Shutdown: idle connections are closed, busy ones answer `connection: close` and close after their response; new
 *   requests get 503.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CLOSE_RELAYED, responseClosed, sendJsonError } from './engine.ts';
import { checkProtocol, takeRequestId } from './headers.ts';
import type { FacadeMetrics } from './metrics.ts';
import type { Logger } from '../lib/logger.ts';

export interface ConnectionLimits {
  /** A new connection that has not sent a complete request head by then is closed. */
  firstByteTimeoutMs: number;
  /** Time to receive a request's headers (node `headersTimeout`) → 408. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (node `requestTimeout`) → 408. */
  requestTimeoutMs: number;
  /** Idle time between requests on a keep-alive connection. */
  keepAliveTimeoutMs: number;
  /** Open client connections (node `maxConnections`); more are closed on accept. */
  maxConnections: number;
  /** Open connections per client address; 0 = no cap. */
  maxConnectionsPerClient: number;
  /** Upgrades: connect + upstream handshake deadline → 504. */
  upgradeTimeoutMs: number;
  /** Upgrades: open (and pending) upgraded connections per upstream → 503. */
  maxUpgradesPerUpstream: number;
}

/** Shorter than the headers timeout, so a silent connection is closed without an answer before node would send it a 408. */
export const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 5_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Longer than the common 60 s idle timeout of load balancers in front, so the facade is never the side that races. */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 65_000;
export const DEFAULT_MAX_CONNECTIONS = 4096;
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 0;
export const DEFAULT_UPGRADE_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_UPGRADES_PER_UPSTREAM = 1024;
/** A socket that got an error answer is destroyed after this long even if the peer never reads or closes. */
export const ERROR_FLUSH_MS = 1000;
/** Warnings about rejected connections and parser errors: at most one per kind per this long (the rest are counted). */
export const WARN_INTERVAL_MS = 10_000;
/** Descriptors kept free of client connections (upstream pools, upgrades' upstream side, files, Redis). */
export const FD_RESERVE_RATIO = 0.5;

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  firstByteTimeoutMs: DEFAULT_FIRST_BYTE_TIMEOUT_MS,
  headersTimeoutMs: DEFAULT_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  keepAliveTimeoutMs: DEFAULT_KEEPALIVE_TIMEOUT_MS,
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  maxConnectionsPerClient: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
  upgradeTimeoutMs: DEFAULT_UPGRADE_TIMEOUT_MS,
  maxUpgradesPerUpstream: DEFAULT_MAX_UPGRADES_PER_UPSTREAM,
};

/** Problems with a set of limits, one message per field (empty when fine). */
export function limitProblems(l: ConnectionLimits): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(l)) {
    const min = k === 'maxConnectionsPerClient' ? 0 : 1;
    if (!Number.isInteger(v) || v < min) out.push(`${k}: must be an integer ≥ ${min}`);
  }
  if (l.headersTimeoutMs > l.requestTimeoutMs) out.push('headersTimeoutMs: must not exceed requestTimeoutMs');
  return out;
}

/** The soft open-files limit of this process (/proc/self/limits), or null when unknown or unlimited. */
export function readOpenFilesLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** maxConnections lowered so client sockets leave `FD_RESERVE_RATIO` of the descriptors free; null when no change. */
export function clampToOpenFiles(maxConnections: number, openFiles: number | null): number | null {
  if (openFiles === null) return null;
  const room = Math.max(1, Math.floor(openFiles * (1 - FD_RESERVE_RATIO)));
  return maxConnections > room ? room : null;
}

/** How often node checks the headers/request deadlines: a quarter of the shorter one, within 50 ms – 1 s. */
export function checkIntervalMs(l: ConnectionLimits): number {
  return Math.max(50, Math.min(1000, Math.floor(Math.min(l.headersTimeoutMs, l.requestTimeoutMs) / 4)));
}

/** Logs a warning at most once per key per interval, with the number suppressed since the last one. */
export class WarnLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(logger: Logger, intervalMs = WARN_INTERVAL_MS, now: () => number = Date.now) {
    this.logger = logger;
    this.intervalMs = intervalMs;
    this.now = now;
  }

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const t = this.now();
    const e = this.last.get(key);
    if (e !== undefined && t - e.at < this.intervalMs) {
      e.suppressed++;
      return;
    }
    this.logger.warn({ ...fields, suppressed: e?.suppressed ?? 0 }, msg);
    this.last.set(key, { at: t, suppressed: 0 });
  }
}

const KNOWN_CODE_RE = /^(?:HPE_[A-Z_]{1,40}|ERR_HTTP_[A-Z_]{1,40})$/;
/** A bounded label for a client error's code. */
export function errorCodeLabel(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && KNOWN_CODE_RE.test(code) ? code : 'other';
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 404: 'Not Found', 408: 'Request Timeout', 414: 'URI Too Long', 431: 'Request Header Fields Too Large',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
};

/** A complete JSON error response as raw bytes (for sockets without a usable ServerResponse). */
export function rawJsonError(status: number, code: string, message: string, requestId: string): string {
  const body = JSON.stringify({ error: { code, message, requestId } });
  return `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n`
    + `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\n\r\n${body}`;
}

/** Ends the socket (after `data`, if any) and destroys it once the peer closed or `ERROR_FLUSH_MS` passed. */
export function closeSoon(socket: Socket, data?: string): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // a response still in flight may try to write after our end(): that error must not escape
  socket.on('error', () => socket.destroy());
  const timer = setTimeout(() => socket.destroy(), ERROR_FLUSH_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  if (data === undefined) socket.end();
  else socket.end(data);
}

type ConnRequest = IncomingMessage & { socket: Socket };

interface ConnState {
  socket: Socket;
  client: string;
  /** Requests whose response has not closed yet. */
  inFlight: number;
  /** Requests started on this connection. */
  started: number;
  /** The latest request (to tell a headers timeout from a body timeout). */
  current: IncomingMessage | null;
  /** Close once the responses in flight are done (parse error behind them, or shutdown). */
  closeAfter: boolean;
  /** A client error was already handled (node may report one several times). */
  errored: boolean;
  /** The facade answered a client error (408/400/431) and is closing: a request completed after it is dropped. */
  answeredError: boolean;
  upgraded: boolean;
}

const STATE = Symbol('strangler.connState');
type StatefulSocket = Socket & { [STATE]?: ConnState };
/** A response's connection state, for the one shared `close` listener (no closure per request). */
type StatefulResponse = ServerResponse & { [STATE]?: ConnState; [CLOSE_RELAYED]?: boolean };

/**
 * `close` fires once per response: the in-flight count goes down; a connection marked closeAfter closes once idle.
 * Then the engine's forwards on this response hear of it (the one listener serves both: CLOSE_RELAYED).
 */
function onResponseClose(this: StatefulResponse): void {
  const st = this[STATE];
  if (st !== undefined) {
    this[STATE] = undefined;
    st.inFlight--;
    if (st.current !== null && st.inFlight === 0) st.current = null;
    if (st.closeAfter && st.inFlight === 0) closeSoon(st.socket);
  }
  responseClosed(this);
}

export class ConnectionGuard {
  readonly limits: ConnectionLimits;
  private readonly states = new Set<ConnState>();
  private readonly perClient = new Map<string, number>();
  private readonly warns: WarnLimiter;
  private readonly metrics: FacadeMetrics;
  private closing = false;

  constructor(metrics: FacadeMetrics, logger: Logger, limits: ConnectionLimits) {
    const problems = limitProblems(limits);
    if (problems.length > 0) throw new Error(`invalid connection limits: ${problems.join('; ')}`);
    this.metrics = metrics;
    this.limits = limits;
    this.warns = new WarnLimiter(logger);
  }

  /** Options for `http.createServer`. */
  serverOptions(): { keepAliveTimeout: number; headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
    const l = this.limits;
    return { keepAliveTimeout: l.keepAliveTimeoutMs, headersTimeout: l.headersTimeoutMs, requestTimeout: l.requestTimeoutMs, connectionsCheckingInterval: checkIntervalMs(l) };
  }

  get shuttingDown(): boolean {
    return this.closing;
  }

  attach(server: Server): void {
    server.maxConnections = this.limits.maxConnections;
    server.on('drop', (data?: { remoteAddress?: string }) => this.reject('max-connections', data?.remoteAddress));
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    server.on('timeout', (socket: Socket) => this.onTimeout(socket));
    server.on('clientError', (err: Error, socket: Socket) => this.onClientError(err, socket as StatefulSocket));
  }

  private reject(reason: string, client: string | undefined): void {
    this.metrics.connectionsRejected.inc({ reason });
    this.warns.warn(`reject:${reason}`, { reason, client }, 'client connection rejected');
  }

  private onConnection(socket: StatefulSocket): void {
    const client = socket.remoteAddress ?? '';
    if (this.closing) {
      this.reject('shutting-down', client);
      socket.destroy();
      return;
    }
    const cap = this.limits.maxConnectionsPerClient;
    if (cap > 0) {
      const n = this.perClient.get(client) ?? 0;
      if (n >= cap) {
        this.reject('per-client', client);
        socket.destroy();
        return;
      }
      this.perClient.set(client, n + 1);
    }
    const st: ConnState = { socket, client, inFlight: 0, started: 0, current: null, closeAfter: false, errored: false, answeredError: false, upgraded: false };
    socket[STATE] = st;
    this.states.add(st);
    this.metrics.clientConnections.inc();
    socket.setTimeout(this.limits.firstByteTimeoutMs);
    socket.once('close', () => {
      this.states.delete(st);
      this.metrics.clientConnections.dec();
      if (cap > 0) {
        const n = (this.perClient.get(client) ?? 1) - 1;
        if (n <= 0) this.perClient.delete(client);
        else this.perClient.set(client, n);
      }
    });
  }

  /** Socket inactivity: before the first request (first-byte) or between requests (keep-alive idle). */
  private onTimeout(socket: StatefulSocket): void {
    const st = socket[STATE];
    if (st !== undefined && (st.inFlight > 0 || st.upgraded)) return; // a request in flight: its own deadlines govern it
    this.metrics.connectionTimeouts.inc({ kind: st === undefined || st.started === 0 ? 'first-byte' : 'idle' });
    socket.destroy();
  }

  private onClientError(err: Error, socket: StatefulSocket): void {
    const st = socket[STATE];
    if (st !== undefined) {
      if (st.errored) return;
      st.errored = true;
    }
    const code = (err as NodeJS.ErrnoException).code ?? '';
    // the peer closed its side (EOF in the middle of a request: node reports HPE_INVALID_EOF_STATE) or the socket
    // failed: nothing more can arrive, so there is nothing to answer — destroy now, which also cancels the upstream
    // request of an unfinished upload (a pipelined-error "close after the response" would hold it until the upstream answers)
    if (code.startsWith('ECONN') || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'HPE_INVALID_EOF_STATE') {
      socket.destroy();
      return;
    }
    let status = 400;
    let errCode = 'BAD_REQUEST';
    let message = 'The request could not be parsed';
    if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      const kind = st?.current !== null && st?.current !== undefined && !st.current.complete ? 'request' : 'headers';
      this.metrics.connectionTimeouts.inc({ kind });
      status = 408;
      errCode = 'REQUEST_TIMEOUT';
      message = kind === 'request' ? 'The request body did not arrive in time' : 'The request headers did not arrive in time';
    } else {
      const label = errorCodeLabel(err);
      this.metrics.clientErrors.inc({ code: label });
      this.warns.warn(`parse:${label}`, { code: label, client: socket.remoteAddress, reason: err.message }, 'client request could not be parsed');
      if (code === 'HPE_HEADER_OVERFLOW') {
        status = 431;
        errCode = 'HEADERS_TOO_LARGE';
        message = 'The request headers are too large';
      }
    }
    const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (st !== undefined && st.inFlight > 0 && !(status === 408 && st.current !== null && !st.current.complete)) {
      // a later (pipelined) request failed: finish what is in flight, then close; never write between responses
      st.closeAfter = true;
      if (res && !res.headersSent) res.shouldKeepAlive = false;
      return;
    }
    if (res && res.headersSent) {
      socket.destroy();
      return;
    }
    if (st !== undefined) st.answeredError = true;
    closeSoon(socket, rawJsonError(status, errCode, message, randomUUID()));
  }

  /** Wraps the request handler: protocol checks, in-flight bookkeeping, shutdown answers. */
  wrap(handler: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
    const guard = this;
    return function guarded(req, res) {
      const socket = (req as ConnRequest).socket as StatefulSocket;
      const st = socket[STATE];
      if (st !== undefined && st.answeredError) {
        // node's parser stays on the socket after a client error: the rest of a head that got its 408 (or 400) can
        // still arrive and complete a request. The client was told it failed (and may retry): never act on it.
        guard.metrics.lateRequests.inc();
        guard.warns.warn('late-request', { client: st.client, method: req.method, url: req.url }, 'request completed after its connection was answered with an error; dropped');
        socket.destroy();
        return;
      }
      if (st !== undefined) {
        if (st.started++ === 0) socket.setTimeout(0); // the first-byte deadline is over; node sets keep-alive idle after the response
        st.inFlight++;
        st.current = req;
        (res as StatefulResponse)[STATE] = st;
        (res as StatefulResponse)[CLOSE_RELAYED] = true;
        res.on('close', onResponseClose);
        if (guard.closing) {
          res.shouldKeepAlive = false;
          sendJsonError(res, 503, 'SHUTTING_DOWN', 'The facade is shutting down', takeRequestId(req.headers), true);
          return;
        }
      }
      const bad = checkProtocol(req.httpVersionMajor, req.rawHeaders);
      if (bad !== null) {
        sendJsonError(res, bad.status, bad.code, bad.message, takeRequestId(req.headers), true);
        return;
      }
      handler(req, res);
    };
  }

  /** An upgraded socket: no first-byte/idle deadline (the tunnel has its own rules), still counted as open. */
  markUpgraded(socket: Socket): void {
    const st = (socket as StatefulSocket)[STATE];
    if (st !== undefined) st.upgraded = true;
    socket.setTimeout(0);
  }

  /** Start of shutdown: idle connections close now, busy ones after their response; new requests get 503. */
  beginShutdown(): void {
    this.closing = true;
    for (const st of this.states) {
      if (st.upgraded) continue;
      if (st.inFlight === 0) {
        st.socket.destroy();
        continue;
      }
      st.closeAfter = true;
      const res = (st.socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (res && !res.headersSent) res.shouldKeepAlive = false;
    }
  }
}
