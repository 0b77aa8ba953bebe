/**
 * The facade's request path. A raw node:http handler that runs before any
 * Express router: check the target, match (pure), decide (pure), then hand the
 * request to the engine (engine.ts) for the chosen upstream, which sends it over
 * the lean client (relay/) or undici. Unmatched requests go to the Express app
 * (JSON 404). Bodies are never parsed; they are streamed, or buffered once
 * (with a limit → 413, and a global cap → 503) when they must go to two places
 * or the upstream already has its share of streamed uploads. Limits and
 * deadlines (docs/facade.md): queue deadline (engine/gate), body idle timeout
 * (one coarse watcher here), buffered-bytes cap.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { CapturedResponse } from './compare.ts';
import type { Breaker } from './breaker.ts';
import { decide, type DecideDeps, type DecideInput, type Decision } from './decide.ts';
import { BodyTimeout, DEFAULT_CLIENT_DRAIN_TIMEOUT_MS, RETRY_AFTER_SECONDS, failureStatus, forward, newCapture, sendJsonError, type AbortPhase, type Capture, type FailureKind, type ForwardHandler, type ForwardHooks } from './engine.ts';
import { LimitedLog } from './log-limit.ts';
import { checkedTarget, forwardHeaders, takeRequestId } from './headers.ts';
import { joinChunks, recordComparison, shadowFetch, type PendingComparison, type ShadowOutcome, type ShadowSink } from './shadow.ts';
import type { RouteStats, StatsStore } from './stats.ts';
import { peerTrusted, stickyConfig, stickyKey, type StickyConfig } from './sticky.ts';
import type { CompiledRoute, CompiledTable } from './table/compile.ts';
import type { OwnershipView } from './ownership-watch.ts';
import type { ProxyJob, Upstream } from './upstreams.ts';
import type { Logger } from '../lib/logger.ts';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_CAPTURE_LIMIT = 256 * 1024;
/** All request bodies buffered at once (shadow/fallback copies, uploads over the cap): 64 MiB. */
export const DEFAULT_BUFFER_TOTAL_LIMIT = 64 * 1024 * 1024;
/** No request body byte for this long → 408 (nginx's client_body_timeout is 60 s; a 2-core instance cannot wait that long for thousands). */
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 10_000;

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
  /** Global cap on buffered request body bytes (default DEFAULT_BUFFER_TOTAL_LIMIT). */
  bufferTotalLimit?: number;
  /** Request body idle timeout (default DEFAULT_BODY_IDLE_TIMEOUT_MS). */
  bodyIdleTimeoutMs?: number;
  /** A response its client does not drain for this long is cut (default DEFAULT_CLIENT_DRAIN_TIMEOUT_MS). */
  clientDrainTimeoutMs?: number;
  /** Trusted proxies (IPs / CIDRs) besides the table's options.trustedProxies, for the sticky client address. */
  trustedProxies?: string[];
  logger: Logger;
  /** The ownership registry's view (STRANGLER_OWNERSHIP_URL): routes whose legacy copy is stale never fall back. */
  ownership?: OwnershipView;
  /** Handles requests nothing matched (the Express app). */
  unmatched: (req: IncomingMessage, res: ServerResponse) => void;
}


/** Answered by the facade itself (readiness probes, `npm start`); never proxied. */
export const HEALTH_PATH = '/__strangler/health';
/** No trusted proxies configured in the environment (one array, so the compiled sticky options stay cached). */

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
class BufferFull extends Error {}
class ClientGone extends Error {}

/**
 * What every request of one handler shares: the account of buffered body bytes (global cap), the body-idle
 * watcher (one coarse timer for all requests whose body is being read, no timer per request or chunk: it
 * compares each socket's `bytesRead` between ticks) and the rate-limited warn log.
 */
class PathContext {
  readonly deps: FacadeDeps;
  readonly log: LimitedLog;
  readonly bufferLimit: number;
  readonly idleMs: number;
  readonly tickMs: number;
  readonly drainMs: number;
  readonly trustedProxies: string[];
  buffered = 0;
  private readonly watched = new Set<Exchange>();
  private timer: NodeJS.Timeout | null = null;

