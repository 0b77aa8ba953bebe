import { serviceConfigSchema } from '../kit/config.ts';

/**
 * user service config (env, parsed once by index.ts): USER_HTTP_PORT (default 4003),
 * USER_THRIFT_PORT (9003), MYSQL_URL (legacy DB), USER_DB_URL (own DB, default
 * mysql://root@127.0.0.1:3306/user_svc), USER_DB=legacy|own|registry (default registry:
 * lib/ownership decides, flips live), peers' Thrift endpoints as <PEER>_THRIFT=host:port,
 * REDIS_URL + OWNERSHIP_NOTIFY=redis|poll, CALL_TIMEOUT_MS, LOG_LEVEL. See docs/services.md.
 */
export const userConfigSchema = serviceConfigSchema('user', 4003, 9003, ['product', 'shop']);
