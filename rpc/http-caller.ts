/**
 * The HTTP transport for clients: each call is one POST of one binary-protocol
 * message (unframed) over keep-alive connections, with the request id in
 * `x-request-id`. Same guarantees as TCP: deadline per call, bounded queue,
 * typed errors.
 */
import http from 'node:http';
import { clientError, fromRemoteError } from './errors.ts';
import { ReadBuffer, WriteBuffer, type ProtocolClass } from './protocol.ts';
import type { ServiceModule } from './service-module.ts';

type Callback = (err: unknown, result?: unknown) => void;
interface GeneratedClient {
  _reqs: Record<number, Callback>;
  _seqid: number;
  [k: string]: unknown;
}

export interface HttpCallerOptions {
  service: string;
  module: ServiceModule;
  host: string;
  port: number;
  path: string;
  /** keep-alive sockets (like the TCP pool size, but one call per socket at a time) */
  maxSockets: number;
  maxQueue: number;
  maxFrameBytes: number;
  protocol: ProtocolClass;
}

export class HttpCaller {
  private readonly opts: HttpCallerOptions;
  private readonly agent: http.Agent;
  private readonly client: GeneratedClient;
  private readonly writer: WriteBuffer;
  private lastMessage: Buffer | undefined;
  private active = 0;
  private closed = false;

  constructor(opts: HttpCallerOptions) {
    this.opts = opts;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets });
    this.writer = new WriteBuffer((msg) => { this.lastMessage = msg; }, { framed: false, initialSize: 4096 });
    this.client = new opts.module.Client(this.writer as never, opts.protocol as never) as unknown as GeneratedClient;
  }

  stats() {
    return { size: this.opts.maxSockets, ready: this.opts.maxSockets, connecting: 0, backoff: 0, inFlight: Math.min(this.active, this.opts.maxSockets), queued: Math.max(0, this.active - this.opts.maxSockets) };
  }

  run(method: string, args: unknown[], deadline: number, requestId?: string): Promise<unknown> {
    const { service } = this.opts;
    if (this.closed) return Promise.reject(clientError('CLIENT_CLOSED', `the ${service} client is closed`, { service, method }));
    if (this.active >= this.opts.maxSockets + this.opts.maxQueue) {
      return Promise.reject(clientError('POOL_EXHAUSTED', `${service}: ${this.active - this.opts.maxSockets} calls already waiting for a connection (limit ${this.opts.maxQueue})`, { service, method }));
    }
    const client = this.client;
    if (client._seqid >= 0x7fffffff) client._seqid = 0;
    const seqid = ++client._seqid;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: unknown, result?: unknown) => {
        if (settled) return;
        settled = true;
        this.active--;
        clearTimeout(timer);
        delete client._reqs[seqid];
        if (err) reject(err);
        else resolve(result);
      };
      client._reqs[seqid] = (err, result) => finish(err ? fromRemoteError(err, service, method) : null, result);
      try {
        (client[`send_${method}`] as (...a: unknown[]) => void).apply(client, args);
      } catch (err) {
        delete client._reqs[seqid];
        reject(clientError('PROTOCOL_ERROR', `${service}.${method}: could not encode the arguments (${(err as Error).message})`, { service, method, cause: err }));
        return;
      }
      const body = this.lastMessage!;
      this.lastMessage = undefined;
      this.active++;
      const req = http.request({
        host: this.opts.host, port: this.opts.port, path: this.opts.path, method: 'POST', agent: this.agent,
        headers: { 'content-type': 'application/x-thrift', 'content-length': body.length, ...(requestId ? { 'x-request-id': requestId } : {}) },
      });
      const timer = setTimeout(() => {
        req.destroy();
        finish(clientError('DEADLINE_EXCEEDED', `${service}.${method} did not answer within its deadline`, { service, method }));
      }, Math.max(0, deadline - Date.now()));
      req.on('error', (err: NodeJS.ErrnoException) => {
        finish(clientError('UNAVAILABLE', `${service} at ${this.opts.host}:${this.opts.port}: ${err.code ?? err.message}`, { service, method }));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.opts.maxFrameBytes) {
            req.destroy();
            finish(clientError('PROTOCOL_ERROR', `${service}.${method}: reply larger than ${this.opts.maxFrameBytes} bytes`, { service, method }));
          } else chunks.push(c);
        });
        res.on('error', () => finish(clientError('UNAVAILABLE', `${service}: connection lost before the reply`, { service, method })));
        res.on('end', () => {
          if (settled) return;
          if (res.statusCode !== 200) {
            finish(clientError(res.statusCode === 503 ? 'UNAVAILABLE' : 'PROTOCOL_ERROR', `${service}.${method}: HTTP ${res.statusCode}`, { service, method }));
            return;
          }
          try {
            const input = new this.opts.protocol(new ReadBuffer(Buffer.concat(chunks, size)));
            const header = input.readMessageBegin();
            const recv = client[`recv_${header.fname}`] as ((i: unknown, t: number, s: number) => void) | undefined;
            if (typeof recv !== 'function' || header.rseqid !== seqid) throw new Error('reply does not match the call');
            recv.call(client, input, header.mtype, header.rseqid);
          } catch (err) {
            finish(clientError('PROTOCOL_ERROR', `${service}.${method}: invalid reply (${(err as Error).message})`, { service, method }));
          }
        });
      });
      req.end(body);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
  }
}