  constructor(deps: FacadeDeps) {
    this.deps = deps;
    this.log = new LimitedLog(deps.logger);
    this.bufferLimit = deps.bufferTotalLimit ?? DEFAULT_BUFFER_TOTAL_LIMIT;
    this.idleMs = deps.bodyIdleTimeoutMs ?? DEFAULT_BODY_IDLE_TIMEOUT_MS;
    this.tickMs = Math.min(1000, Math.max(25, Math.floor(this.idleMs / 4)));
    this.drainMs = deps.clientDrainTimeoutMs ?? DEFAULT_CLIENT_DRAIN_TIMEOUT_MS;
    this.trustedProxies = deps.trustedProxies ?? [];
  }

  /** Watches the request body of `ex` until it is complete or the exchange settles. */
  watch(ex: Exchange): void {
    ex.bodySeenBytes = -1;
    ex.bodySeenAt = performance.now();
    this.watched.add(ex);
    if (this.timer === null) this.arm();
  }

  /**
   * `ex` settled: stop watching it now rather than at the next tick, so a finished exchange (and its request,
   * response and buffers) is garbage at once and dies young, instead of surviving up to a tick (≤ 1 s: thousands
   * of requests under load) and being copied into the old generation.
   */
  unwatch(ex: Exchange): void {
    this.watched.delete(ex);
  }

  private arm(): void {
    this.timer = setTimeout(() => this.sweep(), this.tickMs);
    this.timer.unref();
  }

  private sweep(): void {
    this.timer = null;
    const now = performance.now();
    for (const ex of this.watched) {
      const req = ex.req;
      if (ex.settled || req.complete) {
        this.watched.delete(ex);
        continue;
      }
      const bytes = req.socket?.bytesRead ?? -2;
      // only while someone reads the body (not queued, not held back by a slow upstream)
      if (bytes !== ex.bodySeenBytes || req.readableFlowing !== true) {
        ex.bodySeenBytes = bytes;
        ex.bodySeenAt = now;
      } else if (now - ex.bodySeenAt >= this.idleMs) {
        this.watched.delete(ex);
        ex.bodyTimedOut();
      }
    }
    if (this.watched.size > 0) this.arm();
  }
}

/**
 * The route decision's input, one object reused for every request (decide() is synchronous and keeps nothing):
 * no input object, sticky-key closure and deps object per request. Its request fields are cleared after each
 * decision, so this long-lived object never keeps a finished request's headers reachable.
 */
class DecideScratch implements DecideInput, DecideDeps {
  method = '';
  shadowInFlight = 0;
  legacyStale = false;
  headers: IncomingMessage['headers'] | null = null;
  remoteAddress: string | undefined = undefined;
  sticky: StickyConfig | null = null;
  readonly rand: () => number;
  readonly now: () => number;
  breaker: Breaker = null as unknown as Breaker;

  constructor(deps: FacadeDeps) {
    this.rand = deps.rand;
    this.now = deps.now;
  }

  stickyKey(): string {
    return stickyKey(this.headers!, this.remoteAddress, this.sticky!);
  }

  decide(route: CompiledRoute, req: IncomingMessage, sticky: StickyConfig, shadowInFlight: number, legacyStale: boolean, breaker: Breaker): Decision {
    this.method = req.method!;
    this.headers = req.headers;
    this.remoteAddress = req.socket.remoteAddress;
    this.sticky = sticky;
    this.shadowInFlight = shadowInFlight;
    this.legacyStale = legacyStale;
    this.breaker = breaker;
    try {
      return decide(route.spec, this, this);
    } finally {
      this.headers = null;
      this.sticky = null;
    }
  }
}

/** One shadow or noise copy of an exchange: counted when it is back, compared once the primary answer is in too. */
class Comparison implements ShadowSink {
  readonly ex: Exchange;
  readonly kind: 'service' | 'noise';
  /** The service copy's upstream (its latency is recorded), null for a noise copy. */
  readonly upstream: string | null;
  readonly started = performance.now();
  outcome: ShadowOutcome | null = null;

  constructor(ex: Exchange, kind: 'service' | 'noise', upstream: string | null) {
    this.ex = ex;
    this.kind = kind;
    this.upstream = upstream;
  }

