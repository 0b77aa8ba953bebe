/**
 * A lean implementation of the Thrift binary protocol (strict, version 1) that
 * the generated js:node,es6 code drives through the same method names as the
 * runtime's TBinaryProtocol. It exists because the runtime's encoder allocates
 * a Buffer per field header and per integer (`new Buffer([b])`) and concatenates
 * them on flush; this one writes into one growable buffer and reads straight
 * from the frame. The bytes on the wire are identical (test/protocol.test.ts
 * round-trips against the runtime's TBinaryProtocol both ways).
 *
 * Transports are minimal: a `WriteBuffer` (one per connection; one message is
 * written synchronously between writeMessageBegin and flush, so sharing it is
 * safe) and a `ReadBuffer` over one received frame or HTTP body.
 */
import thrift from 'thrift';

export const T = {
  STOP: 0, VOID: 1, BOOL: 2, BYTE: 3, DOUBLE: 4, I16: 6, I32: 8, I64: 10, STRING: 11, STRUCT: 12, MAP: 13, SET: 14, LIST: 15, UUID: 16,
} as const;

const VERSION_1 = 0x80010000 | 0;
const VERSION_MASK = 0xffff0000 | 0;
const MAX_SKIP_DEPTH = 64;
const ASCII_FAST_PATH = 64;
/**
 * Strings of at most this many bytes are decoded in JavaScript when they are
 * ASCII: a native utf8Slice call costs ~40 ns however short the string, and
 * most strings of a listing are short (ids, prices, status, currency). One
 * String.fromCharCode call with every byte as an argument builds a flat string
 * at once (concatenating character by character was slower, and from 13
 * characters on V8 builds cons strings).
 */
const SHORT_STRING = 12;
const fromCharCode = String.fromCharCode;

/** buf[start, end) as UTF-8: short ASCII in JavaScript, everything else natively. */
export function utf8At(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n <= SHORT_STRING) {
    let or = 0;
    for (let i = start; i < end; i++) or |= buf[i]!;
    if (or < 0x80) return shortAscii(buf, start, n);
  }
  return (buf as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(start, end);
}

function shortAscii(b: Buffer, s: number, n: number): string {
  switch (n) {
    case 1: return fromCharCode(b[s]!);
    case 2: return fromCharCode(b[s]!, b[s + 1]!);
    case 3: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!);
    case 4: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
    case 5: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
    case 6: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
    case 7: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!);
    case 8: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!);
    case 9: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!);
    case 10: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!);
    case 11: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!);
    case 12: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!);
    default: return '';
  }
}

type Int64Like = { buffer: Buffer; offset?: number };
const Int64 = thrift.Int64 as unknown as new (b: Buffer | number) => Int64Like;

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * Output transport: one growable scratch buffer. `headerBytes` is 4 for the
 * framed transport (the frame length is patched in on flush) and 0 for HTTP
 * bodies. `onFlush` receives a copy, so the scratch buffer is reused at once.
 *
 * With `coalesce`, flushed frames accumulate and are handed to `onFlush` as
 * one buffer on the next tick: thirty replies finished in one tick cost one
 * copy and one socket write instead of thirty.
 *
 * With `lend` as well, `onFlush` gets a view of the scratch buffer itself, not
 * a copy, and returns whether it is done with those bytes (a socket write that
 * went to the kernel at once); when it is not (the socket queued the view),
 * the scratch buffer is left to it and a new one is allocated. A socket write
 * usually completes at once, so a reply costs no allocation and no copy.
 */
export class WriteBuffer {
  buf: Buffer;
  pos: number;
  readonly headerBytes: number;
  onFlush: (message: Buffer) => unknown;
  private readonly coalesce: boolean;
  private readonly lend: boolean;
  /** start of the message being written (earlier bytes are finished frames waiting to be emitted) */
  private frameStart = 0;
  private scheduled = false;

