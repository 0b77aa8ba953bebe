import { expect } from 'chai';
import { dashboardHint } from '../dashboard-hint.ts';

describe('npm start: where the dashboard is', function () {
  it('names the admin port and which token opens it, never a token that was set', function () {
    expect(dashboardHint({}, ['facade', 'legacy-user'])).to.equal('Control room (dashboard): http://localhost:8081/dashboard/  (log in with the local development token "strangler-local-admin-token")');
    const set = dashboardHint({ STRANGLER_ADMIN_PORT: '9091', STRANGLER_ADMIN_TOKEN: 'a-secret-that-was-set' }, ['facade'])!;
    expect(set).to.include('http://localhost:9091/dashboard/').and.include('the STRANGLER_ADMIN_TOKEN you set').and.not.include('a-secret');
    expect(dashboardHint({ STRANGLER_ADMIN_TOKEN: '' }, ['facade'])).to.include('local development token');
    expect(dashboardHint({}, ['legacy-user'])).to.equal(null);
  });
});
