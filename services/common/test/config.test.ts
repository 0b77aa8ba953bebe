import { expect } from 'chai';
import { ConfigError, parseConfig } from '../../../lib/config.ts';
import { productConfigSchema } from '../../product/config.ts';
import { shopConfigSchema } from '../../shop/config.ts';
import { userConfigSchema } from '../../user/config.ts';

describe('services: config', () => {
  it('defaults: ports, legacy DB, own DB, registry mode, peers', () => {
    const p = parseConfig(productConfigSchema, {});
    expect(p).to.include({ service: 'product', httpPort: 4001, thriftPort: 9001, dbMode: 'registry', ownDbUrl: 'mysql://root@127.0.0.1:3306/product_svc', callTimeoutMs: 2000 });
    expect(p.peers).to.deep.equal({ shop: { host: '127.0.0.1', port: 9002 }, user: { host: '127.0.0.1', port: 9003 } });
    expect(parseConfig(shopConfigSchema, {})).to.include({ httpPort: 4002, thriftPort: 9002 });
    expect(Object.keys(parseConfig(shopConfigSchema, {}).peers)).to.deep.equal(['product', 'search', 'user']);
    expect(parseConfig(userConfigSchema, {})).to.include({ httpPort: 4003, thriftPort: 9003, ownDbUrl: 'mysql://root@127.0.0.1:3306/user_svc' });
  });

  it('reads the env names documented in docs/services.md', () => {
    const c = parseConfig(shopConfigSchema, { SHOP_HTTP_PORT: '5002', SHOP_THRIFT_PORT: '6002', SHOP_DB: 'own', SHOP_DB_URL: 'mysql://u:p@db:3306/s', PRODUCT_THRIFT: 'prod:7001', OWNERSHIP_NOTIFY: 'poll' });
    expect(c).to.include({ httpPort: 5002, thriftPort: 6002, dbMode: 'own', ownDbUrl: 'mysql://u:p@db:3306/s', redisUrl: undefined });
    expect(c.peers.product).to.deep.equal({ host: 'prod', port: 7001 });
  });

  it('one message per bad field, prefixed with its name', () => {
    let problems: string[] = [];
    try {
      parseConfig(userConfigSchema, { USER_HTTP_PORT: 'x', USER_DB: 'both', PRODUCT_THRIFT: 'nohost', MYSQL_URL: 'postgres://a', CALL_TIMEOUT_MS: '0' });
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems.map((p) => p.split(':')[0]).sort()).to.deep.equal(['CALL_TIMEOUT_MS', 'MYSQL_URL', 'PRODUCT_THRIFT', 'USER_DB', 'USER_HTTP_PORT']);
  });
});
