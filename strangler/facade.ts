/**
 * The facade's request path. A raw node:http handler that runs before any
 * Express router: check the target, match (pure), decide (pure), then hand the
 * request to the chosen upstream's http-proxy-middleware instance, whose
 * request pass is the undici engine. Unmatched requests go to the Express app
 * (JSON 404). Bodies are never parsed; they are streamed, or buffered once
 * (with a limit → 413) when they must go to two places.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { CapturedResponse } from './compare.ts';
import { decide, type Decision } from './decide.ts';
import { forward, newCapture, sendJsonError, type Capture, type FailureKind, type ForwardHooks } from './engine.ts';
import { checkRequestTarget, prepareForwardHeaders, takeRequestId } from './headers.ts';
import { recordComparison, shadowFetch, type PendingComparison, type ShadowOutcome } from './shadow.ts';
import type { RouteStats, StatsStore } from './stats.ts';
import { stickyKey } from './sticky.ts';
import type { CompiledRoute, CompiledTable } from './table/compile.ts';
import { PROXY_JOB, type ProxyJob, type Upstream } from './upstreams.ts';
import type { Logger } from '../lib/logger.ts';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_CAPTURE_LIMIT = 256 * 1024;

/** What is in force right now; replaced as a whole on reload. */
export interface ActiveTable {
  compiled: CompiledTable;
  upstreams: Map<string, Upstream>;
  /** Stats for each route id and fallback rule, resolved at compile time. */
  routeStats: Map<string, RouteStats>;
}

export interface FacadeDeps {
  active(): ActiveTable;
  stats: StatsStore;
  rand: () => number;
  now: () => number;
  bodyLimit: number;
  captureLimit: number;
  logger: Logger;
  /** Handles requests nothing matched (the Express app). */
  unmatched: (req: IncomingMessage, res: ServerResponse) => void;
}

type JobRequest = IncomingMessage & { [PROXY_JOB]?: ProxyJob };

/** Answered by the facade itself (readiness probes, `npm start`); never proxied. */
export const HEALTH_PATH = '/__strangler/health';

function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'x-request-id': requestId });
  res.end(text);
}

function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return (cl !== undefined && cl !== '0') || req.headers['transfer-encoding'] !== undefined;
}

class TooLarge extends Error {}

/** Reads the body once, up to `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        cleanup();
        reject(new TooLarge());
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      if (!req.complete) onError(new Error('client closed the connection'));
    };
    const cleanup = () => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      req.removeListener('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** One request through the facade: implements the engine hooks and the job the proxy pass runs. */
class Exchange implements ProxyJob, ForwardHooks {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly deps: FacadeDeps;
  readonly requestId: string;
  readonly start: number;
  readonly stats: RouteStats;
  readonly route: CompiledRoute | null;
  readonly statsId: string;
  readonly routeHeader: boolean;
  decision: Decision | null = null;
  upstreamName = '';
  body: Buffer | null = null;
  streamBody = false;
  fellBack = false;
  capture: Capture | null = null;
  primaryHead: Record<string, string | string[] | undefined> | null = null;
  comparisons: { kind: 'service' | 'noise'; promise: Promise<ShadowOutcome> }[] | null = null;

  constructor(req: IncomingMessage, res: ServerResponse, deps: FacadeDeps, requestId: string, stats: RouteStats, route: CompiledRoute | null, statsId: string, routeHeader: boolean) {
    this.req = req;
    this.res = res;
    this.deps = deps;
    this.requestId = requestId;
    this.start = performance.now();
    this.stats = stats;
    this.route = route;
    this.statsId = statsId;
    this.routeHeader = routeHeader;
  }

  /** Runs inside the upstream's http-proxy-middleware instance. */
  run(upstream: Upstream): void {
    this.upstreamName = upstream.name;
    forward(upstream, this.res, {
      method: this.req.method!,
      path: this.req.url!,
      headers: this.req.headers,
      body: this.body ?? (this.streamBody ? this.req : null),
      requestId: this.requestId,
      extraHeaders: this.routeHeader ? { 'x-strangler-route': `${this.statsId}; upstream=${upstream.name}` } : null,
      capture: this.capture,
    }, this);
  }

