import { expect } from 'chai';
import { STACK, resolveStack, selectEntries, type StackEntry } from '../../stack.ts';

const ENTRIES: StackEntry[] = [
  { name: 'web', entry: 'x/web.ts', title: 'web', port: { env: 'WEB_PORT', default: 4100 }, readyPath: '/health' },
  { name: 'api', entry: 'x/api.ts', title: 'api', port: { env: 'API_PORT', default: 4200 }, readyPath: '/ready' },
  { name: 'worker', entry: 'x/worker.ts', title: 'worker' },
];

describe('stack registry', () => {
  it('lists the legacy processes on their default ports (others join the same list)', () => {
    const r = resolveStack(STACK, {});
    expect(r.slice(0, 4).map((e) => [e.name, e.port])).to.deep.equal([['legacy-user', 3001], ['legacy-admin', 3002], ['legacy-merchant', 3003], ['legacy-jobs', undefined]]);
    expect(r[0].readyUrl).to.equal('http://127.0.0.1:3001/health');
    expect(r[3].readyMessage).to.equal(true);
    expect(r[0].entry).to.match(/legacy\/user-api\/index\.ts$/);
  });

  it('--only selects a subset in registry order and rejects unknown names', () => {
    expect(selectEntries(ENTRIES, ['worker', 'web']).map((e) => e.name)).to.deep.equal(['web', 'worker']);
    expect(selectEntries(ENTRIES, undefined)).to.equal(ENTRIES);
    expect(() => selectEntries(ENTRIES, ['web', 'nope'])).to.throw('unknown process "nope" (known: web, api, worker)');
    expect(() => selectEntries(ENTRIES, [])).to.throw(/at least one/);
  });

  it('reads ports from env, passes the rest of env through, and refuses bad or clashing ports', () => {
    const r = resolveStack(ENTRIES, { WEB_PORT: '5000', MYSQL_URL: 'mysql://x/y' });
    expect(r[0]).to.include({ port: 5000, readyUrl: 'http://127.0.0.1:5000/health' });
    expect(r[0].env).to.include({ WEB_PORT: '5000', MYSQL_URL: 'mysql://x/y' });
    expect(r[1].env).to.include({ API_PORT: '4200' });
    expect(() => resolveStack(ENTRIES, { WEB_PORT: 'eighty', API_PORT: '70000' })).to.throw(/invalid configuration: WEB_PORT: .+; API_PORT: .+/);
    expect(() => resolveStack(ENTRIES, { API_PORT: '4100' })).to.throw('API_PORT: port 4100 is already used by web');
    expect(() => resolveStack(ENTRIES, { WEB_PORT: '0' })).to.throw(/fixed port/);
  });
});
