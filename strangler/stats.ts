/**
 * Live per-route statistics for the admin API, kept across reloads (keyed by
 * route id), plus the bound metric children used on the hot path.
 */
import { Breaker } from './breaker.ts';
import type { AbortPhase } from './engine.ts';
import { FastCounter, FastHistogram } from './fast-metrics.ts';
import type { FacadeMetrics } from './metrics.ts';
import type { OverlapFigure } from './overlap.ts';
import { OverlapStats } from './overlap-stats.ts';
import { Ring } from './ring.ts';
import { TopCounts } from './top-counts.ts';
import type { BreakerSpec } from './table/schema.ts';

export interface DiffRecord {
  at: string;
  requestId: string;
  method: string;
  url: string;
  differences: string[];
  legacy: { status: number; headers: Record<string, string>; body: string; truncated: boolean };
  service: { status: number; headers: Record<string, string>; body: string; truncated: boolean } | { error: string };
  /** The overlap figures of the route's `shadow.overlap` lists, when it declares any. */
  overlap?: OverlapFigure[];
}

const LATENCY_SAMPLES = 1024;
/** An ignore path that removed nothing in this many parsed comparisons is reported as unused (it probably has a typo). */
export const DEFAULT_UNUSED_IGNORE_AFTER = 20;
const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export class RouteStats {
  readonly id: string;
  requests = 0;
  byClass: Record<string, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  toService = 0;
  upstreamErrors = 0;
  fallbacks = 0;
  /** Fallbacks to legacy by reason (status-5xx, timeout, refused, breaker-open, ...). */
  fallbackReasons: Record<string, number> = {};
  /** Fallbacks that would have happened but were refused, by reason (stale-fallback-refused). */
  fallbacksRefused: Record<string, number> = {};
  aborted = 0;
  /** Clients that left, by where their request was. */
  aborts: Record<AbortPhase, number> = { queued: 0, sending: 0, waiting: 0, receiving: 0 };
  /** 503 UPSTREAM_BUSY (queue deadline), 408 (body idle), 503 REQUEST_BUFFER_FULL. */
  limits = { queueTimeouts: 0, bodyTimeouts: 0, bufferFull: 0, clientStalls: 0 };
  shadow = { sent: 0, matched: 0, mismatched: 0, errors: 0, skipped: 0, inFlight: 0 };
  /** Difference paths come from responses: counted top-N (shadow.diffPaths), the rest as "other" (top-counts.ts). */
  noise = { sent: 0, matched: 0, mismatched: 0, errors: 0, paths: new TopCounts() };
  shadowPaths = new TopCounts();
  diffs: Ring<DiffRecord>;
  noiseDiffs: Ring<DiffRecord>;
  /** Shadow overlap figures (routes with `shadow.overlap`), matches included. */
  overlap: OverlapStats;
  breaker: Breaker | null = null;
  /** Parsed comparisons (service and noise) and, per ignore path in force, how many of them it removed something from. */
  ignoreUse = { compared: 0, hits: new Map<string, number>() };
  private readonly latencies = new Float64Array(LATENCY_SAMPLES);
  private latencyN = 0;
  private readonly metrics: FacadeMetrics;
  /** Per upstream: request counter series by status class index (bound once, updated in place: fast-metrics.ts). */
  private readonly reqChildren = new Map<string, (FastCounter | undefined)[]>();
  private readonly durChildren = new Map<string, FastHistogram>();
  private readonly shadowDurChildren = new Map<string, FastHistogram>();
  /** strangler_shadow_total series by result, bound on first use (one per shadowed request: fast-metrics.ts). */
  private readonly shadowResultChildren = new Map<string, FastCounter>();

  constructor(id: string, metrics: FacadeMetrics, history: number) {
    this.id = id;
    this.metrics = metrics;
    this.diffs = new Ring(history);
    this.noiseDiffs = new Ring(history);
    this.overlap = new OverlapStats(history);
  }

  /**
   * Clears the live counters, latencies, difference paths and recorded diffs (`strangler stats reset`); the breaker
   * keeps its state and Prometheus counters keep counting (they are monotonic by contract).
   */
  resetCounters(): void {
    this.requests = 0;
    this.byClass = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
    this.toService = 0;
    this.upstreamErrors = 0;
    this.fallbacks = 0;
    this.fallbackReasons = {};
    this.fallbacksRefused = {};
    this.aborted = 0;
    this.aborts = { queued: 0, sending: 0, waiting: 0, receiving: 0 };
    this.limits = { queueTimeouts: 0, bodyTimeouts: 0, bufferFull: 0, clientStalls: 0 };
    this.shadow = { sent: 0, matched: 0, mismatched: 0, errors: 0, skipped: 0, inFlight: this.shadow.inFlight };
    const cap = this.shadowPaths.cap;
    this.noise = { sent: 0, matched: 0, mismatched: 0, errors: 0, paths: new TopCounts() };
    this.shadowPaths = new TopCounts();
    this.setPathCap(cap);
    this.diffs = new Ring(this.diffs.capacity);
    this.noiseDiffs = new Ring(this.noiseDiffs.capacity);
    this.overlap = new OverlapStats(this.diffs.capacity);
    this.latencyN = 0;
    this.ignoreUse = { compared: 0, hits: new Map([...this.ignoreUse.hits.keys()].map((k) => [k, 0])) };
  }

  ensureBreaker(spec: BreakerSpec): Breaker {
    if (this.breaker === null) this.breaker = new Breaker(spec);
    else this.breaker.spec = spec;
    return this.breaker;
  }

  resizeHistory(history: number): void {
    if (this.diffs.capacity !== history) {
      this.diffs = new Ring(history);
      this.noiseDiffs = new Ring(history);
    }
    this.overlap.resize(history);
  }

  /** The route's ignore list changed (a reload): its use is counted afresh (keys bounded by the list). */
  setIgnore(ignore: string[]): void {
    const keys = [...this.ignoreUse.hits.keys()];
    if (keys.length === ignore.length && keys.every((k, i) => k === ignore[i])) return;
    this.ignoreUse = { compared: 0, hits: new Map(ignore.map((p) => [p, 0])) };
  }

  recordIgnoreUse(ignore: string[], hits: boolean[]): void {
    if (ignore.length === 0) return;
    this.ignoreUse.compared++;
    for (let i = 0; i < ignore.length; i++) {
      const n = this.ignoreUse.hits.get(ignore[i]);
      if (n !== undefined && hits[i]) this.ignoreUse.hits.set(ignore[i], n + 1);
    }
  }

  /** Ignore paths in force with how often they matched; `unused` once none matched in DEFAULT_UNUSED_IGNORE_AFTER parsed comparisons. */
  ignoreReport() {
    const { compared, hits } = this.ignoreUse;
    const paths = [...hits].map(([path, matched]) => ({ path: `body.${path}`, matched, compared }));
    return { compared, paths, unused: compared >= DEFAULT_UNUSED_IGNORE_AFTER ? paths.filter((p) => p.matched === 0).map((p) => p.path) : [] };
  }

  /** Bounds the difference-path counts (route's `shadow.diffPaths`). */
  setPathCap(cap: number): void {
    if (this.shadowPaths.cap !== cap) this.shadowPaths.setCap(cap);
    if (this.noise.paths.cap !== cap) this.noise.paths.setCap(cap);
  }

  /** Called once per answered request. */
  record(upstream: string, status: number, seconds: number): void {
    this.requests++;
    const ci = status >= 100 && status < 600 ? ((status / 100) | 0) - 1 : 4;
    const cls = CLASSES[ci];
    this.byClass[cls]++;
    this.latencies[this.latencyN++ % LATENCY_SAMPLES] = seconds;
    let byClass = this.reqChildren.get(upstream);
    if (byClass === undefined) {
      byClass = new Array(CLASSES.length);
      this.reqChildren.set(upstream, byClass);
    }
    let c = byClass[ci];
    if (c === undefined) {
      c = new FastCounter(this.metrics.requests, [this.id, upstream, cls]);
      byClass[ci] = c;
    }
    c.inc();
    let h = this.durChildren.get(upstream);
    if (h === undefined) {
      h = new FastHistogram(this.metrics.duration, [this.id, upstream]);
      this.durChildren.set(upstream, h);
    }
    h.observe(seconds);
  }

  /** The service answered a shadow copy completely after `seconds`. */
  recordShadowLatency(upstream: string, seconds: number): void {
    let h = this.shadowDurChildren.get(upstream);
    if (h === undefined) {
      h = new FastHistogram(this.metrics.shadowDuration, [this.id, upstream]);
      this.shadowDurChildren.set(upstream, h);
    }
    h.observe(seconds);
  }

  recordUpstreamError(upstream: string, kind: string): void {
    this.upstreamErrors++;
    this.metrics.upstreamErrors.labels(this.id, upstream, kind).inc();
  }

  /** A client left before its answer (the `aborted` total is counted when the request settles). */
  recordAbort(phase: AbortPhase): void {
    this.aborts[phase]++;
    this.metrics.clientAborts.labels(this.id, phase).inc();
  }

  recordQueueTimeout(upstream: string): void {
    this.limits.queueTimeouts++;
    this.metrics.queueTimeouts.labels(this.id, upstream).inc();
  }

  recordBodyTimeout(): void {
    this.limits.bodyTimeouts++;
    this.metrics.bodyTimeouts.labels(this.id).inc();
  }

  /** A client read nothing within the drain deadline (its response was cut). */
  recordStall(): void {
    this.limits.clientStalls++;
    this.metrics.clientStalls.labels(this.id).inc();
  }

  recordBufferFull(): void {
    this.limits.bufferFull++;
    this.metrics.bufferFull.labels(this.id).inc();
  }

  recordFallback(reason: string): void {
    this.fallbacks++;
    this.fallbackReasons[reason] = (this.fallbackReasons[reason] ?? 0) + 1;
    this.metrics.fallbacks.labels(this.id, reason).inc();
  }

  recordFallbackRefused(reason: string): void {
    this.fallbacksRefused[reason] = (this.fallbacksRefused[reason] ?? 0) + 1;
    this.metrics.fallbacksRefused.labels(this.id, reason).inc();
  }

  recordShadow(result: 'match' | 'mismatch' | 'error' | 'skipped', differences: string[] = []): void {
    if (result === 'match') this.shadow.matched++;
    else if (result === 'mismatch') this.shadow.mismatched++;
    else if (result === 'error') this.shadow.errors++;
    else this.shadow.skipped++;
    for (const p of differences) this.shadowPaths.add(p);
    let c = this.shadowResultChildren.get(result);
    if (c === undefined) {
      c = new FastCounter(this.metrics.shadow, [this.id, result]);
      this.shadowResultChildren.set(result, c);
    }
    c.inc();
  }

  /** Overlap figures of one shadow comparison (service vs legacy), whatever its result. */
  recordOverlap(figures: OverlapFigure[], ctx: { requestId: string; url: string; match: boolean }): void {
    this.overlap.record(figures, ctx);
    for (const f of figures) {
      this.metrics.overlap.labels(this.id, f.path, String(f.judged)).observe(f.value);
      if (f.total?.ratio != null) this.metrics.totalRatio.labels(this.id, f.path).observe(f.total.ratio);
    }
  }

  recordNoise(result: 'match' | 'mismatch' | 'error', differences: string[] = []): void {
    if (result === 'match') this.noise.matched++;
    else if (result === 'mismatch') this.noise.mismatched++;
    else this.noise.errors++;
    for (const p of differences) this.noise.paths.add(p);
    this.metrics.noise.labels(this.id, result).inc();
  }

  latency(): { p50: number; p99: number; samples: number } {
    const n = Math.min(this.latencyN, LATENCY_SAMPLES);
    if (n === 0) return { p50: 0, p99: 0, samples: 0 };
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    const at = (q: number) => Math.round(sorted[Math.min(n - 1, Math.floor(q * n))] * 1e6) / 1e3;
    return { p50: at(0.5), p99: at(0.99), samples: n };
  }

  /** Noise report (Diffy-style): how often legacy disagrees with itself, and on which paths. */
  noiseReport() {
    const compared = this.noise.matched + this.noise.mismatched;
    const noisySet = new Set(this.noise.paths.keys());
    const shadowCompared = this.shadow.matched + this.shadow.mismatched;
    return {
      route: this.id,
      noise: { compared, mismatched: this.noise.mismatched, errors: this.noise.errors, rate: compared ? this.noise.mismatched / compared : 0 },
      shadow: { compared: shadowCompared, mismatched: this.shadow.mismatched, rate: shadowCompared ? this.shadow.mismatched / shadowCompared : 0 },
      /** Top `shadow.diffPaths` paths by guaranteed count; `otherPaths` counts the differences not attributed to a listed path. */
      noisyPaths: this.noise.paths.top(),
      /** Paths that differ between legacy and service but never between legacy and itself: the real differences. */
      realDifferencePaths: this.shadowPaths.top().filter((p) => !noisySet.has(p.path)),
      otherPaths: { noise: this.noise.paths.other, shadow: this.shadowPaths.other },
      /** Ignore paths (in the reports' syntax) and how often each removed something; `unused` ones never matched. */
      ignore: this.ignoreReport(),
    };
  }

  summary() {
    const b = this.breaker;
    return {
      requests: this.requests,
      byClass: { ...this.byClass },
      toService: this.toService,
      upstreamErrors: this.upstreamErrors,
      fallbacks: this.fallbacks,
      fallbackReasons: { ...this.fallbackReasons },
      fallbacksRefused: { ...this.fallbacksRefused },
      aborted: this.aborted,
      aborts: { ...this.aborts },
      limits: { ...this.limits },
      latencyMs: this.latency(),
      shadow: { ...this.shadow },
      noise: { matched: this.noise.matched, mismatched: this.noise.mismatched, errors: this.noise.errors },
      breaker: b ? { state: b.state, opens: b.opens } : null,
    };
  }
}

export class StatsStore {
  private readonly byRoute = new Map<string, RouteStats>();
  readonly metrics: FacadeMetrics;

  constructor(metrics: FacadeMetrics) {
    this.metrics = metrics;
  }

  get(id: string, history = 50): RouteStats {
    let s = this.byRoute.get(id);
    if (s === undefined) {
      s = new RouteStats(id, this.metrics, history);
      this.byRoute.set(id, s);
    }
    return s;
  }

  peek(id: string): RouteStats | undefined {
    return this.byRoute.get(id);
  }

  /** A route was removed through the admin API: its live stats go too (route ids come and go; the map must not grow). */
  forget(id: string): void {
    this.byRoute.delete(id);
  }
}
