/**
 * Encoders compiled from the IDL (idl-schema.ts) that write a handler's plain
 * result straight to the protocol. The generated path first deep-copies it
 * into generated structs (`new Result({success})` -> `new ProductPage(...)` ->
 * `Thrift.copyList` -> `new Product(...)` per item) and then walks the copy
 * with for-in loops; these make the same protocol calls, in the same order,
 * with the same values, from the original objects, so the bytes are the same
 * (rpc/test/direct-replies.test.ts compares them with the generated path and
 * the stock runtime).
 *
 * Covered: bool, byte, i16, i32, double, string, structs (not unions, no
 * field defaults) and lists of those. Anything else (maps, sets, i64, binary)
 * returns undefined and the caller keeps the generated path. A value of an
 * unusual shape (a list that is not an array) throws `UnusualValue`; the caller
 * then writes the reply the generated way, which is the reference.
 */
import { TTYPE, type StructSpec, type TypeSpec } from './idl-schema.ts';

export type Writer = (p: ProtocolOut, v: unknown) => void;

/** The protocol calls the generated write() code makes. */
export interface ProtocolOut {
  writeStructBegin(name: string): void;
  writeStructEnd(): void;
  writeFieldBegin(name: string, type: number, id: number): void;
  writeFieldEnd(): void;
  writeFieldStop(): void;
  writeListBegin(etype: number, size: number): void;
  writeListEnd(): void;
  writeBool(v: unknown): void;
  writeByte(v: unknown): void;
  writeI16(v: unknown): void;
  writeI32(v: unknown): void;
  writeDouble(v: unknown): void;
  writeString(v: unknown): void;
}

export class UnusualValue extends Error {}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** Wire type code of a (supported) type. */
export function ttypeOf(t: TypeSpec): number {
  return t.kind === 'void' || t.kind === 'other' ? -1 : TTYPE[t.kind];
}

/** Whether writerFor(t) exists: every type reachable from t is covered. */
export function directlyWritable(t: TypeSpec, seen = new Set<StructSpec>()): boolean {
  switch (t.kind) {
    case 'bool': case 'byte': case 'i16': case 'i32': case 'double': case 'string':
      return true;
    case 'list':
      return directlyWritable(t.elem, seen);
    case 'struct': {
      const s = t.struct;
      if (seen.has(s)) return true;
      seen.add(s);
      return !s.union && s.fields.every((f) => !f.hasDefault && directlyWritable(f.type, seen));
    }
    default:
      return false;
  }
}

const structWriters = new WeakMap<StructSpec, Writer>();

/** A writer for `t`, or undefined when `t` is not covered. */
export function writerFor(t: TypeSpec): Writer | undefined {
  if (!directlyWritable(t)) return undefined;
  return compile(t);
}

function compile(t: TypeSpec): Writer {
  switch (t.kind) {
    case 'bool': return (p, v) => p.writeBool(v);
    case 'byte': return (p, v) => p.writeByte(v);
    case 'i16': return (p, v) => p.writeI16(v);
    case 'i32': return (p, v) => p.writeI32(v);
    case 'double': return (p, v) => p.writeDouble(v);
    case 'string': return (p, v) => p.writeString(v);
    case 'list': {
      const etype = ttypeOf(t.elem);
      const elem = compile(t.elem);
      return (p, v) => {
        // the generated path copies with Thrift.copyList; for anything but an array, let it decide
        if (!Array.isArray(v)) throw new UnusualValue('list value is not an array');
        const n = v.length;
        p.writeListBegin(etype, n);
        for (let i = 0; i < n; i++) elem(p, v[i]);
        p.writeListEnd();
      };
    }
    case 'struct': return structWriter(t.struct);
    default: throw new Error(`no direct writer for ${t.kind}`);
  }
}

function structWriter(s: StructSpec): Writer {
  const hit = structWriters.get(s);
  if (hit) return hit;
  const names: string[] = [];
  const types: number[] = [];
  const ids: number[] = [];
  const writers: Writer[] = [];
  const { name } = s;
  const n = s.fields.length;
  // `new Struct(v)` in the generated path: a null/undefined element of a list becomes an empty struct;
  // any other value's fields are read as properties (a primitive has none)
  const w: Writer = (p, v) => {
    const o = v === null || v === undefined ? EMPTY : (v as Record<string, unknown>);
    p.writeStructBegin(name);
    for (let i = 0; i < n; i++) {
      const x = o[names[i]!];
      if (x === null || x === undefined) continue;
      p.writeFieldBegin(names[i]!, types[i]!, ids[i]!);
      writers[i]!(p, x);
      p.writeFieldEnd();
    }
    p.writeFieldStop();
    p.writeStructEnd();
  };
  structWriters.set(s, w); // before compiling fields: recursive structs find it
  for (const f of s.fields) {
    names.push(f.name);
    types.push(ttypeOf(f.type));
    ids.push(f.id);
    writers.push(compile(f.type));
  }
  return w;
}
