import { serviceConfigSchema } from '../common/config.ts';

/**
 * shop service config (env, parsed once by index.ts): SHOP_HTTP_PORT (default 4002),
 * SHOP_THRIFT_PORT (9002), MYSQL_URL (legacy DB), SHOP_DB_URL (own DB, default
 * mysql://root@127.0.0.1:3306/shop_svc), SHOP_DB=legacy|own|registry (default registry:
 * lib/ownership decides, flips live), peers' Thrift endpoints as <PEER>_THRIFT=host:port
 * (PRODUCT_THRIFT, SEARCH_THRIFT, USER_THRIFT — the user service for merchant stats' likes),
 * REDIS_URL + OWNERSHIP_NOTIFY=redis|poll, CALL_TIMEOUT_MS, LOG_LEVEL. See docs/services.md.
 */
export const shopConfigSchema = serviceConfigSchema('shop', 4002, 9002, ['product', 'search', 'user']);
