/**
 * Upstreams: a lean client (relay/pool.ts) and a keep-alive undici Pool, each of the table's size, behind one Gate
 * (queue deadline, upload cap), a small separate Pool for shadow and noise
 * copies (so they never compete with live traffic; a pipelining lean one and an undici one), and one
 * http-proxy-middleware instance per upstream. The middleware's request pass
 * is the undici engine (engine.ts); upgrades do not use it (upgrade.ts).
 * Unchanged upstreams are reused across reloads; removed ones are closed
 * after in-flight requests finish.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { Pool } from 'undici';
import { Gate } from './gate.ts';
import { LeanPool } from './relay/pool.ts';
import { DEFAULT_PIPELINE_DEPTH, PipelinePool } from './relay/pipeline-pool.ts';
import { DEFAULT_QUEUE_TIMEOUT_MS, DEFAULT_SHADOW_POOL_SIZE, DEFAULT_UPLOAD_SHARE, type UpstreamSpec } from './table/schema.ts';
import type { Logger } from '../lib/logger.ts';

/** Per-request state handed from the facade to the engine pass through the request object. */
export const PROXY_JOB = Symbol('strangler.proxyJob');

export interface ProxyJob {
  run(upstream: Upstream): void;
}

type JobRequest = IncomingMessage & { [PROXY_JOB]?: ProxyJob };

