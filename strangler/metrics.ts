/**
 * Prometheus metrics (prom-client), one Registry per facade instance.
 * Hot-path code keeps pre-bound label children, never label objects per request; the per-request counter and
 * duration histogram go through fast-metrics.ts (series entries updated in place).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface FacadeMetrics {
  registry: Registry;
  requests: Counter<'route' | 'upstream' | 'code'>;
  duration: Histogram<'route' | 'upstream'>;
  upstreamErrors: Counter<'route' | 'upstream' | 'kind'>;
  fallbacks: Counter<'route' | 'reason'>;
  fallbacksRefused: Counter<'route' | 'reason'>;
  breakerState: Gauge<'route'>;
  shadow: Counter<'route' | 'result'>;
  /** Time to the service's complete answer to a shadow copy (the dashboard's service latency while a route is in shadow). */
  shadowDuration: Histogram<'route' | 'upstream'>;
  noise: Counter<'route' | 'result'>;
  overlap: Histogram<'route' | 'list' | 'judged'>;
  totalRatio: Histogram<'route' | 'list'>;
  tableVersion: Gauge;
  reloads: Counter<'result'>;
  clientAborts: Counter<'route' | 'phase'>;
  queueTimeouts: Counter<'route' | 'upstream'>;
  bodyTimeouts: Counter<'route'>;
  bufferFull: Counter<'route'>;
  clientStalls: Counter<'route'>;
  queueWait: Histogram<'upstream'>;
  clientConnections: Gauge;
  connectionsRejected: Counter<'reason'>;
  clientErrors: Counter<'code'>;
  connectionTimeouts: Counter<'kind'>;
  /** Requests node completed on a connection already answered with 408/400 (late head bytes): dropped. */
  lateRequests: Counter;
  upgradesOpen: Gauge<'upstream'>;
  upgrades: Counter<'upstream' | 'result'>;
  /** Read at scrape time: set by the request handler (facade.ts). */
  requestPath: { source: (() => RequestPathSnapshot) | null };
}

