/**
 * One framed-binary TCP connection to a service, multiplexing many calls by
 * seqid (calls wait in a slot table by seqid, `pending-calls.ts`; replies may
 * come in any order). Unlike the runtime's Connection, every call here settles: at its
 * deadline (even when the socket is idle), or when the connection closes or
 * errors (all pending calls are rejected with UNAVAILABLE).
 */
import net from 'node:net';
import { clientError, fromRemoteError, type RemoteAppError } from './errors.ts';
import { FrameSplitter } from './frames.ts';
import { PendingCalls } from './pending-calls.ts';
import { ReadBuffer, WriteBuffer, type ProtocolClass } from './protocol.ts';
import type { ServiceModule } from './service-module.ts';

type Callback = (err: unknown, result?: unknown) => void;
interface GeneratedClient {
  _reqs: Record<number, Callback>;
  _seqid: number;
  [k: string]: unknown;
}
interface Pending {
  readonly seqid: number;
  deadline: number;
  method: string;
  /** `received` when the call was sent (a timed-out call checks whether anything arrived since) */
  receivedAtSend: number;
  resolve: (result: unknown) => void;
  reject: (err: RemoteAppError) => void;
}

export interface ConnectionOptions {
  service: string;
  module: ServiceModule;
  host: string;
  port: number;
  connectTimeoutMs: number;
  maxFrameBytes: number;
  protocol: ProtocolClass;
}

/** Consecutive deadline misses with nothing received meanwhile before the peer is probed with `ping`. */
const SILENT_TIMEOUTS_BEFORE_PROBE = 2;
const PROBE_TIMEOUT_MS = 1_000;

export class ThriftConnection {
  readonly opts: ConnectionOptions;
  state: 'connecting' | 'ready' | 'closed' = 'connecting';
  /** when the connection became ready (0 = never) */
  readyAt = 0;
  /** why the connection closed (for error messages) */
  closeReason = '';
  private readonly socket: net.Socket;
  private readonly client: GeneratedClient;
  /** calls in flight by seqid (not a Map: see pending-calls.ts for what a churning Map did to the GC) */
  private readonly pending = new PendingCalls<Pending>();
  /** the call whose reply the generated `recv_*` is decoding (it hands the result to `onReply`) */
  private replying: Pending | undefined;
  private readonly splitter: FrameSplitter;
  private readonly onClosed: (conn: ThriftConnection) => void;
  private readonly onSettled: () => void;
  /** bumped on every received chunk: a timed-out call checks whether anything arrived since it was sent */
  private received = 0;
  private silentTimeouts = 0;
  private probing = false;
  /**
   * One timer per connection, armed for the earliest pending deadline, instead
   * of a setTimeout/clearTimeout pair per call (profiling: timer churn and the
   * per-call closure it keeps alive were measurable at 10k+ calls/s). It may
   * fire for a call that has already settled; the sweep then re-arms for the
   * earliest deadline still pending, if any.
   */
  private deadlineTimer?: NodeJS.Timeout;
  private deadlineAt = Infinity;
  readonly ready: Promise<void>;

