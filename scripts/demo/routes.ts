/**
 * The demo's route table: the project's own table (strangler/routes.json),
 * every route reset to `legacy`, upstreams pointed at the demo's ports.
 * Pure; unit-tested.
 */
import type { DemoEnv } from './env.ts';

export const UPSTREAM_PORTS = {
  'legacy-user': 'userApi', 'legacy-admin': 'adminApi', 'legacy-merchant': 'merchantApi',
  product: 'productHttp', shop: 'shopHttp', user: 'userHttp', search: 'searchHttp',
} as const satisfies Record<string, keyof DemoEnv['ports']>;

export interface RouteDoc {
  version?: number;
  options?: Record<string, unknown>;
  upstreams: Record<string, { url: string } & Record<string, unknown>>;
  routes?: Array<{ id: string; service?: string; mode?: string; percent?: number } & Record<string, unknown>>;
}

export function demoRouteTable(base: unknown, ports: DemoEnv['ports']): RouteDoc {
  const doc = structuredClone(base) as RouteDoc;
  if (!doc || typeof doc !== 'object' || !doc.upstreams) throw new Error('route table has no upstreams');
  for (const [name, up] of Object.entries(doc.upstreams)) {
    const key = (UPSTREAM_PORTS as Record<string, keyof DemoEnv['ports']>)[name];
    if (!key) throw new Error(`route table upstream "${name}" has no demo port (known: ${Object.keys(UPSTREAM_PORTS).join(', ')})`);
    up.url = `http://127.0.0.1:${ports[key]}`;
  }
  doc.version = 1;
  doc.options = { ...(doc.options ?? {}), routeHeader: true };
  for (const r of doc.routes ?? []) {
    r.mode = 'legacy';
    r.percent = 0;
  }
  return doc;
}

/** Route ids a service takes over, in table order. */
export function routesOfService(doc: { routes?: Array<{ id: string; service?: string }> }, service: string): string[] {
  return (doc.routes ?? []).filter((r) => r.service === service).map((r) => r.id);
}

/** The legacy API that serves a path (the table's fallbacks say the same). Pure. */
export function legacyUpstreamFor(path: string): string {
  return path.startsWith('/admin') ? 'legacy-admin' : path.startsWith('/merchant') ? 'legacy-merchant' : 'legacy-user';
}

/**
 * Adds the routes the services serve (id → "METHOD /path") that the table
 * lacks, and replaces a table route with the same id whose method/path
 * differ from what the service serves. Returns what changed, so the demo can
 * say so. Pure.
 */
export function completeRouteTable(
  doc: RouteDoc, served: Record<string, string>, serviceOf: (id: string) => string, legacyUpstream: (path: string) => string = legacyUpstreamFor,
): { doc: RouteDoc; added: string[]; replaced: string[] } {
  const out = structuredClone(doc);
  out.routes ??= [];
  const added: string[] = [];
  const replaced: string[] = [];
  const sig = (methods: unknown, path: unknown) => `${Array.isArray(methods) ? [...methods].map(String).sort().join(',') : '*'} ${String(path)}`;
  for (const [id, spec] of Object.entries(served)) {
    const [method, path] = spec.split(' ');
    const route = { id, methods: [method], path, legacy: legacyUpstream(path), service: serviceOf(id), mode: 'legacy', percent: 0 };
    const i = out.routes.findIndex((r) => r.id === id);
    if (i >= 0) {
      const r = out.routes[i];
      const methods = r.methods as string[] | undefined;
      if (r.path === path && Array.isArray(methods) && methods.includes(method)) continue;
      out.routes[i] = { ...route, ...(r.shadow ? { shadow: r.shadow } : {}) };
      replaced.push(`${id} (${sig(r.methods, r.path)} → ${spec})`);
      continue;
    }
    const clash = out.routes.find((r) => r.path === path && (r.methods === undefined || r.methods === '*' || (Array.isArray(r.methods) && (r.methods as string[]).includes(method))));
    if (clash) continue;
    out.routes.push(route);
    added.push(`${id} (${spec})`);
  }
  return { doc: out, added, replaced };
}
