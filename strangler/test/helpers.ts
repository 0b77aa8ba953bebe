/** Test helpers: real stand-in upstream servers on port 0 and an in-process facade on port 0. */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { startFacade, type FacadeHandle, type FacadeOptions } from '../index.ts';
import type { FacadeConfig } from '../config.ts';
import type { RouteTableInput } from '../table/schema.ts';
import { createLogger } from '../../lib/logger.ts';

export interface StandIn {
  url: string;
  port: number;
  server: Server;
  hits: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  sockets: Set<Socket>;
  close(): Promise<void>;
}

export type StandInHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real HTTP server on port 0 that records every request (with its body) and answers via `handler`. */
export async function startStandIn(handler: StandInHandler, opts: { readBody?: boolean } = {}): Promise<StandIn> {
  const hits: StandIn['hits'] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (opts.readBody === false) {
      hits.push({ method: req.method!, url: req.url!, headers: req.headers, body: '' });
      handler(req, res, '');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      hits.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, port, server, hits, sockets,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A route table with legacy + service upstreams pointing at stand-ins. */
export function table(legacyUrl: string, serviceUrl: string, routes: RouteTableInput['routes'], extra: Partial<RouteTableInput> = {}): RouteTableInput {
  return {
    version: 1,
    options: { routeHeader: true },
    upstreams: {
      legacy: { url: legacyUrl, timeoutMs: 2000, connectTimeoutMs: 500, pool: 8 },
      svc: { url: serviceUrl, timeoutMs: 2000, connectTimeoutMs: 500, pool: 8 },
    },
    fallbacks: [{ prefix: '/api', upstream: 'legacy' }],
    routes,
    ...extra,
  };
}

export interface TestFacade extends FacadeHandle {
  dir: string;
  routesFile: string;
  stop(): Promise<void>;
}

export const TEST_TOKEN = 'test-admin-token-0123456789';

export async function startTestFacade(doc: unknown, opts: FacadeOptions & { config?: Partial<FacadeConfig> } = {}): Promise<TestFacade> {
  const dir = await mkdtemp(join(tmpdir(), 'strangler-test-'));
  const routesFile = join(dir, 'routes.json');
  await writeFile(routesFile, JSON.stringify(doc, null, 2));
  const config: FacadeConfig = {
    host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0, adminToken: TEST_TOKEN,
    source: { kind: 'file', path: routesFile }, auditFile: join(dir, 'audit.jsonl'),
    bodyLimit: 64 * 1024, captureLimit: 256 * 1024, shutdownGraceMs: 1000,
    ...opts.config,
  };
  const handle = await startFacade(config, opts);
  return {
    ...handle, dir, routesFile,
    stop: async () => {
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface SimpleResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  json(): any;
}

/** One request with node:http (no keep-alive pool shared between tests). */
export function send(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    // the path is sent exactly as given (no URL normalisation), so malformed paths can be tested
    const m = /^http:\/\/([^/:]+):(\d+)(.*)$/.exec(url);
    if (!m) throw new Error(`bad test url ${url}`);
    const req = httpRequest({ host: m[1], port: Number(m[2]), path: m[3] || '/', method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body) });
      });
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error('test request timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function admin(f: FacadeHandle, path: string, opts: { method?: string; body?: unknown; token?: string | null } = {}): Promise<SimpleResponse> {
  const headers: Record<string, string> = {};
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TEST_TOKEN}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  return send(f.adminUrl + path, { method: opts.method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
}

/** A logger whose lines at `level` and above (default warn) are captured as objects (for asserting what a failure path logged). */
export function captureLogger(level: 'warn' | 'info' = 'warn') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: createLogger('test', { level, destination }), lines };
}
