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

interface RouteDoc {
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
