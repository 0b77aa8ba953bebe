/**
 * Prometheus metrics (prom-client), one Registry per facade instance.
 * Hot-path code keeps pre-bound label children, never label objects per request.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface FacadeMetrics {
  registry: Registry;
  requests: Counter<'route' | 'upstream' | 'code'>;
  duration: Histogram<'route' | 'upstream'>;
  upstreamErrors: Counter<'route' | 'upstream' | 'kind'>;
  fallbacks: Counter<'route' | 'reason'>;
  breakerState: Gauge<'route'>;
  shadow: Counter<'route' | 'result'>;
  noise: Counter<'route' | 'result'>;
  overlap: Histogram<'route' | 'list' | 'judged'>;
  totalRatio: Histogram<'route' | 'list'>;
  tableVersion: Gauge;
  reloads: Counter<'result'>;
  clientConnections: Gauge;
  connectionsRejected: Counter<'reason'>;
  clientErrors: Counter<'code'>;
  connectionTimeouts: Counter<'kind'>;
  upgradesOpen: Gauge<'upstream'>;
  upgrades: Counter<'upstream' | 'result'>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): FacadeMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'strangler_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({ name: 'strangler_requests_total', help: 'Requests answered, by route, upstream and status class', labelNames: ['route', 'upstream', 'code'], registers }),
    duration: new Histogram({
      name: 'strangler_request_duration_seconds', help: 'Facade request latency (to the end of the response)', labelNames: ['route', 'upstream'], registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    upstreamErrors: new Counter({ name: 'strangler_upstream_errors_total', help: 'Upstream failures (timeout, refused, reset, protocol, 5xx)', labelNames: ['route', 'upstream', 'kind'], registers }),
    fallbacks: new Counter({ name: 'strangler_fallbacks_total', help: 'Service requests answered by legacy instead', labelNames: ['route', 'reason'], registers }),
    breakerState: new Gauge({ name: 'strangler_breaker_state', help: 'Circuit breaker per route: 0 closed, 1 half-open, 2 open', labelNames: ['route'], registers }),
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
    upgradesOpen: new Gauge({ name: 'strangler_upgrades_open', help: 'Upgraded (and handshaking) connections per upstream', labelNames: ['upstream'], registers }),
    upgrades: new Counter({ name: 'strangler_upgrades_total', help: 'Upgrade requests by upstream and result: upgraded, refused (upstream answered without 101), capped, timeout, error, rejected', labelNames: ['upstream', 'result'], registers }),
  };
}