/** Request-path state sampled when metrics are scraped (no gauge updates on the hot path). */
export interface RequestPathSnapshot {
  upstreams: Iterable<{ name: string; gate: { inFlight: number; queued: number; uploads: number } }>;
  bufferedBytes: number;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): FacadeMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'strangler_' });
  const registers = [registry];
  const requestPath: FacadeMetrics['requestPath'] = { source: null };
  const perUpstream = (name: string, help: string, pick: (g: { inFlight: number; queued: number; uploads: number }) => number) => new Gauge({
    name, help, labelNames: ['upstream'], registers,
    collect() {
      const snap = requestPath.source?.();
      this.reset();
      if (snap) for (const u of snap.upstreams) this.labels(u.name).set(pick(u.gate));
    },
  });
  perUpstream('strangler_upstream_queue_length', 'Requests waiting for a pooled connection, per upstream', (g) => g.queued);
  perUpstream('strangler_upstream_in_flight', 'Requests handed to the upstream pool, per upstream (at most its pool size)', (g) => g.inFlight);
  perUpstream('strangler_upstream_uploads', 'Requests streaming their body to the upstream (capped by maxUploads)', (g) => g.uploads);
  new Gauge({
    name: 'strangler_buffered_request_bytes', help: 'Request body bytes buffered in memory right now (capped by STRANGLER_BUFFER_TOTAL_LIMIT)', registers,
    collect() {
      this.set(requestPath.source?.().bufferedBytes ?? 0);
    },
  });
  return {
    requestPath,
    clientAborts: new Counter({ name: 'strangler_client_aborts_total', help: 'Clients that left before their answer, by where the request was: queued, sending, waiting, receiving', labelNames: ['route', 'phase'], registers }),
    queueTimeouts: new Counter({ name: 'strangler_queue_timeouts_total', help: 'Requests answered 503 UPSTREAM_BUSY: no pooled connection within queueTimeoutMs', labelNames: ['route', 'upstream'], registers }),
    bodyTimeouts: new Counter({ name: 'strangler_body_timeouts_total', help: 'Requests answered 408: no request body byte within STRANGLER_BODY_IDLE_TIMEOUT_MS', labelNames: ['route'], registers }),
    bufferFull: new Counter({ name: 'strangler_buffer_full_total', help: 'Requests answered 503 REQUEST_BUFFER_FULL: buffering their body would exceed STRANGLER_BUFFER_TOTAL_LIMIT', labelNames: ['route'], registers }),
    clientStalls: new Counter({ name: 'strangler_client_stalls_total', help: 'Responses cut because the client read nothing within STRANGLER_CLIENT_DRAIN_TIMEOUT_MS (the upstream request is cancelled)', labelNames: ['route'], registers }),
    queueWait: new Histogram({
      name: 'strangler_upstream_queue_wait_seconds', help: 'Time requests that had to queue waited for a pooled connection (admitted ones)', labelNames: ['upstream'], registers,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    registry,
    requests: new Counter({ name: 'strangler_requests_total', help: 'Requests answered, by route, upstream and status class', labelNames: ['route', 'upstream', 'code'], registers }),
    duration: new Histogram({
      name: 'strangler_request_duration_seconds', help: 'Facade request latency (to the end of the response)', labelNames: ['route', 'upstream'], registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    upstreamErrors: new Counter({ name: 'strangler_upstream_errors_total', help: 'Upstream failures (timeout, refused, reset, protocol, 5xx)', labelNames: ['route', 'upstream', 'kind'], registers }),
    fallbacks: new Counter({ name: 'strangler_fallbacks_total', help: 'Service requests answered by legacy instead', labelNames: ['route', 'reason'], registers }),
    fallbacksRefused: new Counter({ name: 'strangler_fallbacks_refused_total', help: 'Failed service answers passed on because legacy was not a safe fallback (reason stale-fallback-refused: the route\'s domain is split)', labelNames: ['route', 'reason'], registers }),
    breakerState: new Gauge({ name: 'strangler_breaker_state', help: 'Circuit breaker per route: 0 closed, 1 half-open, 2 open', labelNames: ['route'], registers }),
    shadowDuration: new Histogram({
      name: 'strangler_shadow_duration_seconds', help: 'Time until the service answered a shadow copy completely (answered copies only)', labelNames: ['route', 'upstream'], registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    shadow: new Counter({ name: 'strangler_shadow_total', help: 'Shadow comparisons: match, mismatch, error, skipped', labelNames: ['route', 'result'], registers }),
    noise: new Counter({ name: 'strangler_noise_total', help: 'Noise comparisons (legacy vs legacy): match, mismatch, error', labelNames: ['route', 'result'], registers }),
    overlap: new Histogram({
      name: 'strangler_shadow_overlap', help: 'Shadow set-overlap score per compared list (shadow.overlap: recall or jaccard, 0..1); judged="false": reported, not held against the answer', labelNames: ['route', 'list', 'judged'], registers,
      buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 1],
    }),
    totalRatio: new Histogram({
      name: 'strangler_shadow_total_ratio', help: "Shadow count ratio, service / legacy, of an overlap list's declared total", labelNames: ['route', 'list'], registers,
      buckets: [0.5, 0.8, 0.9, 0.99, 1, 1.1, 1.25, 1.5, 2, 3, 5, 10],
    }),
    tableVersion: new Gauge({ name: 'strangler_table_version', help: 'Version of the route table in use', registers }),
    reloads: new Counter({ name: 'strangler_table_reloads_total', help: 'Route table loads: applied or rejected', labelNames: ['result'], registers }),
    clientConnections: new Gauge({ name: 'strangler_client_connections', help: 'Open client connections on the proxy port (upgraded ones included)', registers }),
    connectionsRejected: new Counter({ name: 'strangler_connections_rejected_total', help: 'Client connections closed on accept: max-connections, per-client, shutting-down', labelNames: ['reason'], registers }),
    clientErrors: new Counter({ name: 'strangler_client_errors_total', help: 'Client requests that failed parsing, by llhttp/node error code', labelNames: ['code'], registers }),
    connectionTimeouts: new Counter({ name: 'strangler_connection_timeouts_total', help: 'Client connections cut by a deadline: first-byte, headers, request, idle, upgrade', labelNames: ['kind'], registers }),
    lateRequests: new Counter({ name: 'strangler_late_requests_dropped_total', help: 'Requests node:http completed on a client connection after it was answered with 408 or 400 (the rest of a timed-out head arrived): dropped, never sent upstream', registers }),
    upgradesOpen: new Gauge({ name: 'strangler_upgrades_open', help: 'Upgraded (and handshaking) connections per upstream', labelNames: ['upstream'], registers }),
    upgrades: new Counter({ name: 'strangler_upgrades_total', help: 'Upgrade requests by upstream and result: upgraded, refused (upstream answered without 101), capped, timeout, error, rejected', labelNames: ['upstream', 'result'], registers }),
  };
}
