/**
 * The Thrift compact protocol (version 1), written the same lean way as
 * protocol.ts: one growable buffer, reads straight from the frame. Smaller on
 * the wire than binary (varints, field-id deltas, bools folded into field
 * headers); byte-for-byte equal to the runtime's TCompactProtocol (tested).
 * Both ends of a connection must use the same protocol.
 */
import thrift from 'thrift';
import { ProtocolError, ReadBuffer, T, utf8At, WriteBuffer } from './protocol.ts';

const PROTOCOL_ID = 0x82;
const VERSION = 1;
const MAX_SKIP_DEPTH = 64;
const ASCII_FAST_PATH = 64;

// compact type ids
const CT = { STOP: 0, TRUE: 1, FALSE: 2, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12, UUID: 13 } as const;

const TO_COMPACT: number[] = [];
TO_COMPACT[T.STOP] = CT.STOP;
TO_COMPACT[T.BOOL] = CT.TRUE;
TO_COMPACT[T.BYTE] = CT.BYTE;
TO_COMPACT[T.I16] = CT.I16;
TO_COMPACT[T.I32] = CT.I32;
TO_COMPACT[T.I64] = CT.I64;
TO_COMPACT[T.DOUBLE] = CT.DOUBLE;
TO_COMPACT[T.STRING] = CT.BINARY;
TO_COMPACT[T.LIST] = CT.LIST;
TO_COMPACT[T.SET] = CT.SET;
TO_COMPACT[T.MAP] = CT.MAP;
TO_COMPACT[T.STRUCT] = CT.STRUCT;
TO_COMPACT[T.UUID] = CT.UUID;

const FROM_COMPACT = [T.STOP, T.BOOL, T.BOOL, T.BYTE, T.I16, T.I32, T.I64, T.DOUBLE, T.STRING, T.LIST, T.SET, T.MAP, T.STRUCT, T.UUID];

type Int64Like = { buffer: Buffer; offset?: number };
const Int64 = thrift.Int64 as unknown as new (b: Buffer) => Int64Like;

function compactType(t: number): number {
  const c = TO_COMPACT[t];
  if (c === undefined) throw new ProtocolError(`invalid field type ${t}`);
  return c;
}

interface FieldHeader { fname: null; ftype: number; fid: number }

