import { serviceConfigSchema } from '../common/config.ts';

/**
 * product service config (env, parsed once by index.ts): PRODUCT_HTTP_PORT (default 4001),
 * PRODUCT_THRIFT_PORT (9001), MYSQL_URL (legacy DB), PRODUCT_DB_URL (own DB, default
 * mysql://root@127.0.0.1:3306/product_svc), PRODUCT_DB=legacy|own|registry (default registry:
 * lib/ownership decides, flips live), peers' Thrift endpoints as <PEER>_THRIFT=host:port,
 * REDIS_URL + OWNERSHIP_NOTIFY=redis|poll, CALL_TIMEOUT_MS, LOG_LEVEL. See docs/services.md.
 */
export const productConfigSchema = serviceConfigSchema('product', 4001, 9001, ['shop', 'user']);
