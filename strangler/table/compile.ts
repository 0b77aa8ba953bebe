/**
 * Compiles a validated route table into a matcher, once per reload.
 * `match` is a pure function of (method, host, path, headers): static paths
 * are a map lookup, parameterised patterns are tried most-specific first,
 * then host fallbacks, then the longest matching path prefix.
 */
import { matchPattern, normalisePath, parsePattern, type PathPattern } from './pattern.ts';
import type { RouteSpec, RouteTable } from './schema.ts';

export interface CompiledRoute {
  spec: RouteSpec;
  id: string;
  pattern: PathPattern;
  methods: Set<string> | null;
}

export interface FallbackRule {
  prefix?: string;
  host?: string;
  upstream: string;
}

export type MatchResult =
  | { kind: 'route'; route: CompiledRoute; params: Record<string, string> }
  | { kind: 'fallback'; upstream: string; rule: FallbackRule }
  | null;

export interface CompiledTable {
  table: RouteTable;
  version: number;
  routes: CompiledRoute[];
  byId: Map<string, CompiledRoute>;
  match(method: string, host: string | undefined, path: string, headers: Record<string, string | string[] | undefined>): MatchResult;
}

function hostOnly(host: string | undefined): string {
  if (!host) return '';
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const c = h.indexOf(':');
  return c === -1 ? h : h.slice(0, c);
}

function predicatesPass(r: CompiledRoute, method: string, host: string, headers: Record<string, string | string[] | undefined>): boolean {
  if (r.methods !== null && !r.methods.has(method)) return false;
  if (r.spec.host !== undefined && r.spec.host !== host) return false;
  if (r.spec.headers) {
    for (const name in r.spec.headers) if (headers[name] !== r.spec.headers[name]) return false;
  }
  return true;
}

export function compileTable(table: RouteTable): CompiledTable {
  const routes: CompiledRoute[] = table.routes.map((spec) => {
    const parsed = parsePattern(spec.path);
    if (!parsed.ok) throw new Error(`route ${spec.id}: ${parsed.error}`); // validated before; defensive
    return { spec, id: spec.id, pattern: parsed.pattern, methods: spec.methods === '*' ? null : new Set<string>(spec.methods) };
  });
  const byId = new Map(routes.map((r) => [r.id, r]));
  const staticByPath = new Map<string, CompiledRoute[]>();
  const dynamic: CompiledRoute[] = [];
  for (const r of routes) {
    if (r.pattern.isStatic) {
      const key = r.pattern.signature;
      const list = staticByPath.get(key) ?? [];
      list.push(r);
      staticByPath.set(key, list);
    } else dynamic.push(r);
  }
  // Most specific first; ties keep table order (sort is stable). Wildcards after params.
  dynamic.sort((a, b) => b.pattern.staticSegments - a.pattern.staticSegments || Number(a.pattern.wildcard) - Number(b.pattern.wildcard) ||
    b.pattern.segments.length - a.pattern.segments.length);
  // Routes with host/header predicates are more specific than those without, within one path.
  for (const list of staticByPath.values()) list.sort((a, b) => predicateWeight(b) - predicateWeight(a));
  // Fallback order: host+prefix rules (longest prefix first), host-only rules, prefix-only rules (longest first).
  const byLen = (a: FallbackRule, b: FallbackRule) => b.prefix!.length - a.prefix!.length;
  const withPrefix = table.fallbacks.filter((f) => f.prefix !== undefined).map((f) => ({ ...f, prefix: normalisePath(f.prefix!) })) as FallbackRule[];
  const fallbackRules: FallbackRule[] = [
    ...withPrefix.filter((f) => f.host !== undefined).sort(byLen),
    ...(table.fallbacks.filter((f) => f.host !== undefined && f.prefix === undefined) as FallbackRule[]),
    ...withPrefix.filter((f) => f.host === undefined).sort(byLen),
  ];

  function match(method: string, rawHost: string | undefined, rawPath: string, headers: Record<string, string | string[] | undefined>): MatchResult {
    const path = normalisePath(rawPath);
    const host = hostOnly(rawHost);
    const statics = staticByPath.get(path);
    if (statics !== undefined) {
      for (let i = 0; i < statics.length; i++) {
        if (predicatesPass(statics[i], method, host, headers)) return { kind: 'route', route: statics[i], params: {} };
      }
    }
    for (let i = 0; i < dynamic.length; i++) {
      const r = dynamic[i];
      if (!predicatesPass(r, method, host, headers)) continue;
      const params = matchPattern(r.pattern, path);
      if (params !== null) return { kind: 'route', route: r, params };
    }
    for (let i = 0; i < fallbackRules.length; i++) {
      const rule = fallbackRules[i];
      if (rule.host !== undefined && rule.host !== host) continue;
      const p = rule.prefix;
      if (p === undefined || p === '/' || path === p || (path.startsWith(p) && path.charCodeAt(p.length) === 47)) return { kind: 'fallback', upstream: rule.upstream, rule };
    }
    return null;
  }

  return { table, version: table.version, routes, byId, match };
}

function predicateWeight(r: CompiledRoute): number {
  return (r.spec.host !== undefined ? 2 : 0) + (r.spec.headers ? 1 : 0) + (r.methods ? 0.5 : 0);
}
