/**
 * What the plumbing needs to know about a generated service module
 * (thrift/gen-nodejs/<Name>Service.js): its Client and Processor classes, the
 * method names, and how many arguments each handler method must declare.
 *
 * The last point matters: the 0.17 es6 processor calls a handler in promise
 * style only when `handler.method.length` equals the IDL's argument count and
 * otherwise passes a callback that a promise-returning handler never calls (the
 * caller hangs). Wrapped handlers therefore get exactly that `length`.
 */
export interface ServiceModule {
  Client: new (output: never, pClass: never) => object;
  Processor: new (handler: object) => { process(input: unknown, output: unknown): void };
}

export interface MethodInfo {
  name: string;
  /** number of IDL arguments (the handler's required `length`) */
  arity: number;
}

const cache = new WeakMap<ServiceModule, MethodInfo[]>();
const ARITY_RE = /this\._handler\.(\w+)\.length === (\d+)/;

function protoChain(ctor: Function): object[] {
  const out: object[] = [];
  for (let p = ctor.prototype as object | null; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) out.push(p);
  return out;
}

/** Methods of a generated service (including inherited BaseService ones), read from its Processor. */
export function serviceMethods(mod: ServiceModule): MethodInfo[] {
  const hit = cache.get(mod);
  if (hit) return hit;
  const seen = new Map<string, number>();
  for (const proto of protoChain(mod.Processor)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (!key.startsWith('process_') || seen.has(key.slice(8))) continue;
      const src = String((proto as Record<string, unknown>)[key]);
      const m = ARITY_RE.exec(src);
      if (!m || m[1] !== key.slice(8)) throw new Error(`cannot read the argument count of ${key} from the generated processor`);
      seen.set(m[1], Number(m[2]));
    }
  }
  const out = [...seen].map(([name, arity]) => ({ name, arity })).sort((a, b) => a.name.localeCompare(b.name));
  cache.set(mod, out);
  return out;
}