export class FastCompactProtocol {
  readonly trans: WriteBuffer & ReadBuffer;
  private lastFid = 0;
  private readonly fidStack: number[] = [];
  /** write side: a bool field whose header waits for its value */
  private boolFid = -1;
  /** read side: the value of a bool field carried in its header */
  private boolValue: boolean | undefined;
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
  private byte(v: number): void {
    const t = this.trans;
    t.ensure(1);
    t.buf[t.pos++] = v & 0xff;
  }
  /** unsigned varint of a 32-bit value */
  private varint32(n: number): void {
    const t = this.trans;
    t.ensure(5);
    const b = t.buf;
    let p = t.pos;
    n >>>= 0;
    while (n >= 0x80) {
      b[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[p++] = n;
    t.pos = p;
  }
  private varint64(n: bigint): void {
    let u = BigInt.asUintN(64, n);
    while (u >= 0x80n) {
      this.byte(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    this.byte(Number(u));
  }

  writeMessageBegin(name: string, type: number, seqid: number): void {
    this.trans.reset();
    this.lastFid = 0;
    this.fidStack.length = 0;
    this.byte(PROTOCOL_ID);
    this.byte((VERSION & 0x1f) | ((type << 5) & 0xe0));
    this.varint32(seqid);
    this.writeString(name);
  }
  writeMessageEnd(): void {}
  writeStructBegin(_name?: string): void {
    this.fidStack.push(this.lastFid);
    this.lastFid = 0;
  }
  writeStructEnd(): void {
    this.lastFid = this.fidStack.pop() ?? 0;
  }
  writeFieldBegin(_name: string, type: number, id: number): void {
    if (type === T.BOOL) {
      this.boolFid = id;
      return;
    }
    this.fieldHeader(compactType(type), id);
  }
  private fieldHeader(ctype: number, id: number): void {
    const delta = id - this.lastFid;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | ctype);
    else {
      this.byte(ctype);
      this.writeI16(id);
    }
    this.lastFid = id;
  }
  writeFieldEnd(): void {}
  writeFieldStop(): void {
    this.byte(CT.STOP);
  }
  writeMapBegin(ktype: number, vtype: number, size: number): void {
    if (size === 0) this.byte(0);
    else {
      this.varint32(size);
      this.byte((compactType(ktype) << 4) | compactType(vtype));
    }
  }
  writeMapEnd(): void {}
  writeListBegin(etype: number, size: number): void {
    const ct = compactType(etype);
    if (size <= 14) this.byte((size << 4) | ct);
    else {
      this.byte(0xf0 | ct);
      this.varint32(size);
    }
  }
  writeListEnd(): void {}
  writeSetBegin(etype: number, size: number): void {
    this.writeListBegin(etype, size);
  }
  writeSetEnd(): void {}
  writeBool(v: boolean): void {
    if (this.boolFid >= 0) {
      const id = this.boolFid;
      this.boolFid = -1;
      this.fieldHeader(v ? CT.TRUE : CT.FALSE, id);
    } else this.byte(v ? CT.TRUE : CT.FALSE);
  }
  writeByte(v: number): void {
    this.byte(v);
  }
  writeI16(v: number): void {
    this.writeI32(v);
  }
  writeI32(v: number): void {
    this.varint32((v << 1) ^ (v >> 31));
  }
  writeI64(v: Int64Like | number | bigint | string): void {
    let n: bigint;
    if (typeof v === 'bigint') n = v;
    else if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new ProtocolError('i64 value is not a safe integer');
      n = BigInt(v);
    } else if (typeof v === 'string') n = BigInt(v);
    else n = v.buffer.readBigInt64BE(v.offset ?? 0);
    this.varint64((n << 1n) ^ (n >> 63n));
  }
  writeDouble(v: number): void {
    const t = this.trans;
    t.ensure(8);
    t.buf.writeDoubleLE(v, t.pos);
    t.pos += 8;
  }
  writeString(s: string | Buffer): void {
    if (typeof s !== 'string') {
      this.writeBinary(s);
      return;
    }
    const n = s.length;
    if (n <= ASCII_FAST_PATH) {
      let ascii = true;
      for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) { ascii = false; break; }
      if (ascii) {
        this.varint32(n);
        const t = this.trans;
        t.ensure(n);
        const b = t.buf;
        const p = t.pos;
        for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
        t.pos = p + n;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varint32(len);
    const t = this.trans;
    t.ensure(len);
    t.buf.write(s, t.pos, 'utf8');
    t.pos += len;
  }
  writeBinary(v: Buffer | Uint8Array): void {
    if (!(v instanceof Uint8Array)) throw new ProtocolError('a string field got a value that is neither a string nor a Buffer');
    this.varint32(v.length);
    const t = this.trans;
    t.ensure(v.length);
    t.buf.set(v, t.pos);
    t.pos += v.length;
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
  private readVarint32(): number {
    const t = this.trans;
    const b = t.buf;
    let result = 0;
    let shift = 0;
    for (;;) {
      if (t.pos >= t.end) throw new ProtocolError('message truncated inside a varint');
      const c = b[t.pos++]!;
      result |= (c & 0x7f) << shift;
      if (c < 0x80) return result >>> 0;
      shift += 7;
      if (shift > 28) {
        if (t.pos >= t.end) throw new ProtocolError('message truncated inside a varint');
        const last = b[t.pos++]!;
        if (last > 0x0f) throw new ProtocolError('varint32 too long');
        return (result | (last << 28)) >>> 0;
      }
    }
  }
  private readVarint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const c = this.readUByte();
      result |= BigInt(c & 0x7f) << shift;
      if (c < 0x80) return result;
      shift += 7n;
    }
    throw new ProtocolError('varint64 too long');
  }
  private readUByte(): number {
    const p = this.need(1);
    return this.trans.buf[p]!;
  }

  readMessageBegin(): { fname: string; mtype: number; rseqid: number } {
    if (this.readUByte() !== PROTOCOL_ID) throw new ProtocolError('not a compact-protocol message');
    const vt = this.readUByte();
    if ((vt & 0x1f) !== VERSION) throw new ProtocolError('bad compact protocol version');
    const mtype = (vt >> 5) & 0x07;
    const rseqid = this.readVarint32() | 0;
    const fname = this.readString();
    this.lastFid = 0;
    this.fidStack.length = 0;
    return { fname, mtype, rseqid };
  }
  readMessageEnd(): void {}
  readStructBegin(): { fname: string } {
    this.fidStack.push(this.lastFid);
    this.lastFid = 0;
    return STRUCT_BEGIN;
  }
  readStructEnd(): void {
    this.lastFid = this.fidStack.pop() ?? 0;
  }
  readFieldBegin(): FieldHeader {
    const f = this.field;
    const b = this.readUByte();
    const ctype = b & 0x0f;
    if (ctype === CT.STOP) {
      f.ftype = T.STOP;
      f.fid = 0;
      return f;
    }
    const delta = b >> 4;
    const fid = delta === 0 ? this.readI16() : this.lastFid + delta;
    const ttype = FROM_COMPACT[ctype];
    if (ttype === undefined) throw new ProtocolError(`invalid compact type ${ctype}`);
    if (ctype === CT.TRUE || ctype === CT.FALSE) this.boolValue = ctype === CT.TRUE;
    this.lastFid = fid;
    f.ftype = ttype;
    f.fid = fid;
    return f;
  }
  readFieldEnd(): void {}
  readMapBegin(): { ktype: number; vtype: number; size: number } {
    const size = this.readVarint32();
    if (size === 0) return { ktype: T.STOP, vtype: T.STOP, size: 0 };
    const kv = this.readUByte();
    const ktype = FROM_COMPACT[kv >> 4];
    const vtype = FROM_COMPACT[kv & 0x0f];
    if (ktype === undefined || vtype === undefined) throw new ProtocolError('invalid map types');
    this.checkSize(size, 2);
    return { ktype, vtype, size };
  }
  readMapEnd(): void {}
  readListBegin(): { etype: number; size: number } {
    const b = this.readUByte();
    let size = (b >> 4) & 0x0f;
    if (size === 15) size = this.readVarint32();
    const etype = FROM_COMPACT[b & 0x0f];
    if (etype === undefined) throw new ProtocolError('invalid list element type');
    this.checkSize(size, 1);
    return { etype, size };
  }
  readListEnd(): void {}
  readSetBegin(): { etype: number; size: number } {
    return this.readListBegin();
  }
  readSetEnd(): void {}
  private checkSize(size: number, minBytes: number): void {
    if (size < 0 || size * minBytes > this.trans.end - this.trans.pos) throw new ProtocolError(`container size ${size} exceeds the message`);
  }
  readBool(): boolean {
    if (this.boolValue !== undefined) {
      const v = this.boolValue;
      this.boolValue = undefined;
      return v;
    }
    return this.readUByte() === CT.TRUE;
  }
  readByte(): number {
    return (this.readUByte() << 24) >> 24;
  }
  readI16(): number {
    return this.readI32();
  }
  readI32(): number {
    const n = this.readVarint32();
    return (n >>> 1) ^ -(n & 1);
  }
  readI64(): Int64Like {
    const n = this.readVarint64();
    const v = (n >> 1n) ^ -(n & 1n);
    const buf = Buffer.allocUnsafe(8);
    buf.writeBigInt64BE(BigInt.asIntN(64, v));
    return new Int64(buf);
  }
  readDouble(): number {
    const p = this.need(8);
    return this.trans.buf.readDoubleLE(p);
  }
  readString(): string {
    const len = this.readVarint32();
    const p = this.need(len);
    if (len === 0) return '';
    return utf8At(this.trans.buf, p, p + len);
  }
  readBinary(): Buffer {
    const len = this.readVarint32();
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
      case T.BOOL: this.readBool(); return;
      case T.BYTE: this.need(1); return;
      case T.I16: case T.I32: this.readVarint32(); return;
      case T.I64: this.readVarint64(); return;
      case T.DOUBLE: this.need(8); return;
      case T.UUID: this.need(16); return;
      case T.STRING: this.need(this.readVarint32()); return;
      case T.STRUCT:
        this.readStructBegin();
        for (;;) {
          const f = this.readFieldBegin();
          if (f.ftype === T.STOP) break;
          this.skip(f.ftype, depth + 1);
        }
        this.readStructEnd();
        return;
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
