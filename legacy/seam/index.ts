import type { Knex } from 'knex';
import { z } from 'zod';
import type { Logger } from '../../lib/logger.ts';
import { createMysqlOwnershipRegistry, type OwnershipRegistry } from '../../lib/ownership/index.ts';
import { closeServiceClients, createServiceClients } from '../../rpc/index.ts';
import { attachSeam, detachSeam, type SeamApis } from './context.ts';

export { attachSeam, detachSeam, viaService, type SeamApis, type SeamContext } from './context.ts';

/**
 * Seam configuration of a legacy API process (parsed once with the API's own
 * config): LEGACY_SEAM=registry (default: the ownership registry decides per
 * domain, live) or off (always knex); the services' Thrift endpoints
 * PRODUCT_THRIFT, SHOP_THRIFT, USER_THRIFT (host:port); REDIS_URL for
 * ownership change notifications; SEAM_CALL_TIMEOUT_MS.
 */
const hostPort = (def: string) => z.string().regex(/^[A-Za-z0-9.\-_]+:\d{1,5}$/, 'must be host:port').default(def);

export const seamEnvFields = {
  LEGACY_SEAM: z.enum(['registry', 'off']).default('registry'),
  PRODUCT_THRIFT: hostPort('127.0.0.1:9001'),
  SHOP_THRIFT: hostPort('127.0.0.1:9002'),
  USER_THRIFT: hostPort('127.0.0.1:9003'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379'),
  SEAM_CALL_TIMEOUT_MS: z.coerce.number().int().min(1).default(2000),
};

export interface SeamConfig {
  mode: 'registry' | 'off';
  endpoints: Record<'product' | 'shop' | 'user', { host: string; port: number }>;
  redisUrl?: string;
  callTimeoutMs: number;
}

/** LEGACY_SEAM & co. from the environment; entry points parse it once, next to the API's own config. */
export const seamConfigSchema = z.object(seamEnvFields).transform((e) => seamConfigFrom(e));

export function seamConfigFrom(env: Record<string, unknown>): SeamConfig {
  const hp = (v: unknown) => {
    const s = String(v);
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  };
  return {
    mode: env.LEGACY_SEAM as SeamConfig['mode'],
    endpoints: { product: hp(env.PRODUCT_THRIFT), shop: hp(env.SHOP_THRIFT), user: hp(env.USER_THRIFT) },
    redisUrl: env.REDIS_URL as string,
    callTimeoutMs: env.SEAM_CALL_TIMEOUT_MS as number,
  };
}

export interface Seam {
  registry: OwnershipRegistry;
  close(): Promise<void>;
}

/** Attaches a seam to a legacy app's knex: the registry (MySQL + Redis) and pooled Thrift clients (connect lazily). */
export async function startSeam(knex: Knex, config: SeamConfig, logger: Logger, opts: { registry?: OwnershipRegistry; apis?: SeamApis } = {}): Promise<Seam | undefined> {
  if (config.mode === 'off') return undefined;
  const registry = opts.registry ?? await createMysqlOwnershipRegistry({ knex, redisUrl: config.redisUrl, logger: logger.child({ component: 'ownership' }) });
  const clients = opts.apis ? undefined : createServiceClients({ product: config.endpoints.product, shop: config.endpoints.shop, user: config.endpoints.user }, { timeoutMs: config.callTimeoutMs });
  attachSeam(knex, { registry, apis: opts.apis ?? (clients as unknown as SeamApis) });
  const unsubscribe = registry.onChange((next, prev) => {
    if (next.owner !== prev?.owner) logger.warn({ domain: next.domain, from: prev?.owner, to: next.owner }, 'legacy now reaches this domain through its owner');
  });
  logger.info({ owners: registry.all().map((r) => `${r.domain}=${r.owner}`) }, 'anti-corruption seam attached');
  return {
    registry,
    async close() {
      unsubscribe();
      detachSeam(knex);
      if (clients) await closeServiceClients(clients);
      if (!opts.registry) await registry.close();
    },
  };
}