  constructor(opts: ConnectionOptions, onClosed: (conn: ThriftConnection) => void, onSettled: () => void = () => undefined) {
    this.opts = opts;
    this.onClosed = onClosed;
    this.onSettled = onSettled;
    this.splitter = new FrameSplitter(opts.maxFrameBytes);
    const socket = net.connect({ host: opts.host, port: opts.port });
    this.socket = socket;
    socket.setNoDelay(true);
    const writer = new WriteBuffer((frames) => this.write(frames), { coalesce: true, lend: true });
    this.client = new opts.module.Client(writer as never, opts.protocol as never) as unknown as GeneratedClient;

    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.destroy(`connect timed out after ${opts.connectTimeoutMs} ms`);
      }, opts.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        if (this.state === 'closed') return;
        this.state = 'ready';
        this.readyAt = Date.now();
        resolve();
      });
      socket.once('close', () => {
        clearTimeout(timer);
        reject(clientError('UNAVAILABLE', `cannot connect to ${this.label()}: ${this.closeReason || 'connection closed'}`, { service: opts.service }));
      });
    });
    this.ready.catch(() => undefined);

    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.closeReason ||= err.code ?? err.message;
    });
    socket.on('close', () => this.onSocketClose());
  }

  label(): string {
    return `${this.opts.service} at ${this.opts.host}:${this.opts.port}`;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends one call; settles by its deadline (epoch ms) at the latest. */
  call(method: string, args: unknown[], deadline: number): Promise<unknown> {
    const { service } = this.opts;
    if (this.state !== 'ready') {
      return Promise.reject(clientError('UNAVAILABLE', `connection to ${this.label()} is not open`, { service, method }));
    }
    const client = this.client;
    const receivedAtSend = this.received;
    // The generated client keeps a callback per call in `_reqs[seqid]` from send to reply; we do not
    // (a long-lived container of per-call closures is what kept replies alive, see pending-calls.ts):
    // the call sits in `pending` and `onData` installs the connection's one `onReply` just for the
    // duration of the matching `recv_*`.
    return new Promise((resolve, reject) => {
      const call = this.pending.add((seqid) => ({ seqid, deadline, method, receivedAtSend, resolve, reject }));
      client._seqid = call.seqid;
      try {
        (client[`send_${method}`] as (...a: unknown[]) => void).apply(client, args);
      } catch (err) {
        this.pending.delete(call);
        reject(clientError('PROTOCOL_ERROR', `${service}.${method}: could not encode the arguments (${(err as Error).message})`, { service, method, cause: err }));
        return;
      }
      if (deadline < this.deadlineAt) this.armDeadline(deadline);
    });
  }

  private armDeadline(at: number): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineAt = at;
    this.deadlineTimer = setTimeout(this.sweepDeadlines, Math.max(0, at - Date.now()));
    // A pending call always has an open (ref'd) socket; the timer alone must not keep a process alive.
    this.deadlineTimer.unref();
  }

  /** The generated `recv_*` hands each decoded reply (or error) here, synchronously, for `this.replying`. */
  private readonly onReply = (err: unknown, result?: unknown): void => {
    const p = this.replying;
    this.replying = undefined;
    if (!p || !this.pending.delete(p)) return;
    this.onSettled();
    if (err) p.reject(fromRemoteError(err, this.opts.service, p.method));
    else p.resolve(result);
  };

  /** Rejects every call past its deadline and re-arms for the earliest one left. */
  private readonly sweepDeadlines = (): void => {
    this.deadlineTimer = undefined;
    this.deadlineAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const p of this.pending.list()) {
      if (p.deadline > now) {
        if (p.deadline < next) next = p.deadline;
        continue;
      }
      this.pending.delete(p);
      this.onSettled();
      this.noteTimeout(p.receivedAtSend);
      const { service } = this.opts;
      p.reject(clientError('DEADLINE_EXCEEDED', `${service}.${p.method} did not answer within its deadline`, { service, method: p.method }));
    }
    if (next !== Infinity && next < this.deadlineAt) this.armDeadline(next);
  };

  /** true when the socket is done with `frames` (written at once, or not written): the WriteBuffer reuses them */
  private write(frames: Buffer): boolean {
    if (this.state !== 'ready') return true;
    this.socket.write(frames);
    return this.socket.writableLength === 0;
  }

  /**
   * A half-open connection (peer host gone without a FIN, a black hole) would
   * time out every call forever. After repeated deadline misses with nothing
   * received, probe with `ping`; no answer closes the connection so the pool
   * reconnects. A live server answers ping even while one method hangs.
   */
  private noteTimeout(receivedAtSend: number): void {
    if (this.received !== receivedAtSend) {
      this.silentTimeouts = 0;
      return;
    }
    if (++this.silentTimeouts < SILENT_TIMEOUTS_BEFORE_PROBE || this.probing || this.state !== 'ready') return;
    this.probing = true;
    this.call('ping', [], Date.now() + PROBE_TIMEOUT_MS).then(
      () => { this.probing = false; this.silentTimeouts = 0; },
      () => { this.probing = false; this.destroy('no reply to a ping probe after repeated timeouts'); },
    );
  }

  private onData(chunk: Buffer): void {
    this.received++;
    try {
      this.splitter.push(chunk, (buf, start, end) => {
        const input = new this.opts.protocol(new ReadBuffer(buf, start, end));
        const header = input.readMessageBegin();
        const recv = this.client[`recv_${header.fname}`] as ((i: unknown, t: number, s: number) => void) | undefined;
        if (typeof recv !== 'function') throw new Error(`reply for unknown method ${header.fname}`);
        const call = this.pending.get(header.rseqid);
        if (!call) return; // the reply to a call that already timed out: nobody waits for it
        this.replying = call;
        this.client._reqs[header.rseqid] = this.onReply; // recv_* takes it out again
        try {
          recv.call(this.client, input, header.mtype, header.rseqid);
        } finally {
          this.replying = undefined;
          delete this.client._reqs[header.rseqid];
        }
      });
    } catch (err) {
      this.destroy(`invalid reply: ${(err as Error).message}`);
    }
  }

  /** Closes the connection; pending calls are rejected with UNAVAILABLE. */
  destroy(reason: string): void {
    this.closeReason ||= reason;
    this.socket.destroy();
  }

  private onSocketClose(): void {
    this.state = 'closed';
    const reason = this.closeReason || 'closed by peer';
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    for (const p of this.pending.list()) {
      this.pending.delete(p);
      p.reject(clientError('UNAVAILABLE', `connection to ${this.label()} lost (${reason}) before the reply`, { service: this.opts.service }));
    }
    this.onClosed(this);
  }
}
