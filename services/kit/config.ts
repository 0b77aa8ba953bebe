import { z } from 'zod';
import { DEFAULT_MYSQL_URL, port, url, int } from '../../lib/config.ts';

/**
 * Config fields shared by the product, shop and user services. Each service's
 * config.ts composes these with its own names/ports; entry points call
 * parseConfig(schema, process.env) once.
 */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_CALL_TIMEOUT_MS = 2000;

/** `host:port` of a peer's Thrift endpoint. */
export const hostPort = (def: string) =>
  z.string().regex(/^[A-Za-z0-9.\-_]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'must be host:port').default(def);

/** legacy: tables in the legacy DB; own: in the service DB; registry: ask lib/ownership (flips live). */
export const dbMode = z.enum(['legacy', 'own', 'registry']).default('registry');

export function parseHostPort(v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  return { host: v.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(v.slice(i + 1)) };
}

export const commonFields = {
  HOST: z.string().min(1).default(DEFAULT_HOST),
  MYSQL_URL: url(DEFAULT_MYSQL_URL),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Deadline of each outgoing Thrift call. */
  CALL_TIMEOUT_MS: int(DEFAULT_CALL_TIMEOUT_MS, 1),
  /** Bodies larger than this are refused with 413 by the HTTP edge. */
  BODY_LIMIT: z.string().default('2mb'),
};

export { port, url };