  onHead(status: number, headers: Record<string, string | string[] | undefined>): boolean {
    const d = this.decision;
    if (d !== null && d.target === 'service') {
      const ok = status < 500;
      this.stats.breaker?.record(ok, this.deps.now(), d.probe);
      if (!ok) {
        this.stats.recordUpstreamError(this.upstreamName, 'status-5xx');
        if (d.fallback) {
          this.fallBack('status-5xx');
          return false;
        }
      }
    }
    if (this.capture !== null) this.primaryHead = { ...headers };
    return true;
  }

  onFailure(kind: FailureKind): boolean {
    this.stats.recordUpstreamError(this.upstreamName, kind);
    const d = this.decision;
    if (d !== null && d.target === 'service') {
      this.stats.breaker?.record(false, this.deps.now(), d.probe);
      if (d.fallback) {
        this.fallBack(kind);
        return true;
      }
    }
    return false;
  }

  onDone(status: number, failure: FailureKind | null, capture: Capture | null): void {
    if (this.fellBack) return; // the fallback reports for itself
    this.finish(status, failure);
    if (this.comparisons !== null) this.compare(failure === null && capture !== null && status > 0 ? capture : null, status);
  }

  finish(status: number, failure: FailureKind | null): void {
    if (failure === 'aborted') {
      this.stats.aborted++;
      const d = this.decision;
      if (d !== null && d.probe && !this.fellBack) this.stats.breaker?.cancelProbe();
      return;
    }
    const answered = failure !== null && status === 0 ? (failure === 'timeout' ? 504 : 502) : status;
    this.stats.record(this.upstreamName, answered, (performance.now() - this.start) / 1000);
  }

  fallBack(reason: string): void {
    this.fellBack = true;
    this.stats.recordFallback(reason);
    const legacyName = this.route!.spec.legacy;
    const legacy = this.deps.active().upstreams.get(legacyName);
    if (legacy === undefined) {
      sendJsonError(this.res, 502, 'BAD_GATEWAY', 'The upstream service failed', this.requestId);
      return;
    }
    const ex = this;
    const hooks: ForwardHooks = {
      onHead: () => true,
      onFailure: (kind) => {
        ex.stats.recordUpstreamError(legacyName, kind);
        return false;
      },
      onDone: (status, failure) => {
        ex.upstreamName = legacyName;
        ex.finish(status, failure);
      },
    };
    forward(legacy, this.res, {
      method: this.req.method!,
      path: this.req.url!,
      headers: this.req.headers,
      body: this.body,
      requestId: this.requestId,
      extraHeaders: this.routeHeader ? { 'x-strangler-route': `${this.statsId}; upstream=${legacyName}; fallback=${reason}` } : null,
      capture: null,
    }, hooks);
  }

  startComparisons(active: ActiveTable, d: Decision): void {
    const route = this.route!;
    const spec = route.spec.shadow;
    const limit = this.deps.captureLimit;
    const copy = { method: this.req.method!, path: this.req.url!, headers: this.req.headers as Record<string, unknown>, body: this.body };
    this.comparisons = [];
    const shadowUp = active.upstreams.get(d.shadow!);
    if (shadowUp !== undefined) {
      this.stats.shadow.sent++;
      this.stats.shadow.inFlight++;
      const p = shadowFetch(shadowUp.pool, copy, 'service', spec.timeoutMs, limit);
      p.finally(() => this.stats.shadow.inFlight--);
      this.comparisons.push({ kind: 'service', promise: p });
    }
    if (d.noise) {
      const legacyUp = active.upstreams.get(route.spec.legacy);
      if (legacyUp !== undefined) {
        this.stats.noise.sent++;
        this.comparisons.push({ kind: 'noise', promise: shadowFetch(legacyUp.pool, copy, 'noise', spec.timeoutMs, limit) });
      }
    }
  }

  compare(capture: Capture | null, status: number): void {
    const primary: CapturedResponse | null = capture === null ? null
      : { status, headers: this.primaryHead ?? {}, body: Buffer.concat(capture.chunks, capture.size), truncated: capture.truncated };
    const pending: PendingComparison = { stats: this.stats, spec: this.route!.spec.shadow, requestId: this.requestId, method: this.req.method!, url: this.req.url! };
    for (const c of this.comparisons!) {
      c.promise.then((outcome) => recordComparison(pending, c.kind, primary, outcome)).catch((err) => this.deps.logger.warn({ err, requestId: this.requestId }, 'shadow comparison failed'));
    }
  }

