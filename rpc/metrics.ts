/**
 * Per-method Thrift metrics (prom-client). The registry is injectable; metrics
 * are created once per registry and shared by every server/client using it.
 */
import client from 'prom-client';

export interface RpcMetrics {
  calls: client.Counter<'service' | 'method'>;
  errors: client.Counter<'service' | 'method' | 'code'>;
  duration: client.Histogram<'service' | 'method'>;
}

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function counter<L extends string>(registry: client.Registry, name: string, help: string, labelNames: L[]): client.Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as client.Counter<L>;
  return new client.Counter({ name, help, labelNames, registers: [registry] });
}

function histogram<L extends string>(registry: client.Registry, name: string, help: string, labelNames: L[]): client.Histogram<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as client.Histogram<L>;
  return new client.Histogram({ name, help, labelNames, buckets: BUCKETS, registers: [registry] });
}

export function rpcMetrics(registry: client.Registry, side: 'server' | 'client'): RpcMetrics {
  const p = `thrift_${side}`;
  return {
    calls: counter(registry, `${p}_calls_total`, `Thrift calls ${side === 'server' ? 'served' : 'made'}, by method`, ['service', 'method']),
    errors: counter(registry, `${p}_errors_total`, `Thrift calls that failed, by error code`, ['service', 'method', 'code']),
    duration: histogram(registry, `${p}_call_duration_seconds`, `Thrift call latency`, ['service', 'method']),
  };
}

/** A fresh registry for a process or a test. */
export function newRegistry(): client.Registry {
  return new client.Registry();
}
