/**
 * A processor of our own for the methods whose result the compiled encoders
 * (direct-writer.ts) cover: it replaces the generated `process_<method>` on
 * one Processor instance with one that reads the arguments like the generated
 * code, calls the handler the same way, and writes the result straight from
 * the handler's objects instead of deep-copying them into generated structs
 * first. Errors take the generated path's route: a declared exception is
 * written as the result's exception field (`err.write`), anything else as a
 * TApplicationException(UNKNOWN, err.message). Bytes are identical to the
 * generated processor's (rpc/test/direct-replies.test.ts).
 *
 * Left to the generated code: methods whose result or arguments use types not
 * covered (maps, sets, i64, binary, unions, field defaults), oneway methods,
 * and handlers whose `length` differs from the IDL's argument count (the
 * generated processor then uses callback style).
 */
import thrift from 'thrift';
import { serviceSpec, type FieldSpec, type FunctionSpec, type TypeSpec } from './idl-schema.ts';
import { ttypeOf, writerFor, type ProtocolOut, type Writer } from './direct-writer.ts';
import type { ServiceModule } from './service-module.ts';

const { Thrift } = thrift as unknown as { Thrift: ThriftNs };
interface ThriftNs {
  Type: { STOP: number };
  MessageType: { REPLY: number; EXCEPTION: number };
  TApplicationException: new (type: number, message: string) => { write(p: unknown): void };
  TApplicationExceptionType: { UNKNOWN: number };
  copyList(list: unknown, types: unknown[]): unknown;
}

interface ProtocolIn {
  readStructBegin(): unknown;
  readStructEnd(): void;
  readFieldBegin(): { ftype: number; fid: number };
  readFieldEnd(): void;
  readListBegin(): { etype: number; size: number };
  readListEnd(): void;
  readMessageEnd(): void;
  readBool(): unknown; readByte(): unknown; readI16(): unknown; readI32(): unknown; readDouble(): unknown; readString(): unknown;
  skip(type: number): void;
}
type Output = ProtocolOut & { writeMessageBegin(name: string, type: number, seqid: number): void; writeMessageEnd(): void; flush(): void };
type Reader = (input: ProtocolIn) => unknown;
type ProcessFn = (seqid: number, input: ProtocolIn, output: Output) => void;

/** Argument types read here exactly as the generated read() does. */
function readerFor(t: TypeSpec): Reader | undefined {
  switch (t.kind) {
    case 'bool': return (i) => i.readBool();
    case 'byte': return (i) => i.readByte();
    case 'i16': return (i) => i.readI16();
    case 'i32': return (i) => i.readI32();
    case 'double': return (i) => i.readDouble();
    case 'string': return (i) => i.readString();
    case 'struct': {
      const Cls = t.struct.cls;
      return (i) => { const o = new Cls(); o.read(i); return o; };
    }
    case 'list': {
      const elem = readerFor(t.elem);
      if (!elem) return undefined;
      return (i) => {
        const out: unknown[] = [];
        const size = i.readListBegin().size || 0;
        for (let k = 0; k < size; k++) out.push(elem(i));
        i.readListEnd();
        return out;
      };
    }
    default: return undefined;
  }
}

/** The argument struct's read(): values by position, null when absent or of another wire type. */
function argsReader(args: FieldSpec[]): ((input: ProtocolIn) => unknown[]) | undefined {
  const readers = args.map((a) => readerFor(a.type));
  if (readers.some((r) => !r)) return undefined;
  const byId = new Map(args.map((a, k) => [a.id, k]));
  const types = args.map((a) => ttypeOf(a.type));
  return (input) => {
    const vals: unknown[] = args.map(() => null);
    input.readStructBegin();
    for (;;) {
      const { ftype, fid } = input.readFieldBegin();
      if (ftype === Thrift.Type.STOP) break;
      const k = byId.get(fid);
      if (k !== undefined && ftype === types[k]) vals[k] = readers[k]!(input);
      else input.skip(ftype);
      input.readFieldEnd();
    }
    input.readStructEnd();
    return vals;
  };
}

/**
 * The success value the generated way: copied into generated structs
 * (`Thrift.copyList` for lists) and written from the copy with its for-in
 * loop. Used only when the direct writer met a value of an unusual shape.
 */