  constructor(onFlush: (message: Buffer) => unknown, opts: { framed?: boolean; initialSize?: number; coalesce?: boolean; lend?: boolean } = {}) {
    this.headerBytes = opts.framed === false ? 0 : 4;
    this.coalesce = opts.coalesce === true && this.headerBytes === 4;
    this.lend = this.coalesce && opts.lend === true;
    this.buf = Buffer.allocUnsafe(opts.initialSize ?? 16384);
    this.pos = this.headerBytes;
    this.onFlush = onFlush;
  }

  /** Starts a new message, dropping whatever a failed writer left behind. */
  reset(): void {
    this.pos = this.frameStart + this.headerBytes;
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Called by generated client code (`this.output.flush()`) and by the protocol's flush. */
  flush(): void {
    if (this.headerBytes === 4) this.buf.writeInt32BE(this.pos - this.frameStart - 4, this.frameStart);
    if (this.coalesce) {
      this.frameStart = this.pos;
      this.pos += 4;
      if (!this.scheduled) {
        this.scheduled = true;
        process.nextTick(this.emit);
      }
      return;
    }
    const len = this.pos;
    const out = Buffer.allocUnsafe(len);
    this.buf.copy(out, 0, 0, len);
    this.pos = this.headerBytes;
    this.onFlush(out);
  }

  private readonly emit = (): void => {
    this.scheduled = false;
    const len = this.frameStart;
    if (len === 0) return;
    if (this.lend) {
      const lent = this.buf;
      this.frameStart = 0;
      this.pos = this.headerBytes;
      if (this.onFlush(lent.subarray(0, len)) !== true) this.buf = Buffer.allocUnsafe(Math.min(lent.length, 1 << 20));
      else if (lent.length > 1 << 20 && len < 1 << 16) this.buf = Buffer.allocUnsafe(16384);
      return;
    }
    const out = Buffer.allocUnsafe(len);
    this.buf.copy(out, 0, 0, len);
    this.frameStart = 0;
    this.pos = this.headerBytes;
    if (this.buf.length > 1 << 20 && len < 1 << 16) this.buf = Buffer.allocUnsafe(16384); // give back a buffer grown by one huge message
    this.onFlush(out);
  };

  // The runtime's transports expose these; generated code and TApplicationException may call them.
  setCurrSeqId(_seqid: number): void {}
  isOpen(): boolean { return true; }
  open(): void {}
  close(): void {}
}

/** Input transport over one complete message (a frame's payload or an HTTP body). */
export class ReadBuffer {
  buf: Buffer;
  pos: number;
  end: number;
  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }
  get remaining(): number {
    return this.end - this.pos;
  }
}

interface FieldHeader { fname: null; ftype: number; fid: number }

export class FastBinaryProtocol {
  readonly trans: WriteBuffer & ReadBuffer;
  /** Reused for every readFieldBegin: generated code copies ftype/fid out at once. */
  private readonly field: FieldHeader = { fname: null, ftype: 0, fid: 0 };

  constructor(trans: WriteBuffer | ReadBuffer) {
    this.trans = trans as WriteBuffer & ReadBuffer;
  }

  getTransport(): WriteBuffer | ReadBuffer {
    return this.trans;
  }

  flush(): void {
    this.trans.flush();
  }