  /**
   * Sends the request to its primary upstream through that upstream's http-proxy-middleware proxy server.
   * Matching already happened, so the middleware wrapper (path filter URL parse, option copies, router) is
   * skipped: its proxy server's `web()` runs the pass chain, whose request pass is the undici engine.
   */
  dispatch(upstream: Upstream): void {
    (this.req as JobRequest)[PROXY_JOB] = this;
    upstream.server.web(this.req, this.res, upstream.webOptions).catch((err: unknown) => {
      this.deps.logger.warn({ err, requestId: this.requestId }, 'proxy error');
      sendJsonError(this.res, 502, 'BAD_GATEWAY', 'The upstream service failed', this.requestId);
    });
  }
}

export function createRequestHandler(deps: FacadeDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger } = deps;
  return function handle(req, res) {
    const requestId = takeRequestId(req.headers);
    const bad = checkRequestTarget(req.url);
    if (bad !== null) {
      sendJsonError(res, bad.status, bad.code, bad.message, requestId, true);
      return;
    }
    const url = req.url!;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path === HEALTH_PATH) {
      sendJson(res, 200, { status: 'ok', version: deps.active().compiled.version }, requestId);
      return;
    }
    const active = deps.active();
    const m = active.compiled.match(req.method!, req.headers.host, path, req.headers);
    if (m === null) {
      req.headers['x-request-id'] = requestId;
      deps.unmatched(req, res);
      return;
    }
    const withBody = hasBody(req);
    if (withBody) {
      const cl = Number(req.headers['content-length']);
      if (cl > deps.bodyLimit) {
        sendJsonError(res, 413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${deps.bodyLimit} bytes`, requestId, true);
        return;
      }
    }
    prepareForwardHeaders(req.headers, requestId, req.socket.remoteAddress, (req.socket as TLSSocket).encrypted === true);
    const routeHeader = active.compiled.table.options.routeHeader;
    if (m.kind === 'fallback') {
      const statsId = 'fallback:' + (m.rule.host ?? '') + (m.rule.prefix ?? '');
      const ex = new Exchange(req, res, deps, requestId, active.routeStats.get(statsId) ?? deps.stats.get(statsId), null, statsId, routeHeader);
      ex.streamBody = withBody;
      ex.dispatch(active.upstreams.get(m.upstream)!);
      return;
    }
    const route = m.route;
    const stats = active.routeStats.get(route.id) ?? deps.stats.get(route.id);
    const ex = new Exchange(req, res, deps, requestId, stats, route, route.id, routeHeader);
    const opts = active.compiled.table.options;
    const d = decide(route.spec, {
      method: req.method!,
      stickyKey: () => stickyKey(req.headers, req.socket.remoteAddress, opts),
      shadowInFlight: stats.shadow.inFlight,
    }, { rand: deps.rand, now: deps.now, breaker: stats.breaker ?? stats.ensureBreaker(route.spec.breaker) });
    ex.decision = d;
    if (d.target === 'service') stats.toService++;
    else if (d.reason === 'breaker-open') stats.recordFallback('breaker-open');
    else if (d.reason === 'shadow-saturated') stats.recordShadow('skipped');
    const primary = active.upstreams.get(d.primary)!;
    const mustBuffer = withBody && (d.shadow !== null || d.fallback);
    // the primary goes out first; shadow/noise copies follow and never hold it up
    if (d.shadow !== null) ex.capture = newCapture(deps.captureLimit);
    if (!mustBuffer) {
      ex.streamBody = withBody;
      ex.dispatch(primary);
      if (d.shadow !== null) ex.startComparisons(active, d);
      return;
    }
    readBody(req, deps.bodyLimit).then((buf) => {
      ex.body = buf;
      ex.dispatch(primary);
      if (d.shadow !== null) ex.startComparisons(active, d);
    }, (err) => {
      if (err instanceof TooLarge) sendJsonError(res, 413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${deps.bodyLimit} bytes`, requestId, true);
      else {
        stats.aborted++;
        logger.debug({ err, requestId }, 'client went away while sending the body');
        if (!res.destroyed) res.destroy();
      }
      if (d.probe) stats.breaker?.cancelProbe();
    });
  };
}
