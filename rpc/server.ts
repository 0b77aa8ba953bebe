/**
 * Thrift server factory. Framed binary over TCP by default (one message per
 * frame, many calls in flight per connection, answered as they complete); HTTP
 * as an option (POST <path>, body = one binary-protocol message, content type
 * application/x-thrift). A malformed or oversized frame drops only that
 * connection; the server keeps serving everyone else.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import net from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/logger.ts';
import { silentLogger } from '../lib/logger.ts';
import { DEFAULT_MAX_FRAME_BYTES, FrameSplitter } from './frames.ts';
import { installDirectReplies } from './direct-processor.ts';
import { wrapHandler, type HealthCheck } from './handler.ts';
import { newRegistry } from './metrics.ts';
import { ReadBuffer, WriteBuffer, type ProtocolClass, type WireProtocol } from './protocol.ts';
import { protocolClass, type ProtocolName } from './protocols.ts';
import type { ServiceModule } from './service-module.ts';

export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_CLOSE_GRACE_MS = 5_000;
export const DEFAULT_HTTP_PATH = '/thrift';
export const DEFAULT_SERVER_MAX_IN_FLIGHT_PER_CONNECTION = 256;

export interface ThriftServerOptions {
  /** short service name for logs and metrics: product, shop, user, search */
  service: string;
  /** the generated module, e.g. thrift/gen-nodejs/ProductService.js */
  module: ServiceModule;
  /** the implementation; methods may be sync or async and throw AppErrors */
  handler: object;
  port?: number;
  host?: string;
  transport?: 'tcp' | 'http';
  /** wire protocol; clients must use the same (default binary) */
  protocol?: ProtocolName;
  httpPath?: string;
  logger?: Logger;
  registry?: Registry;
  version?: string;
  healthChecks?: Record<string, HealthCheck>;
  maxFrameBytes?: number;
  /** TCP connections with no traffic for this long are closed */
  idleTimeoutMs?: number;
  /**
   * TCP: calls one connection may have in flight; beyond it the server stops
   * reading that socket until replies go out (TCP backpressure to the caller)
   */
  maxInFlightPerConnection?: number;
  /** close(): how long in-flight calls may take before connections are cut */
  closeGraceMs?: number;
  /**
   * write results straight from the handler's objects (direct-processor.ts) instead of the generated
   * processor's deep copy; same bytes. Default true; false keeps the generated processor for every method.
   */
  directReplies?: boolean;
}

/**
 * The wrapped handlers never let an undeclared error reach the processor, so a
 * Thrift EXCEPTION reply means the processor itself failed: an unknown method,
 * or a handler result that does not fit the IDL (a number in a string field).
 * The processor answers those silently; this makes them visible in the log.
 */
function serverOutputClass(Base: ProtocolClass) {
  return class ServerOutput extends Base {
    log!: Logger;
    onReply?: () => void;
    override writeMessageBegin(name: string, type: number, seqid: number): void {
      if (type === 3) this.log.error({ rpc: name, seqid }, 'thrift call answered with an application exception (unknown method, or a result that does not match the IDL)');
      super.writeMessageBegin(name, type, seqid);
    }
    override flush(): void {
      super.flush();
      this.onReply?.();
    }
  };
}

export interface ThriftServer {
  readonly port: number;
  readonly host: string;
  readonly transport: 'tcp' | 'http';
  readonly protocol: ProtocolName;
  /** calls currently being handled */
  inFlight(): number;
  /** open connections, and connections accepted since start */
  connections(): { open: number; accepted: number };
  /** Stops accepting, lets in-flight calls finish (up to closeGraceMs), then closes every connection. */
  close(): Promise<void>;
}

