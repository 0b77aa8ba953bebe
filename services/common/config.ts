import { z } from 'zod';
import { DEFAULT_MYSQL_URL, DEFAULT_REDIS_URL, port, int } from '../../lib/config.ts';
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_THRIFT_PORTS, HOST_PORT_RE, parseHostPort, type Peer } from '../../rpc/endpoints.ts';

export { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_THRIFT_PORTS, parseHostPort, type Peer } from '../../rpc/endpoints.ts';

/**
 * Config of the product, shop and user services, built by one function so
 * the three stay alike. Env names: <SVC>_HTTP_PORT, <SVC>_THRIFT_PORT,
 * <SVC>_DB_URL, <SVC>_DB (legacy | own | registry), peers' Thrift endpoints
 * as <PEER>_THRIFT=host:port. Entry points call parseConfig(schema, env) once.
 */
const hostPort = (def: string) => z.string().regex(HOST_PORT_RE, 'must be host:port').default(def);
const mysqlUrl = (def: string) => z.string().regex(/^(mysql|mariadb):\/\//, 'must be a mysql:// URL').default(def);

export interface ServiceConfig {
  service: 'product' | 'shop' | 'user';
  host: string;
  httpPort: number;
  thriftPort: number;
  mysqlUrl: string;
  ownDbUrl: string;
  /** legacy: tables in the legacy DB; own: in the service DB; registry: lib/ownership decides, live. */
  dbMode: 'legacy' | 'own' | 'registry';
  redisUrl: string | undefined;
  peers: Partial<Record<Peer, { host: string; port: number }>>;
  callTimeoutMs: number;
  logLevel: string;
}

export function serviceConfigSchema(service: ServiceConfig['service'], httpPort: number, thriftPort: number, peers: Peer[]) {
  const up = service.toUpperCase();
  const shape: Record<string, z.ZodType> = {
    HOST: z.string().min(1).default('127.0.0.1'),
    [`${up}_HTTP_PORT`]: port(httpPort),
    [`${up}_THRIFT_PORT`]: port(thriftPort),
    MYSQL_URL: mysqlUrl(DEFAULT_MYSQL_URL),
    [`${up}_DB_URL`]: mysqlUrl(`mysql://root@127.0.0.1:3306/${service}_svc`),
    [`${up}_DB`]: z.enum(['legacy', 'own', 'registry']).default('registry'),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default(DEFAULT_REDIS_URL),
    OWNERSHIP_NOTIFY: z.enum(['redis', 'poll']).default('redis'),
    CALL_TIMEOUT_MS: int(DEFAULT_CALL_TIMEOUT_MS, 1),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  };
  for (const p of peers) shape[`${p.toUpperCase()}_THRIFT`] = hostPort(`127.0.0.1:${DEFAULT_THRIFT_PORTS[p]}`);
  return z.object(shape).transform((e): ServiceConfig => {
    const env = e as Record<string, unknown>;
    return {
      service,
      host: env.HOST as string,
      httpPort: env[`${up}_HTTP_PORT`] as number,
      thriftPort: env[`${up}_THRIFT_PORT`] as number,
      mysqlUrl: env.MYSQL_URL as string,
      ownDbUrl: env[`${up}_DB_URL`] as string,
      dbMode: env[`${up}_DB`] as ServiceConfig['dbMode'],
      redisUrl: env.OWNERSHIP_NOTIFY === 'redis' ? (env.REDIS_URL as string) : undefined,
      peers: Object.fromEntries(peers.map((p) => [p, parseHostPort(env[`${p.toUpperCase()}_THRIFT`] as string)])),
      callTimeoutMs: env.CALL_TIMEOUT_MS as number,
      logLevel: env.LOG_LEVEL as string,
    };
  });
}
