/**
 * The IDL's types as data: `thrift --gen json` output (thrift/gen-nodejs/<file>.json,
 * written by `npm run thrift:gen` next to the generated code), resolved into
 * struct and service descriptions with the generated struct classes attached.
 * The direct reply path (direct-processor.ts) compiles encoders from it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const GEN_DIR = fileURLToPath(new URL('../thrift/gen-nodejs/', import.meta.url));
const requireGen = createRequire(join(GEN_DIR, 'index.js'));

/** Thrift wire type codes (Thrift.Type) */
export const TTYPE = { bool: 2, byte: 3, i8: 3, double: 4, i16: 6, i32: 8, i64: 10, string: 11, binary: 11, struct: 12, map: 13, set: 14, list: 15 } as const;

export type TypeSpec =
  | { kind: 'void' }
  | { kind: 'bool' | 'byte' | 'i16' | 'i32' | 'i64' | 'double' | 'string' | 'binary' }
  | { kind: 'struct'; struct: StructSpec }
  | { kind: 'list' | 'set'; elem: TypeSpec }
  | { kind: 'map'; key: TypeSpec; value: TypeSpec }
  | { kind: 'other'; typeId: string };

export interface FieldSpec { id: number; name: string; type: TypeSpec; hasDefault: boolean }

export interface StructSpec {
  /** qualified: program.Name */
  qname: string;
  name: string;
  fields: FieldSpec[];
  union: boolean;
  /** the generated class (new Cls(args) copies, instance.read/write) */
  cls: new (args?: unknown) => { read(p: unknown): void; write(p: unknown): void };
}

export interface FunctionSpec {
  /** the service that declares it (inherited functions keep their base service's name) */
  service: string;
  name: string;
  args: FieldSpec[];
  returns: TypeSpec;
  exceptions: FieldSpec[];
  oneway: boolean;
}

export interface ServiceSpec { name: string; functions: FunctionSpec[] }

interface JsonType { typeId: string; class?: string; elemTypeId?: string; elemType?: JsonType; keyTypeId?: string; keyType?: JsonType; valueTypeId?: string; valueType?: JsonType }
interface JsonField { key: number; name: string; typeId: string; type?: JsonType; default?: unknown }
interface JsonProgram {
  name: string;
  structs: { name: string; isUnion: boolean; fields: JsonField[] }[];
  services: { name: string; extends?: string; functions: { name: string; returnTypeId: string; returnType?: JsonType; oneway: boolean; arguments: JsonField[]; exceptions: JsonField[] }[] }[];
}

let loaded: { structs: Map<string, StructSpec>; services: Map<string, ServiceSpec> } | undefined;

function load() {
  const programs = new Map<string, JsonProgram>();
  for (const f of readdirSync(GEN_DIR)) {
    if (!f.endsWith('.json') || f === 'package.json') continue;
    const p = JSON.parse(readFileSync(join(GEN_DIR, f), 'utf8')) as JsonProgram;
    programs.set(p.name, p);
  }
  const structs = new Map<string, StructSpec>();
  const qualify = (program: string, name: string) => (name.includes('.') ? name : `${program}.${name}`);
  // structs first (shells), then their fields, so recursive and cross-file references resolve
  const pending: [StructSpec, string, JsonField[]][] = [];
  for (const p of programs.values()) {
    const types = requireGen(`./${p.name}_types.js`) as Record<string, StructSpec['cls']>;
    for (const s of p.structs) {
      const spec: StructSpec = { qname: `${p.name}.${s.name}`, name: s.name, fields: [], union: s.isUnion, cls: types[s.name]! };
      structs.set(spec.qname, spec);
      pending.push([spec, p.name, s.fields]);
    }
  }
  const typeOf = (program: string, typeId: string, t: JsonType | undefined): TypeSpec => {
    switch (typeId) {
      case 'void': case 'bool': case 'i16': case 'i32': case 'i64': case 'double': case 'string': case 'binary':
        return { kind: typeId };
      case 'byte': case 'i8':
        return { kind: 'byte' };
      case 'struct': case 'exception': case 'union': {
        const s = structs.get(qualify(program, t!.class!));
        return s ? { kind: 'struct', struct: s } : { kind: 'other', typeId };
      }
      case 'list': case 'set':
        return { kind: typeId, elem: typeOf(program, t!.elemTypeId!, t!.elemType) };
      case 'map':
        return { kind: 'map', key: typeOf(program, t!.keyTypeId!, t!.keyType), value: typeOf(program, t!.valueTypeId!, t!.valueType) };
      default:
        return { kind: 'other', typeId };
    }
  };
  const fieldsOf = (program: string, fs: JsonField[]): FieldSpec[] =>
    fs.map((f) => ({ id: f.key, name: f.name, type: typeOf(program, f.typeId, f.type), hasDefault: f.default !== undefined }));
  for (const [spec, program, fs] of pending) spec.fields = fieldsOf(program, fs);

  const services = new Map<string, ServiceSpec>();
  const resolveService = (program: string, name: string): ServiceSpec | undefined => {
    const qname = qualify(program, name);
    const hit = services.get(qname);
    if (hit) return hit;
    const [prog, sname] = qname.split('.') as [string, string];
    const s = programs.get(prog)?.services.find((x) => x.name === sname);
    if (!s) return undefined;
    const base = s.extends ? resolveService(prog, s.extends)?.functions ?? [] : [];
    const own = s.functions.map((f) => ({
      service: s.name, name: f.name, oneway: f.oneway,
      args: fieldsOf(prog, f.arguments), exceptions: fieldsOf(prog, f.exceptions),
      returns: typeOf(prog, f.returnTypeId, f.returnType),
    }));
    const spec = { name: s.name, functions: [...base.filter((b) => !own.some((o) => o.name === b.name)), ...own] };
    services.set(qname, spec);
    return spec;
  };
  for (const p of programs.values()) for (const s of p.services) resolveService(p.name, s.name);
  return { structs, services };
}

/** The service named `name` (unqualified, e.g. ProductService), with inherited functions. */
export function serviceSpec(name: string): ServiceSpec | undefined {
  loaded ??= load();
  for (const [qname, s] of loaded.services) if (qname.endsWith(`.${name}`)) return s;
  return undefined;
}
