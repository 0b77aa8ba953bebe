import { expect } from 'chai';
import { EMPTY_ADMIN_TOKEN_WARNING, loadFacadeConfig } from '../config.ts';
import { envSetting } from '../cli/env.ts';
import { LOCAL_ADMIN_TOKEN } from '../defaults.ts';

describe('STRANGLER_ADMIN_TOKEN= (empty) is treated as unset, with a warning', () => {
  it('the facade config takes the local token and carries a warning instead of refusing to start', () => {
    const c = loadFacadeConfig({ STRANGLER_ADMIN_TOKEN: '' });
    expect(c.adminToken).to.equal(LOCAL_ADMIN_TOKEN);
    expect(c.warnings).to.deep.equal([EMPTY_ADMIN_TOKEN_WARNING]);
    expect(loadFacadeConfig({ STRANGLER_ADMIN_TOKEN: '   ' }).adminToken).to.equal(LOCAL_ADMIN_TOKEN);
    expect(loadFacadeConfig({}).warnings).to.deep.equal([]);
  });

  it('production still refuses an empty token (it is unset there too)', () => {
    expect(() => loadFacadeConfig({ NODE_ENV: 'production', STRANGLER_ADMIN_TOKEN: '' })).to.throw(/STRANGLER_ADMIN_TOKEN: must be set explicitly/);
  });

  it('the CLI falls back to the default and warns once per empty variable', () => {
    const warned: string[] = [];
    expect(envSetting({ STRANGLER_ADMIN_TOKEN: '' }, 'STRANGLER_ADMIN_TOKEN', (l) => warned.push(l))).to.equal(undefined);
    expect(warned).to.deep.equal(['strangler: warning: STRANGLER_ADMIN_TOKEN is set but empty; treated as unset']);
    expect(envSetting({ STRANGLER_ADMIN_TOKEN: 'abc' }, 'STRANGLER_ADMIN_TOKEN', (l) => warned.push(l))).to.equal('abc');
    expect(envSetting({}, 'STRANGLER_ADMIN_TOKEN', (l) => warned.push(l))).to.equal(undefined);
    expect(warned).to.have.length(1);
  });
});