function generatedWrite(t: TypeSpec, direct: Writer): Writer {
  if (t.kind === 'struct') return (p, v) => new t.struct.cls(v).write(p);
  if (t.kind === 'list') {
    const elemStruct = t.elem.kind === 'struct' ? t.elem.struct.cls : null;
    const etype = ttypeOf(t.elem);
    const elem = elemStruct ? (p: ProtocolOut, e: unknown) => (e as { write(p: unknown): void }).write(p) : writerFor(t.elem)!;
    return (p, v) => {
      const copy = Thrift.copyList(v, [elemStruct]) as unknown[];
      p.writeListBegin(etype, copy.length);
      for (const k in copy) if (Object.prototype.hasOwnProperty.call(copy, k)) elem(p, copy[k]);
      p.writeListEnd();
    };
  }
  return direct; // primitives: the generated code writes the value as it is
}

function directProcess(fn: FunctionSpec, handlerFn: Function, handler: object): ProcessFn | undefined {
  const readArgs = argsReader(fn.args);
  if (!readArgs) return undefined;
  const resultName = `${fn.service}_${fn.name}_result`;
  const { name } = fn;
  let writeSuccess: Writer | undefined;
  let fallback: Writer | undefined;
  const stype = ttypeOf(fn.returns);
  if (fn.returns.kind !== 'void') {
    writeSuccess = writerFor(fn.returns);
    if (!writeSuccess) return undefined;
    if (fn.returns.kind === 'list' && fn.returns.elem.kind === 'list') return undefined; // copyList of lists: not mirrored
    fallback = generatedWrite(fn.returns, writeSuccess);
  }
  const exceptions = fn.exceptions.map((e) => ({ name: e.name, id: e.id, cls: e.type.kind === 'struct' ? e.type.struct.cls : undefined }));
  if (exceptions.some((e) => !e.cls)) return undefined;

  const reply = (output: Output, seqid: number, result: unknown, write: Writer | undefined) => {
    output.writeMessageBegin(name, Thrift.MessageType.REPLY, seqid);
    output.writeStructBegin(resultName);
    if (write && result !== null && result !== undefined) {
      output.writeFieldBegin('success', stype, 0);
      write(output, result);
      output.writeFieldEnd();
    }
    output.writeFieldStop();
    output.writeStructEnd();
    output.writeMessageEnd();
    output.flush();
  };
  return (seqid, input, output) => {
    const args = readArgs(input);
    input.readMessageEnd();
    Promise.resolve(handlerFn.apply(handler, args)).then((result) => {
      try {
        reply(output, seqid, result, writeSuccess);
      } catch {
        // An unusual shape (UnusualValue), or a value that does not fit the IDL: the generated way decides
        // (it writes the reply, or throws the error the generated processor would have answered with).
        reply(output, seqid, result, fallback);
      }
    }).catch((err: { message?: string }) => {
      const declared = exceptions.find((e) => err instanceof e.cls!);
      if (declared) {
        output.writeMessageBegin(name, Thrift.MessageType.REPLY, seqid);
        output.writeStructBegin(resultName);
        output.writeFieldBegin(declared.name, 12, declared.id);
        (err as unknown as { write(p: unknown): void }).write(output);
        output.writeFieldEnd();
        output.writeFieldStop();
        output.writeStructEnd();
      } else {
        const x = new Thrift.TApplicationException(Thrift.TApplicationExceptionType.UNKNOWN, err.message!);
        output.writeMessageBegin(name, Thrift.MessageType.EXCEPTION, seqid);
        x.write(output);
      }
      output.writeMessageEnd();
      output.flush();
    });
  };
}

/**
 * Installs the direct path on `processor` for every method it covers; returns
 * their names. The processor's other methods stay generated.
 */
export function installDirectReplies(processor: object, mod: ServiceModule, handler: Record<string, unknown>): string[] {
  const service = serviceSpec(mod.Processor.name.replace(/Processor$/, ''));
  if (!service) return [];
  const installed: string[] = [];
  for (const fn of service.functions) {
    const h = handler[fn.name];
    if (fn.oneway || typeof h !== 'function' || h.length !== fn.args.length) continue;
    if (typeof (processor as Record<string, unknown>)[`process_${fn.name}`] !== 'function') continue;
    const process = directProcess(fn, h, handler);
    if (!process) continue;
    Object.defineProperty(processor, `process_${fn.name}`, { value: process, configurable: true, writable: true });
    installed.push(fn.name);
  }
  return installed;
}