export interface Upstream {
  name: string;
  spec: UpstreamSpec;
  key: string;
  url: URL;
  pool: Pool;
  timeoutMs: number;
  /** Admission to `pool`: at most `spec.pool` requests handed to undici, the rest queued with a deadline. */
  gate: Gate;
  /** Shadow and noise copies only: its own connections, so hanging copies never take live traffic's. */
  shadowPool: Pool;
  /** The lean client for `pool`'s traffic it can carry (relay/pool.ts); null when STRANGLER_LEAN_CLIENT=0 or not http:. */
  lean: LeanPool | null;
  /** The lean client for shadow and noise copies (same size as `shadowPool`): GET copies pipelined, writes coalesced (relay/pipeline-pool.ts). */
  shadowLean: PipelinePool | null;
  /** The http-proxy-middleware instance's proxy server (httpxy), captured by our plugin: the hot path calls its `web()` directly. */
  server: { web(req: IncomingMessage, res: ServerResponse, opts: { target: URL }): Promise<void> };
  /** Options for `server.web` (the target as a URL object, so nothing is parsed per request). */
  webOptions: { target: URL };
  /** http-proxy-middleware instance: `proxy(req, res)` forwards via the engine; `proxy.upgrade` for WebSockets. */
  proxy: ((req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => Promise<void>) & {
    upgrade: (req: IncomingMessage, socket: Socket, head: Buffer) => void;
  };
}

/**
 * GET shadow copies are pipelined by default (DEFAULT_PIPELINE_DEPTH written ahead per connection; their recorded
 * latency leaves out the wait behind earlier answers, so it stays the service's own); STRANGLER_SHADOW_PIPELINE=0
 * sends one copy per connection at a time (docs/facade.md "Pipelined shadow copies").
 */
export function shadowPipelineDepth(): number {
  return process.env.STRANGLER_SHADOW_PIPELINE === '0' ? 1 : DEFAULT_PIPELINE_DEPTH;
}

/** STRANGLER_LEAN_CLIENT=0 sends everything through undici (the lean client is on by default). */
export function leanClientEnabled(): boolean {
  return process.env.STRANGLER_LEAN_CLIENT !== '0';
}

function specKey(spec: UpstreamSpec): string {
  return JSON.stringify([spec.url, spec.pool, spec.connectTimeoutMs, spec.timeoutMs, spec.queueTimeoutMs, spec.maxUploads, spec.shadowPool]);
}

/** Concurrent streamed uploads allowed: the table's `maxUploads`, else a quarter of the pool (at least 1). */
export function uploadCap(spec: UpstreamSpec): number {
  return spec.maxUploads ?? Math.max(1, Math.floor(spec.pool * DEFAULT_UPLOAD_SHARE));
}

export function createUpstream(name: string, spec: UpstreamSpec, logger: Logger): Upstream {
  const url = new URL(spec.url);
  const pool = new Pool(url.origin, {
    connections: spec.pool,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connect: { timeout: spec.connectTimeoutMs },
    headersTimeout: spec.timeoutMs,
    bodyTimeout: spec.timeoutMs,
  });
  const shadowPool = new Pool(url.origin, {
    connections: spec.shadowPool ?? DEFAULT_SHADOW_POOL_SIZE,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connect: { timeout: spec.connectTimeoutMs },
  });
  const gate = new Gate(spec.pool, spec.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS, uploadCap(spec));
  const useLean = leanClientEnabled() && url.protocol === 'http:';
  const lean = useLean ? new LeanPool(url, { connections: spec.pool, connectTimeoutMs: spec.connectTimeoutMs, timeoutMs: spec.timeoutMs }) : null;
  const shadowLean = useLean
    ? new PipelinePool(url, { connections: spec.shadowPool ?? DEFAULT_SHADOW_POOL_SIZE, depth: shadowPipelineDepth(),
      onPipeliningStopped: (reason) => logger.warn({ upstream: name, reason }, 'shadow copies to this upstream are sent one per connection from now on (it does not serve pipelined requests); the copies written behind count as shadow errors'),
      connectTimeoutMs: spec.connectTimeoutMs, timeoutMs: spec.timeoutMs })
    : null;
  const upstream = { name, spec, key: specKey(spec), url, pool, gate, shadowPool, lean, shadowLean, timeoutMs: spec.timeoutMs, webOptions: { target: url } } as Upstream;
  upstream.proxy = createProxyMiddleware({
    target: url,
    ejectPlugins: true,
    ws: false,
    plugins: [
      (server) => {
        upstream.server = server as unknown as Upstream['server'];
        // Replace httpxy's node:http request passes by the undici engine (upgrades go through upgrade.ts instead).
        const passes = (server as unknown as { _getPasses?: (t: string) => unknown[] })._getPasses?.('web');
        if (!Array.isArray(passes)) throw new Error('http-proxy-middleware/httpxy: web passes not found (incompatible version)');
        passes.splice(0, passes.length, (req: JobRequest) => {
          const job = req[PROXY_JOB];
          if (job) job.run(upstream);
          return true;
        });
        server.on('error', (err: Error, _req?: IncomingMessage, resOrSocket?: ServerResponse | Socket) => {
          if (!resOrSocket) return;
          logger.warn({ err, upstream: name }, 'proxy error');
          if ('writeHead' in resOrSocket) {
            if (!resOrSocket.headersSent) {
              resOrSocket.writeHead(502, { 'content-type': 'application/json' });
              resOrSocket.end(JSON.stringify({ error: { code: 'BAD_GATEWAY', message: 'The upstream service failed', requestId: '' } }));
            }
          } else resOrSocket.destroy();
        });
      },
    ],
  }) as unknown as Upstream['proxy'];
  return upstream;
}

/** Builds the upstream set for a table, reusing unchanged upstreams from the previous set. */
export function buildUpstreams(specs: Record<string, UpstreamSpec>, previous: Map<string, Upstream> | null, logger: Logger): { next: Map<string, Upstream>; retired: Upstream[] } {
  const next = new Map<string, Upstream>();
  for (const [name, spec] of Object.entries(specs)) {
    const old = previous?.get(name);
    next.set(name, old && old.key === specKey(spec) ? old : createUpstream(name, spec, logger));
  }
  const retired = previous ? [...previous.values()].filter((u) => next.get(u.name) !== u) : [];
  return { next, retired };
}

/** Closes after everything queued at the gate went through (a queued request must not meet a closed pool). */
export async function closeUpstreams(ups: Iterable<Upstream>): Promise<void> {
  await Promise.all([...ups].map(async (u) => {
    await u.gate.idle();
    u.gate.close();
    await Promise.all([u.pool.close().catch(() => undefined), u.shadowPool.close().catch(() => undefined), u.lean?.close(), u.shadowLean?.close()]);
  }));
}

export function destroyUpstreams(ups: Iterable<Upstream>): Promise<unknown> {
  return Promise.all([...ups].map((u) => {
    u.gate.close();
    return Promise.all([u.pool.destroy().catch(() => undefined), u.shadowPool.destroy().catch(() => undefined), u.lean?.destroy(), u.shadowLean?.destroy()]);
  }));
}