  // ---------------------------------------------------------------- writing
  writeMessageBegin(name: string, type: number, seqid: number): void {
    this.trans.reset();
    this.writeI32(VERSION_1 | type);
    this.writeString(name);
    this.writeI32(seqid);
  }
  writeMessageEnd(): void {}
  writeStructBegin(_name?: string): void {}
  writeStructEnd(): void {}
  writeFieldBegin(_name: string, type: number, id: number): void {
    const t = this.trans;
    t.ensure(3);
    const b = t.buf;
    const p = t.pos;
    b[p] = type;
    b[p + 1] = (id >> 8) & 0xff;
    b[p + 2] = id & 0xff;
    t.pos = p + 3;
  }
  writeFieldEnd(): void {}
  writeFieldStop(): void {
    this.writeByte(T.STOP);
  }
  writeMapBegin(ktype: number, vtype: number, size: number): void {
    this.writeByte(ktype);
    this.writeByte(vtype);
    this.writeI32(size);
  }
  writeMapEnd(): void {}
  writeListBegin(etype: number, size: number): void {
    this.writeByte(etype);
    this.writeI32(size);
  }
  writeListEnd(): void {}
  writeSetBegin(etype: number, size: number): void {
    this.writeListBegin(etype, size);
  }
  writeSetEnd(): void {}
  writeBool(v: boolean): void {
    this.writeByte(v ? 1 : 0);
  }
  writeByte(v: number): void {
    const t = this.trans;
    t.ensure(1);
    t.buf[t.pos++] = v & 0xff;
  }
  writeI16(v: number): void {
    const t = this.trans;
    t.ensure(2);
    const p = t.pos;
    t.buf[p] = (v >> 8) & 0xff;
    t.buf[p + 1] = v & 0xff;
    t.pos = p + 2;
  }
  writeI32(v: number): void {
    const t = this.trans;
    t.ensure(4);
    const b = t.buf;
    const p = t.pos;
    b[p] = (v >>> 24) & 0xff;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    t.pos = p + 4;
  }
  writeI64(v: Int64Like | number | bigint | string): void {
    const t = this.trans;
    t.ensure(8);
    if (typeof v === 'bigint') t.buf.writeBigInt64BE(v, t.pos);
    else if (typeof v === 'object' && v !== null && Buffer.isBuffer(v.buffer)) v.buffer.copy(t.buf, t.pos, v.offset ?? 0, (v.offset ?? 0) + 8);
    else if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new ProtocolError('i64 value is not a safe integer');
      t.buf.writeBigInt64BE(BigInt(v), t.pos);
    } else t.buf.writeBigInt64BE(BigInt(v as string), t.pos);
    t.pos += 8;
  }
  writeDouble(v: number): void {
    const t = this.trans;
    t.ensure(8);
    t.buf.writeDoubleBE(v, t.pos);
    t.pos += 8;
  }
  writeString(s: string | Buffer): void {
    if (typeof s !== 'string') {
      this.writeBinary(s);
      return;
    }
    const t = this.trans;
    const n = s.length;
    t.ensure(4 + n * 3);
    const b = t.buf;
    const start = t.pos + 4;
    if (n <= ASCII_FAST_PATH) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + i] = c;
      }
      if (i === n) {
        this.putLength(n);
        t.pos = start + n;
        return;
      }
    }
    const len = b.write(s, start, 'utf8');
    this.putLength(len);
    t.pos = start + len;
  }
  private putLength(len: number): void {
    const b = this.trans.buf;
    const p = this.trans.pos;
    b[p] = (len >>> 24) & 0xff;
    b[p + 1] = (len >>> 16) & 0xff;
    b[p + 2] = (len >>> 8) & 0xff;
    b[p + 3] = len & 0xff;
  }
  writeBinary(v: Buffer | Uint8Array): void {
    if (!(v instanceof Uint8Array)) throw new ProtocolError('a string field got a value that is neither a string nor a Buffer');
    const t = this.trans;
    t.ensure(4 + v.length);
    this.putLength(v.length);
    t.buf.set(v, t.pos + 4);
    t.pos += 4 + v.length;
  }
  writeUuid(v: string): void {
    const hex = v.replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new ProtocolError('invalid uuid');
    const t = this.trans;
    t.ensure(16);
    t.buf.write(hex, t.pos, 'hex');
    t.pos += 16;
  }

  // ---------------------------------------------------------------- reading
  private need(n: number): number {
    const t = this.trans;
    const p = t.pos;
    if (n < 0 || p + n > t.end) throw new ProtocolError(`message truncated: need ${n} bytes at ${p}, have ${t.end - p}`);
    t.pos = p + n;
    return p;
  }

  readMessageBegin(): { fname: string; mtype: number; rseqid: number } {
    const sz = this.readI32();
    if ((sz & VERSION_MASK) !== VERSION_1) throw new ProtocolError('bad protocol version in message header');
    const mtype = sz & 0xff;
    const fname = this.readString();
    const rseqid = this.readI32();
    return { fname, mtype, rseqid };
  }
  readMessageEnd(): void {}
  readStructBegin(): { fname: string } {
    return STRUCT_BEGIN;
  }
  readStructEnd(): void {}
  readFieldBegin(): FieldHeader {
    const t = this.trans;
    const f = this.field;
    const p = this.need(1);
    const type = t.buf[p]!;
    f.ftype = type;
    if (type === T.STOP) {
      f.fid = 0;
      return f;
    }
    const q = this.need(2);
    f.fid = ((t.buf[q]! << 24) >> 16) | t.buf[q + 1]!;
    return f;
  }
  readFieldEnd(): void {}
  readMapBegin(): { ktype: number; vtype: number; size: number } {
    const ktype = this.readByte();
    const vtype = this.readByte();
    const size = this.readSize(2);
    return { ktype, vtype, size };
  }
  readMapEnd(): void {}
  readListBegin(): { etype: number; size: number } {
    const etype = this.readByte();
    const size = this.readSize(1);
    return { etype, size };
  }
  readListEnd(): void {}
  readSetBegin(): { etype: number; size: number } {
    return this.readListBegin();
  }
  readSetEnd(): void {}
  /** A container size that cannot be honest is rejected before anyone allocates for it. */
  private readSize(minBytesPerElement: number): number {
    const size = this.readI32();
    if (size < 0 || size * minBytesPerElement > this.trans.end - this.trans.pos) {
      throw new ProtocolError(`container size ${size} exceeds the message`);
    }
    return size;
  }
  readBool(): boolean {
    return this.readByte() !== 0;
  }
  readByte(): number {
    const p = this.need(1);
    return (this.trans.buf[p]! << 24) >> 24;
  }
  readI16(): number {
    const p = this.need(2);
    const b = this.trans.buf;
    return ((b[p]! << 24) >> 16) | b[p + 1]!;
  }
  readI32(): number {
    const p = this.need(4);
    const b = this.trans.buf;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }
  readI64(): Int64Like {
    const p = this.need(8);
    return new Int64(Buffer.from(this.trans.buf.subarray(p, p + 8)));
  }
  readDouble(): number {
    const p = this.need(8);
    return this.trans.buf.readDoubleBE(p);
  }
  readString(): string {
    const len = this.readI32();
    const p = this.need(len);
    if (len === 0) return '';
    return utf8At(this.trans.buf, p, p + len);
  }
  readBinary(): Buffer {
    const len = this.readI32();
    const p = this.need(len);
    return Buffer.from(this.trans.buf.subarray(p, p + len));
  }
  readUuid(): string {
    const p = this.need(16);
    const h = this.trans.buf.toString('hex', p, p + 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  skip(type: number, depth = 0): void {
    if (depth > MAX_SKIP_DEPTH) throw new ProtocolError('message nests too deeply');
    switch (type) {
      case T.BOOL: case T.BYTE: this.need(1); return;
      case T.I16: this.need(2); return;
      case T.I32: this.need(4); return;
      case T.I64: case T.DOUBLE: this.need(8); return;
      case T.UUID: this.need(16); return;
      case T.STRING: this.need(this.readI32()); return;
      case T.STRUCT:
        for (;;) {
          const f = this.readFieldBegin();
          if (f.ftype === T.STOP) return;
          this.skip(f.ftype, depth + 1);
        }
      case T.MAP: {
        const m = this.readMapBegin();
        for (let i = 0; i < m.size; i++) {
          this.skip(m.ktype, depth + 1);
          this.skip(m.vtype, depth + 1);
        }
        return;
      }
      case T.SET: case T.LIST: {
        const l = this.readListBegin();
        for (let i = 0; i < l.size; i++) this.skip(l.etype, depth + 1);
        return;
      }
      default:
        throw new ProtocolError(`invalid field type ${type}`);
    }
  }
}

const STRUCT_BEGIN = Object.freeze({ fname: '' });

/** What the plumbing itself calls on a protocol (generated code calls the rest). */
export interface WireProtocol {
  readMessageBegin(): { fname: string; mtype: number; rseqid: number };
  writeMessageBegin(name: string, type: number, seqid: number): void;
  flush(): void;
}

export type ProtocolClass = new (...args: any[]) => WireProtocol;
