/**
 * Thrift client factory: a typed, promise-only API over a pool of multiplexed
 * framed-binary TCP connections (or HTTP), with a deadline on every call,
 * request-id/actor/deadline propagation through the RequestContext argument,
 * typed errors (AppError with `code`, `status`, `exception`) and per-method
 * metrics.
 *
 *   const product = createThriftClient(ProductService, { service: 'product', port: 9001 });
 *   const items = await product.getMany({ requestId }, ['1', '2'], {});
 */
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { isAppError } from '../lib/errors.ts';
import { outgoingContext, currentCall, type RequestContext } from './context.ts';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import { fromRemoteError } from './errors.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './frames.ts';
import { HttpCaller } from './http-caller.ts';
import { newRegistry, rpcMetrics } from './metrics.ts';
import { ConnectionPool, type PoolStats } from './pool.ts';
import { protocolClass, type ProtocolName } from './protocols.ts';
import { DEFAULT_HTTP_PATH } from './server.ts';
import { serviceMethods, type ServiceModule } from './service-module.ts';

export const CLIENT_DEFAULTS = {
  host: '127.0.0.1',
  transport: 'tcp' as const,
  poolSize: 8,
  targetInFlightPerConnection: 4,
  maxInFlightPerConnection: 64,
  maxQueue: 256,
  timeoutMs: 2_000,
  connectTimeoutMs: 1_000,
  backoff: DEFAULT_BACKOFF,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
};

export interface ThriftClientOptions {
  /** short service name for errors, logs and metrics */
  service: string;
  host?: string;
  port: number;
  transport?: 'tcp' | 'http';
  /** wire protocol; must match the server's (default binary) */
  protocol?: ProtocolName;
  httpPath?: string;
  /**
   * most connections in the pool (TCP; opened as load needs them) or
   * keep-alive sockets (HTTP)
   */
  poolSize?: number;
  /** TCP: calls in flight on every open connection before the pool opens another */
  targetInFlightPerConnection?: number;
  /** calls multiplexed on one TCP connection before the next waits */
  maxInFlightPerConnection?: number;
  /** calls allowed to wait for capacity; beyond it calls fail at once with POOL_EXHAUSTED */
  maxQueue?: number;
  /** default deadline per call; a smaller ctx.timeoutMs or the served call's deadline wins */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  backoff?: Partial<BackoffOptions>;
  maxFrameBytes?: number;
  registry?: Registry;
  /** disable per-call metrics (benchmarks measuring the bare transport) */
  metrics?: boolean;
}

/** Promise-only view of a generated client: `(ctx, ...args) => Promise<Result>` per IDL method. */
type AsyncMethod<F> = F extends (...args: infer A) => void
  ? A extends [...infer P, ((error: any, response: infer R) => void)?] ? (...args: P) => Promise<R> : never
  : never;
type CtxLoose<F> = F extends (ctx: infer _C, ...rest: infer P) => infer R ? (ctx: RequestContext | undefined, ...rest: P) => R : F;
export type ThriftApi<C> = {
  [K in keyof C as C[K] extends Function ? K : never]: K extends 'ping' ? AsyncMethod<C[K]> : CtxLoose<AsyncMethod<C[K]>>;
};

export interface ClientControls {
  /** pool state: connections ready/connecting/in backoff, calls in flight and queued */
  $stats(): PoolStats;
  /** liveness probe: resolves true when `ping` answers before `timeoutMs` */
  $healthy(timeoutMs?: number): Promise<boolean>;
  $close(): Promise<void>;
  readonly $service: string;
}

export type ThriftClient<M extends ServiceModule> = ThriftApi<InstanceType<M['Client']>> & ClientControls;

export function createThriftClient<M extends ServiceModule>(module: M, options: ThriftClientOptions): ThriftClient<M> {
  const o = { ...CLIENT_DEFAULTS, ...options, backoff: { ...CLIENT_DEFAULTS.backoff, ...options.backoff } };
  const service = o.service;
  const protocol = protocolClass(o.protocol);
  const caller = o.transport === 'http'
    ? new HttpCaller({ service, module, host: o.host, port: o.port, path: o.httpPath ?? DEFAULT_HTTP_PATH, maxSockets: o.poolSize, maxQueue: o.maxQueue, maxFrameBytes: o.maxFrameBytes, protocol })
    : new ConnectionPool({
      service, module, host: o.host, port: o.port, size: o.poolSize, targetInFlightPerConnection: Math.max(1, o.targetInFlightPerConnection), maxInFlightPerConnection: o.maxInFlightPerConnection,
      maxQueue: o.maxQueue, connectTimeoutMs: o.connectTimeoutMs, maxFrameBytes: o.maxFrameBytes, backoff: o.backoff, protocol,
    });
  const metrics = o.metrics === false ? undefined : rpcMetrics(o.registry ?? newRegistry(), 'client');

  const api: Record<string, unknown> = {};
  for (const { name } of serviceMethods(module)) {
    const calls = metrics?.calls.labels(service, name);
    const duration = metrics?.duration.labels(service, name);
    const hasCtx = name !== 'ping';
    api[name] = async (...args: unknown[]) => {
      const now = Date.now();
      const ctxIn = hasCtx ? (args[0] as RequestContext | undefined) : undefined;
      let deadline = now + (ctxIn?.timeoutMs && ctxIn.timeoutMs > 0 ? Math.min(ctxIn.timeoutMs, o.timeoutMs) : o.timeoutMs);
      const served = currentCall()?.deadline;
      if (served !== undefined && served < deadline) deadline = served;
      let requestId: string | undefined;
      if (hasCtx) {
        const ctx = outgoingContext(ctxIn, deadline, now);
        requestId = ctx.requestId;
        args[0] = ctx;
      }
      const started = metrics ? performance.now() : 0;
      calls?.inc();
      try {
        return await (caller instanceof HttpCaller ? caller.run(name, args, deadline, requestId) : caller.run(name, args, deadline));
      } catch (err) {
        const e = isAppError(err) ? err : fromRemoteError(err, service, name);
        metrics?.errors.labels(service, name, e.code).inc();
        throw e;
      } finally {
        duration?.observe((performance.now() - started) / 1000);
      }
    };
  }
  const controls: ClientControls = {
    $service: service,
    $stats: () => caller.stats(),
    $healthy: async (timeoutMs = 1000) => {
      try {
        await caller.run('ping', [], Date.now() + timeoutMs);
        return true;
      } catch {
        return false;
      }
    },
    $close: () => caller.close(),
  };
  return Object.assign(api, controls) as unknown as ThriftClient<M>;
}
