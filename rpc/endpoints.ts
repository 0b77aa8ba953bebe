/**
 * Where the demo's Thrift services listen by default, and the `host:port` form every process's config uses for
 * them (legacy's seam and jobs, the services' peers, the search CLI).
 */
export const DEFAULT_CALL_TIMEOUT_MS = 2000;
export const DEFAULT_THRIFT_PORTS = { product: 9001, shop: 9002, user: 9003, search: 9004 } as const;
export type Peer = keyof typeof DEFAULT_THRIFT_PORTS;

export const HOST_PORT_RE = /^[A-Za-z0-9.\-_]+:\d{1,5}$/;

export function parseHostPort(v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  return { host: v.slice(0, i), port: Number(v.slice(i + 1)) };
}