export async function createThriftServer(opts: ThriftServerOptions): Promise<ThriftServer> {
  const logger = (opts.logger ?? silentLogger()).child({ component: 'thrift-server', service: opts.service });
  const transport = opts.transport ?? 'tcp';
  const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const headerRequestId = new AsyncLocalStorage<string | undefined>();
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  const handler = wrapHandler({
    service: opts.service, module: opts.module, handler: opts.handler, logger,
    registry: opts.registry ?? newRegistry(), version: opts.version, healthChecks: opts.healthChecks,
    transportRequestId: () => headerRequestId.getStore(),
    onCallStart: () => { inFlight++; },
    onCallEnd: () => {
      inFlight--;
      if (inFlight === 0 && idleWaiters.length) {
        const w = idleWaiters;
        idleWaiters = [];
        for (const f of w) f();
      }
    },
  });
  const processor = new opts.module.Processor(handler);
  if (opts.directReplies !== false) installDirectReplies(processor, opts.module, handler);
  const Protocol = protocolClass(opts.protocol);
  const Output = serverOutputClass(Protocol);
  const newOutput = (writer: WriteBuffer, onReply?: () => void): WireProtocol => {
    const out = new Output(writer);
    out.log = logger;
    out.onReply = onReply;
    return out;
  };
  const sockets = new Set<net.Socket>();
  let accepted = 0;

  let server: net.Server | http.Server;
  if (transport === 'tcp') {
    server = net.createServer((socket) => serveSocket(socket));
  } else {
    const path = opts.httpPath ?? DEFAULT_HTTP_PATH;
    const hs = http.createServer((req, res) => serveHttp(req, res, path));
    hs.keepAliveTimeout = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    hs.on('connection', (s: net.Socket) => {
      sockets.add(s);
      accepted++;
      s.on('close', () => sockets.delete(s));
    });
    server = hs;
  }

  function serveSocket(socket: net.Socket): void {
    sockets.add(socket);
    accepted++;
    socket.setNoDelay(true);
    socket.setTimeout(opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () => socket.destroy());
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const splitter = new FrameSplitter(maxFrameBytes);
    const limit = opts.maxInFlightPerConnection ?? DEFAULT_SERVER_MAX_IN_FLIGHT_PER_CONNECTION;
    let pending = 0; // calls read from this socket and not yet answered (every method answers: no oneway in our IDL)
    const backlog: [Buffer, number, number][] = []; // frames received beyond the limit, processed as replies go out
    // Lends its scratch buffer to the socket: reused when the write went out at once (see WriteBuffer).
    const writer = new WriteBuffer((frames) => {
      if (socket.destroyed || !socket.writable) return true;
      socket.write(frames);
      return socket.writableLength === 0;
    }, { coalesce: true, lend: true });
    const process1 = (buf: Buffer, start: number, end: number) => {
      pending++;
      processor.process(new Protocol(new ReadBuffer(buf, start, end)), output);
    };
    const output = newOutput(writer, () => {
      pending--;
      if (!backlog.length || socket.destroyed) return;
      try {
        while (backlog.length && pending < limit) process1(...backlog.shift()!);
      } catch (err) {
        logger.warn({ err, remote }, 'dropping a Thrift connection that sent a malformed frame');
        socket.destroy();
        return;
      }
      if (!backlog.length) socket.resume();
    });
    const onFrame = (buf: Buffer, start: number, end: number) => {
      if (pending < limit && !backlog.length) return process1(buf, start, end);
      backlog.push([buf, start, end]);
      socket.pause();
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk, onFrame);
      } catch (err) {
        logger.warn({ err, remote }, 'dropping a Thrift connection that sent a malformed frame');
        socket.destroy();
      }
    });
    socket.on('error', (err) => logger.debug({ err, remote }, 'thrift connection error'));
    socket.on('close', () => sockets.delete(socket));
  }

  function serveHttp(req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
    const reply = (status: number, text: string) => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(text);
    };
    if ((req.url ?? '').split('?')[0] !== path) return reply(404, 'not found');
    if (req.method !== 'POST') return reply(405, 'use POST');
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxFrameBytes && !aborted) {
        aborted = true;
        reply(413, 'message too large');
        req.destroy();
      } else if (!aborted) chunks.push(c);
    });
    req.on('end', () => {
      if (aborted) return;
      const body = Buffer.concat(chunks, size);
      const rid = req.headers['x-request-id'];
      const writer = new WriteBuffer((msg) => {
        if (res.writableEnded) return;
        res.writeHead(200, { 'content-type': 'application/x-thrift', 'content-length': msg.length });
        res.end(msg);
      }, { framed: false, initialSize: 1024 });
      try {
        headerRequestId.run(typeof rid === 'string' ? rid : undefined, () => {
          processor.process(new Protocol(new ReadBuffer(body)), newOutput(writer));
        });
      } catch (err) {
        logger.warn({ err }, 'rejecting a malformed Thrift HTTP request');
        reply(400, 'malformed Thrift message');
      }
    });
    req.on('error', () => undefined);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'thrift server error'));
  const addr = server.address() as net.AddressInfo;
  logger.info({ port: addr.port, host: addr.address, transport }, 'thrift server listening');

  let closing: Promise<void> | undefined;
  return {
    port: addr.port,
    host: addr.address,
    transport,
    protocol: opts.protocol ?? 'binary',
    inFlight: () => inFlight,
    connections: () => ({ open: sockets.size, accepted }),
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        if (server instanceof http.Server) server.closeIdleConnections();
        if (inFlight > 0) {
          await Promise.race([
            new Promise<void>((resolve) => idleWaiters.push(resolve)),
            new Promise<void>((resolve) => setTimeout(resolve, opts.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS).unref()),
          ]);
        }
        // Let the last answers reach the socket before cutting connections.
        await new Promise<void>((resolve) => setImmediate(resolve));
        for (const s of sockets) s.end();
        const forced = setTimeout(() => { for (const s of sockets) s.destroy(); }, 200);
        forced.unref();
        await closed;
        clearTimeout(forced);
        logger.info('thrift server closed');
      })();
      return closing;
    },
  };
}