  shadowDone(o: ShadowOutcome): void {
    const ex = this.ex;
    if (this.upstream !== null) {
      ex.stats.shadow.inFlight--;
      // a pipelined copy's wait behind earlier answers is the facade's batching, not the service's time
      if (o.ok && !o.response.truncated) ex.stats.recordShadowLatency(this.upstream, (performance.now() - this.started - (o.queuedMs ?? 0)) / 1000);
    }
    this.outcome = o;
    if (ex.pending !== null) ex.record(this);
  }
}

/** One request through the facade: implements the engine hooks and the job the proxy pass runs. */
class Exchange implements ProxyJob, ForwardHooks {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly ctx: PathContext;
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
  settled = false;
  capture: Capture | null = null;
  primaryHead: Record<string, string | string[] | undefined> | null = null;
  comparisons: Comparison[] | null = null;
  /** Set when the primary answer is in (or failed: null): comparisons whose copy is back are recorded from then on. */
  pending: PendingComparison | null = null;
  primaryCapture: CapturedResponse | null = null;
  /** The forward in progress (to time its body out). */
  handler: ForwardHandler | null = null;
  /** Bytes of this request's body counted in the global buffer account. */
  bufferedBytes = 0;
  /** While the body is being buffered: fails the read (body timeout). */
  bodyReject: ((err: Error) => void) | null = null;
  bodySeenBytes = -1;
  bodySeenAt = 0;

  constructor(req: IncomingMessage, res: ServerResponse, ctx: PathContext, requestId: string, stats: RouteStats, route: CompiledRoute | null, statsId: string, routeHeader: boolean) {
    this.req = req;
    this.res = res;
    this.ctx = ctx;
    this.deps = ctx.deps;
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
    const toService = this.decision !== null && this.decision.target === 'service';
    this.handler = forward(upstream, this.res, {
      method: this.req.method!,
      path: toService ? this.servicePath() : this.req.url!,
      headers: this.req.headers,
      body: this.body ?? (this.streamBody ? this.req : null),
      requestId: this.requestId,
      extraHeaders: this.routeHeader ? { 'x-strangler-route': `${this.statsId}; upstream=${upstream.name}` } : null,
      capture: this.capture,
      drainTimeoutMs: this.ctx.drainMs,
    }, this);
  }

