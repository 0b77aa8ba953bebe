/**
 * Compiles a validated route table into a matcher, once per reload.
 * `match` is a pure function of (method, host, path, headers): the path is
 * normalised first (normalize.ts, the same form the facade forwards), then
 * static paths are a map lookup, parameterised patterns are tried most-specific
 * first, then host fallbacks, then the longest matching path prefix. Paths
 * compare case-insensitively unless the route (or `options.caseSensitive`) says
 * otherwise, like Express's default routing; hosts always do.
 */
import { foldCase, matchKey, normaliseHost, normalisePathname } from './normalize.ts';
import { matchPattern, parsePattern, type PathPattern } from './pattern.ts';
import { compileRewrite } from './rewrite.ts';
import type { RouteSpec, RouteTable } from './schema.ts';

export interface CompiledRoute {
  spec: RouteSpec;
  id: string;
  pattern: PathPattern;
  methods: Set<string> | null;
  caseSensitive: boolean;
  /** `spec.host` as compared (normaliseHost), or undefined. */
  host: string | undefined;
  /** Rewrites the request target for the service side (`spec.rewrite`), or null. */
  rewrite: ((url: string) => string) | null;
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

function predicatesPass(r: CompiledRoute, method: string, host: string, headers: Record<string, string | string[] | undefined>): boolean {
  if (r.methods !== null && !r.methods.has(method)) return false;
  if (r.host !== undefined && r.host !== host) return false;
  if (r.spec.headers) {
    for (const name in r.spec.headers) if (headers[name] !== r.spec.headers[name]) return false;
  }
  return true;
}

export function compileTable(table: RouteTable): CompiledTable {
  const tableCase = table.options.caseSensitive;
  const routes: CompiledRoute[] = table.routes.map((spec) => {
    const caseSensitive = spec.caseSensitive ?? tableCase;
    const parsed = parsePattern(spec.path, { caseSensitive });
    if (!parsed.ok) throw new Error(`route ${spec.id}: ${parsed.error}`); // validated before; defensive
    return { spec, id: spec.id, pattern: parsed.pattern, methods: spec.methods === '*' ? null : new Set<string>(spec.methods), caseSensitive,
      host: spec.host === undefined ? undefined : normaliseHost(spec.host),
      rewrite: spec.rewrite === undefined ? null : compileRewrite(spec.rewrite, caseSensitive) };
  });
  const byId = new Map(routes.map((r) => [r.id, r]));
  // keyed by the case-folded path; a case-sensitive route also checks the exact path
  const staticByPath = new Map<string, CompiledRoute[]>();
  const dynamic: CompiledRoute[] = [];
  for (const r of routes) {
    if (r.pattern.isStatic) {
      const key = foldCase(r.pattern.signature);
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
  const fbPrefix = (p: string) => {
    const k = matchKey(normalisePathname(p).path);
    return tableCase ? k : foldCase(k);
  };
  // compared in normalised form; the rule reported is the table's own (its stats id is built from it)
  const rules = table.fallbacks.map((f) => ({
    prefix: f.prefix === undefined ? undefined : fbPrefix(f.prefix), host: f.host === undefined ? undefined : normaliseHost(f.host), upstream: f.upstream, spec: f as FallbackRule,
  }));
  type Rule = (typeof rules)[number];
  const byLen = (a: Rule, b: Rule) => b.prefix!.length - a.prefix!.length;
  const fallbackRules: Rule[] = [
    ...rules.filter((f) => f.prefix !== undefined && f.host !== undefined).sort(byLen),
    ...rules.filter((f) => f.host !== undefined && f.prefix === undefined),
    ...rules.filter((f) => f.prefix !== undefined && f.host === undefined).sort(byLen),
  ];

  function match(method: string, rawHost: string | undefined, rawPath: string, headers: Record<string, string | string[] | undefined>): MatchResult {
    // a malformed target is refused before matching (checkRequestTarget); here it is matched as it is
    const path = matchKey(normalisePathname(rawPath).path);
    const folded = foldCase(path);
    const host = normaliseHost(rawHost);
    const statics = staticByPath.get(folded);
    if (statics !== undefined) {
      for (let i = 0; i < statics.length; i++) {
        const r = statics[i];
        if (r.caseSensitive && r.pattern.signature !== path) continue;
        if (predicatesPass(r, method, host, headers)) return { kind: 'route', route: r, params: {} };
      }
    }
    for (let i = 0; i < dynamic.length; i++) {
      const r = dynamic[i];
      if (!predicatesPass(r, method, host, headers)) continue;
      const params = matchPattern(r.pattern, path);
      if (params !== null) return { kind: 'route', route: r, params };
    }
    const fbPath = tableCase ? path : folded;
    for (let i = 0; i < fallbackRules.length; i++) {
      const rule = fallbackRules[i];
      if (rule.host !== undefined && rule.host !== host) continue;
      const p = rule.prefix;
      if (p === undefined || p === '/' || fbPath === p || (fbPath.startsWith(p) && fbPath.charCodeAt(p.length) === 47)) return { kind: 'fallback', upstream: rule.upstream, rule: rule.spec };
    }
    return null;
  }

  return { table, version: table.version, routes, byId, match };
}

function predicateWeight(r: CompiledRoute): number {
  return (r.spec.host !== undefined ? 2 : 0) + (r.spec.headers ? 1 : 0) + (r.methods ? 0.5 : 0);
}
