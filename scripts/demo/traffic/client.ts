/**
 * The HTTP client every simulated app shares: keep-alive pool, JSON in and
 * out, a deadline per request, and never a throw — a connection error comes
 * back as status 0 so the recorder can count it.
 */
import { Agent, request } from 'undici';
import { parseRouteHeader, type ServedBy } from './route-header.ts';

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** Where a path goes: the facade, or (before it exists) the legacy API owning the prefix. */
export interface Target {
  baseFor(path: string): string;
}

export function singleTarget(url: string): Target {
  return { baseFor: () => url };
}

/** Legacy routing by prefix, as clients were configured before the facade. */
export function prefixTarget(map: { api: string; admin: string; merchant: string }): Target {
  return {
    baseFor: (path) => (path.startsWith('/admin') ? map.admin : path.startsWith('/merchant') ? map.merchant : map.api),
  };
}

export interface Reply {
  status: number;
  body: unknown;
  latencyMs: number;
  servedBy?: ServedBy;
  /** Connection-level error message (status 0). */
  error?: string;
}

export class HttpClient {
  private readonly agent: Agent;
  target: Target;
  readonly timeoutMs: number;

  constructor(target: Target, opts: { connections?: number; timeoutMs?: number } = {}) {
    this.target = target;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.agent = new Agent({ connections: opts.connections ?? 64, keepAliveTimeout: 30_000, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
  }

  async call(method: string, path: string, opts: { token?: string; body?: unknown; requestId?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.requestId) headers['x-request-id'] = opts.requestId;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const started = performance.now();
    try {
      const res = await request(this.target.baseFor(path) + path, { method: method as 'GET', headers, body: payload, dispatcher: this.agent, signal: AbortSignal.timeout(this.timeoutMs) });
      const text = await res.body.text();
      const latencyMs = performance.now() - started;
      let body: unknown = undefined;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      return { status: res.statusCode, body, latencyMs, servedBy: parseRouteHeader(res.headers['x-strangler-route']) };
    } catch (err) {
      return { status: 0, body: undefined, latencyMs: performance.now() - started, error: (err as Error).message };
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