  /** The target sent to the route's service: its `rewrite` applied (legacy always gets the original). */
  servicePath(): string {
    const rw = this.route?.rewrite;
    return rw ? rw(this.req.url!) : this.req.url!;
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
        if (d.staleRefused) this.refuseStaleFallback('status-5xx');
      }
    }
    if (this.capture !== null) this.primaryHead = { ...headers };
    return true;
  }

  onFailure(kind: FailureKind): boolean {
    this.stats.recordUpstreamError(this.upstreamName, kind);
    if (kind === 'busy') this.stats.recordQueueTimeout(this.upstreamName);
    const d = this.decision;
    if (d !== null && d.target === 'service') {
      this.stats.breaker?.record(false, this.deps.now(), d.probe);
      if (d.fallback) {
        this.ctx.log.warn('fallback', { requestId: this.requestId, route: this.statsId, upstream: this.upstreamName, failure: kind }, 'service failed; legacy answers instead');
        this.fallBack(kind);
        return true;
      }
      if (d.staleRefused && kind !== 'aborted') this.refuseStaleFallback(kind);
    }
    return false;
  }

  onDone(status: number, failure: FailureKind | null, capture: Capture | null): void {
    if (this.fellBack) return; // the fallback reports for itself
    this.finish(status, failure);
    if (this.comparisons !== null) this.compare(failure === null && capture !== null && status > 0 ? capture : null, status);
  }

  onAbort(phase: AbortPhase): void {
    this.stats.recordAbort(phase);
    this.ctx.log.warn('client-abort', { requestId: this.requestId, route: this.statsId, upstream: this.upstreamName, phase }, 'client left before its answer; upstream request cancelled');
  }

  onQueueWait(waitedMs: number): void {
    this.deps.stats.metrics.queueWait.labels(this.upstreamName).observe(waitedMs / 1000);
  }

  onStall(stalledMs: number): void {
    this.stats.recordStall();
    this.ctx.log.warn('client-stall', { requestId: this.requestId, route: this.statsId, upstream: this.upstreamName, stalledMs }, 'client read nothing within the drain deadline; response cut, upstream request cancelled');
  }

  /** Settles the request once: stats, metrics, the warn line for failures, and the buffered bytes back. */
  finish(status: number, failure: FailureKind | null): void {
    if (this.settled) return;
    this.settle();
    const d = this.decision;
    if (failure === 'aborted') {
      this.stats.aborted++;
      if (d !== null && d.probe && !this.fellBack) this.stats.breaker?.cancelProbe();
      return;
    }
    const answered = failure !== null && status === 0 ? failureStatus(failure).status : status;
    this.stats.record(this.upstreamName, answered, (performance.now() - this.start) / 1000);
    if (failure === null) return;
    if (failure === 'body-timeout') {
      this.stats.recordBodyTimeout();
      if (d !== null && d.probe && !this.fellBack) this.stats.breaker?.cancelProbe();
    }
    this.ctx.log.warn(failure, { requestId: this.requestId, route: this.statsId, upstream: this.upstreamName, status: answered },
      failure === 'busy' ? 'no pooled connection within the queue deadline' : failure === 'body-timeout' ? 'request body stopped arriving' : 'upstream request failed');
  }

  /** Marks the exchange settled (once): its buffered bytes go back and the body watcher lets go of it. */
  settle(): void {
    this.settled = true;
    this.releaseBuffer();
    this.ctx.unwatch(this); // a no-op unless the body watcher holds it
  }

  releaseBuffer(): void {
    if (this.bufferedBytes !== 0) {
      this.ctx.buffered -= this.bufferedBytes;
      this.bufferedBytes = 0;
    }
  }

  /** Answered by the facade itself before any upstream (413, 408, 503 buffer full): counted and logged. */
  refuse(status: number, code: string, message: string, kind: string, extra: Record<string, string> | null = null): void {
    sendJsonError(this.res, status, code, message, this.requestId, true, extra);
    if (this.settled) return;
    this.settle();
    const d = this.decision;
    if (d !== null && d.probe) this.stats.breaker?.cancelProbe();
    this.stats.record(this.upstreamName, status, (performance.now() - this.start) / 1000);
    this.ctx.log.warn(kind, { requestId: this.requestId, route: this.statsId, upstream: this.upstreamName, status }, message);
  }

  bodyTimedOut(): void {
    if (this.bodyReject !== null) this.bodyReject(new BodyTimeout());
    else this.handler?.bodyTimeout();
  }

  /** The service failed and legacy would have answered, but its copy of the route's domain is stale: pass the failure on. */
  refuseStaleFallback(failure: string): void {
    this.stats.recordFallbackRefused('stale-fallback-refused');
    this.ctx.log.warn('stale-fallback-refused', { requestId: this.requestId, route: this.statsId, upstream: this.upstreamName, domain: this.route?.spec.domain, failure },
      'service failed; fallback to legacy refused because legacy\'s copy of the domain is stale (split cut over or unknown)');
  }

  fallBack(reason: string): void {
    this.fellBack = true;
    this.stats.recordFallback(reason);
    const legacyName = this.route!.spec.legacy;
    const legacy = this.deps.active().upstreams.get(legacyName);
    if (legacy === undefined) {
      sendJsonError(this.res, 502, 'BAD_GATEWAY', 'The upstream service failed', this.requestId);
      this.upstreamName = legacyName;
      this.finish(0, 'other');
      return;
    }
    const ex = this;
    const hooks: ForwardHooks = {
      onHead: () => true,
      onFailure: (kind) => {
        ex.stats.recordUpstreamError(legacyName, kind);
        if (kind === 'busy') ex.stats.recordQueueTimeout(legacyName);
        return false;
      },
      onDone: (status, failure) => {
        ex.upstreamName = legacyName;
        ex.finish(status, failure);
      },
      onAbort: (phase) => ex.onAbort(phase),
      onStall: (ms) => ex.onStall(ms),
      onQueueWait: (ms) => ex.deps.stats.metrics.queueWait.labels(legacyName).observe(ms / 1000),
    };
    this.handler = forward(legacy, this.res, {
      method: this.req.method!,
      path: this.req.url!,
      headers: this.req.headers,
      body: this.body,
      requestId: this.requestId,
      extraHeaders: this.routeHeader ? { 'x-strangler-route': `${this.statsId}; upstream=${legacyName}; fallback=${reason}` } : null,
      capture: null,
      drainTimeoutMs: this.ctx.drainMs,
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
      const c = new Comparison(this, 'service', d.shadow!);
      this.comparisons.push(c);
      const path = this.servicePath();
      shadowFetch(shadowUp.shadowPool, shadowUp.shadowLean, path === copy.path ? copy : { ...copy, path }, 'service', spec.timeoutMs, limit, c);
    }
    if (d.noise) {
      const legacyUp = active.upstreams.get(route.spec.legacy);
      if (legacyUp !== undefined) {
        this.stats.noise.sent++;
        const c = new Comparison(this, 'noise', null);
        this.comparisons.push(c);
        shadowFetch(legacyUp.shadowPool, legacyUp.shadowLean, copy, 'noise', spec.timeoutMs, limit, c);
      }
    }
  }

  /** The primary answer is in (`capture` null: it failed): every copy already back is compared now, the rest when they come. */
  compare(capture: Capture | null, status: number): void {
    this.primaryCapture = capture === null ? null
      : { status, headers: this.primaryHead ?? {}, body: joinChunks(capture.chunks, capture.size), truncated: capture.truncated };
    this.pending = { stats: this.stats, spec: this.route!.spec.shadow, requestId: this.requestId, method: this.req.method!, url: this.req.url! };
    for (const c of this.comparisons!) if (c.outcome !== null) this.record(c);
  }

  /** Compares one copy with the primary answer and records it; a comparison that throws (e.g. a body nested too deep to walk) is an error, counted like any other. */
  record(c: Comparison): void {
    try {
      recordComparison(this.pending!, c.kind, this.primaryCapture, c.outcome!);
    } catch (err) {
      if (c.kind === 'service') this.stats.recordShadow('error');
      else this.stats.recordNoise('error');
      this.ctx.log.warn('compare-error', { err, requestId: this.requestId, route: this.statsId, copy: c.kind }, 'shadow comparison failed');
    }
  }

  /**
   * Sends the request to its primary upstream. Matching already happened, so neither the http-proxy-middleware
   * wrapper nor its proxy server's `web()` (an options copy, a promise and two response listeners per request,
   * around a pass chain that is only our engine) is in the way: the engine pass runs directly.
   */
  dispatch(upstream: Upstream): void {
    if (this.streamBody) this.ctx.watch(this);
    try {
      this.run(upstream);
    } catch (err) {
      this.deps.logger.warn({ err, requestId: this.requestId, route: this.statsId, upstream: upstream.name }, 'proxy error');
      sendJsonError(this.res, 502, 'BAD_GATEWAY', 'The upstream service failed', this.requestId);
      this.upstreamName = upstream.name;
      this.finish(0, 'other');
    }
  }

  /** Buffers the body (per-request and global caps, idle timeout), then dispatches; `then` runs after dispatch. */
  bufferThenDispatch(upstream: Upstream, then: (() => void) | null): void {
    this.upstreamName = upstream.name;
    this.ctx.watch(this);
    this.readBody(this.deps.bodyLimit).then((buf) => {
      this.body = buf;
      this.dispatch(upstream);
      if (then !== null) then();
    }, (err: Error) => {
      const limit = this.deps.bodyLimit;
      if (err instanceof TooLarge) this.refuse(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes`, 'too-large');
      else if (err instanceof BufferFull) {
        this.stats.recordBufferFull();
        this.refuse(503, 'REQUEST_BUFFER_FULL', 'Too many request bodies are buffered right now; try again shortly', 'buffer-full', { 'retry-after': RETRY_AFTER_SECONDS });
      } else if (err instanceof BodyTimeout) {
        this.stats.recordBodyTimeout();
        this.refuse(408, 'REQUEST_TIMEOUT', 'The request body stopped arriving', 'body-timeout');
      } else {
        this.onAbort('sending');
        this.settle();
        this.stats.aborted++;
        const d = this.decision;
        if (d !== null && d.probe) this.stats.breaker?.cancelProbe();
        if (!this.res.destroyed) this.res.destroy();
      }
    });
  }

  /** Reads the body once, up to `limit` bytes and within the global buffer account. */
  readBody(limit: number): Promise<Buffer> {
    const req = this.req;
    const ctx = this.ctx;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (c: Buffer) => {
        size += c.length;
        if (size > limit) return fail(new TooLarge());
        if (ctx.buffered + c.length > ctx.bufferLimit) return fail(new BufferFull());
        ctx.buffered += c.length;
        this.bufferedBytes += c.length;
        chunks.push(c);
      };
      const onEnd = () => {
        cleanup();
        resolve(Buffer.concat(chunks, size));
      };
      const fail = (err: Error) => {
        cleanup();
        reject(err);
      };
      const onError = () => fail(new ClientGone());
      const onClose = () => {
        if (!req.complete) fail(new ClientGone());
      };
      const cleanup = () => {
        this.bodyReject = null;
        req.removeListener('data', onData);
        req.removeListener('end', onEnd);
        req.removeListener('error', onError);
        req.removeListener('close', onClose);
      };
      this.bodyReject = fail;
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
      req.on('close', onClose);
    });
  }
}

export function createRequestHandler(deps: FacadeDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const ctx = new PathContext(deps);
  const scratch = new DecideScratch(deps);
  deps.stats.metrics.requestPath.source = () => ({ upstreams: deps.active().upstreams.values(), bufferedBytes: ctx.buffered });
  return function handle(req, res) {
    const requestId = takeRequestId(req.headers);
    // checked and normalised in one pass; one form of the target is matched and forwarded (docs/facade.md "Path matching")
    const target = checkedTarget(req.url);
    if ('status' in target) {
      sendJsonError(res, target.status, target.code, target.message, requestId, true);
      return;
    }
    if (target.url !== req.url) req.url = target.url;
    const path = target.path;
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
        ctx.log.warn('too-large', { requestId, route: m.kind === 'route' ? m.route.id : m.upstream, status: 413 }, 'declared request body over the limit');
        return;
      }
    }
    const peer = req.socket.remoteAddress;
    const sticky = stickyConfig(active.compiled.table.options, ctx.trustedProxies);
    req.headers = forwardHeaders(req.headers, requestId, peer, (req.socket as TLSSocket).encrypted === true, peerTrusted(sticky, peer));
    const routeHeader = active.compiled.table.options.routeHeader;
    if (m.kind === 'fallback') {
      const statsId = 'fallback:' + (m.rule.host ?? '') + (m.rule.prefix ?? '');
      const ex = new Exchange(req, res, ctx, requestId, active.routeStats.get(statsId) ?? deps.stats.get(statsId), null, statsId, routeHeader);
      const up = active.upstreams.get(m.upstream)!;
      // over the upload cap, the body is buffered first, so slow uploaders never hold pooled connections
      if (withBody && up.gate.uploads >= up.gate.maxUploads) ex.bufferThenDispatch(up, null);
      else {
        ex.streamBody = withBody;
        ex.dispatch(up);
      }
      return;
    }
    const route = m.route;
    const stats = active.routeStats.get(route.id) ?? deps.stats.get(route.id);
    const ex = new Exchange(req, res, ctx, requestId, stats, route, route.id, routeHeader);
    const d = scratch.decide(route, req, sticky, stats.shadow.inFlight, deps.ownership !== undefined && deps.ownership.legacyStale(route.spec),
      stats.breaker ?? stats.ensureBreaker(route.spec.breaker));
    ex.decision = d;
    if (d.refuse) {
      ex.upstreamName = d.primary;
      stats.recordFallbackRefused('stale-fallback-refused');
      ex.refuse(503, 'SERVICE_UNAVAILABLE', 'The service is unavailable (circuit open) and legacy\'s copy of this data is stale', 'stale-fallback-refused', { 'retry-after': RETRY_AFTER_SECONDS });
      return;
    }
    if (d.target === 'service') stats.toService++;
    else if (d.reason === 'breaker-open') stats.recordFallback('breaker-open');
    else if (d.reason === 'shadow-saturated') stats.recordShadow('skipped');
    const primary = active.upstreams.get(d.primary)!;
    const mustBuffer = withBody && (d.shadow !== null || d.fallback || primary.gate.uploads >= primary.gate.maxUploads);
    // the primary goes out first; shadow/noise copies follow and never hold it up
    if (d.shadow !== null) ex.capture = newCapture(deps.captureLimit);
    if (!mustBuffer) {
      ex.streamBody = withBody;
      ex.dispatch(primary);
      if (d.shadow !== null) ex.startComparisons(active, d);
      return;
    }
    ex.bufferThenDispatch(primary, d.shadow !== null ? () => ex.startComparisons(active, d) : null);
  };
}
