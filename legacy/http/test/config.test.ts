import { expect } from 'chai';
import { ConfigError, DEFAULT_MYSQL_URL, parseConfig } from '../../../lib/config.ts';
import { adminApiConfigSchema, merchantApiConfigSchema, userApiConfigSchema } from '../config.ts';

describe('legacy API config', () => {
  it('defaults: ports 3001/3002/3003, the legacy database, info logs', () => {
    expect(parseConfig(userApiConfigSchema, {})).to.deep.equal({ port: 3001, mysqlUrl: DEFAULT_MYSQL_URL, logLevel: 'info' });
    expect(parseConfig(adminApiConfigSchema, {}).port).to.equal(3002);
    expect(parseConfig(merchantApiConfigSchema, {}).port).to.equal(3003);
  });

  it('reads each API\'s own port variable and the shared MYSQL_URL', () => {
    const env = { USER_API_PORT: '4101', ADMIN_API_PORT: '4102', MERCHANT_API_PORT: '0', MYSQL_URL: 'mysql://u:p@db:3307/shop', LOG_LEVEL: 'warn' };
    expect(parseConfig(userApiConfigSchema, env)).to.deep.equal({ port: 4101, mysqlUrl: 'mysql://u:p@db:3307/shop', logLevel: 'warn' });
    expect(parseConfig(adminApiConfigSchema, env).port).to.equal(4102);
    expect(parseConfig(merchantApiConfigSchema, env).port).to.equal(0);
  });

  it('names every bad variable', () => {
    try {
      parseConfig(userApiConfigSchema, { USER_API_PORT: '70000', MYSQL_URL: 'postgres://x', LOG_LEVEL: 'loud' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.split(':')[0])).to.deep.equal(['USER_API_PORT', 'MYSQL_URL', 'LOG_LEVEL']);
    }
  });
});
