import { z } from 'zod';
import { DEFAULT_MYSQL_URL, port } from '../../lib/config.ts';
import type { LegacyApiConfig } from './server.ts';

/** Env → config of one legacy API. Parsed once by its entry point (parseConfig), never at import time. */
function apiSchema(portVar: string, defaultPort: number) {
  return z.object({
    [portVar]: port(defaultPort),
    MYSQL_URL: z.string().regex(/^(mysql|mariadb):\/\//, 'must be a mysql:// URL').default(DEFAULT_MYSQL_URL),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).transform((e): LegacyApiConfig => {
    const env = e as Record<string, unknown>;
    return { port: env[portVar] as number, mysqlUrl: env.MYSQL_URL as string, logLevel: env.LOG_LEVEL as string };
  });
}

export const DEFAULT_USER_API_PORT = 3001;
export const DEFAULT_ADMIN_API_PORT = 3002;
export const DEFAULT_MERCHANT_API_PORT = 3003;

export const userApiConfigSchema = apiSchema('USER_API_PORT', DEFAULT_USER_API_PORT);
export const adminApiConfigSchema = apiSchema('ADMIN_API_PORT', DEFAULT_ADMIN_API_PORT);
export const merchantApiConfigSchema = apiSchema('MERCHANT_API_PORT', DEFAULT_MERCHANT_API_PORT);
