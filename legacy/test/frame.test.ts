import { expect } from 'chai';
import { createAdminApp } from '../admin-api/app.ts';
import { createMerchantApp } from '../merchant-api/app.ts';
import { createUserApp } from '../user-api/app.ts';
import { startHarness, type Harness } from './harness.ts';

describe('legacy HTTP frame @integration', () => {
  it('turns an unexpected failure into 500 INTERNAL with no stack or SQL', async () => {
    const h = await startHarness('frame_500', createUserApp);
    try {
      await h.db.knex.raw('RENAME TABLE shops TO shops_gone');
      const r = await h.call('GET', '/api/shops', { headers: { 'x-request-id': 'boom-1' } });
      expect(r.status).to.equal(500);
      expect(r.headers.get('x-request-id')).to.equal('boom-1');
      expect(r.body).to.deep.equal({ error: { code: 'INTERNAL', message: 'Internal server error', requestId: 'boom-1' } });
    } finally {
      await h.close();
    }
  });

  describe('staff APIs', () => {
    let admin: Harness; let merchant: Harness;
    before(async () => {
      admin = await startHarness('frame_admin', createAdminApp);
      merchant = await startHarness('frame_merchant', createMerchantApp);
    });
    after(async () => { await admin?.close(); await merchant?.close(); });

    it('unknown paths: 401 under the staff prefix without a session, 404 with one, 404 elsewhere', async () => {
      const a = await admin.fx.admin();
      expect((await admin.call('GET', '/admin/nope')).status).to.equal(401);
      const r = await admin.call('GET', '/admin/nope', { token: a.token });
      expect(r.status).to.equal(404);
      expect(r.body.error.code).to.equal('ROUTE_NOT_FOUND');
      expect((await admin.call('GET', '/api/products')).status).to.equal(404);
      const shop = await merchant.fx.shop();
      const m = await merchant.fx.merchant(shop);
      expect((await merchant.call('DELETE', '/merchant/shop', { token: m.token })).status).to.equal(404);
    });

    it('a non-JSON body is 415; a JSON body with a charset is fine', async () => {
      const r = await admin.call('POST', '/admin/sessions', { raw: 'email=a&password=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(r.status).to.equal(415);
      expect(r.body.error.code).to.equal('UNSUPPORTED_MEDIA_TYPE');
      const ok = await admin.call('POST', '/admin/sessions', { raw: '{"email":"nobody@example.com","password":"x"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
      expect(ok.status).to.equal(401);
    });

    it('health answers without auth and every answer carries x-request-id', async () => {
      const h1 = await admin.call('GET', '/health');
      expect(h1.body).to.deep.equal({ status: 'ok', service: 'legacy-admin-api' });
      expect(h1.headers.get('x-request-id')).to.be.a('string');
      const h2 = await merchant.call('GET', '/health', { headers: { 'x-request-id': 'bad id with spaces' } });
      expect(h2.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    });
  });
});
