import { expect } from 'chai';
import { MemoryOwnershipRegistry, validateChange, type OwnershipRecord } from '../index.ts';

describe('ownership registry (memory)', () => {
  it('starts with every domain on legacy and flips with an audit entry and a notification', async () => {
    const reg = new MemoryOwnershipRegistry({}, { now: () => new Date('2026-01-01T00:00:00Z') });
    expect(reg.all().map((r) => r.owner)).to.deep.equal(['legacy', 'legacy', 'legacy', 'legacy']);
    const seen: Array<[OwnershipRecord, OwnershipRecord | undefined]> = [];
    reg.onChange((n, p) => seen.push([n, p]));
    const next = await reg.set('product', { owner: 'service', database: 'own' }, { actor: 'dba', reason: 'cutover' });
    expect(next).to.include({ owner: 'service', database: 'own', version: 2, changedBy: 'dba', reason: 'cutover', changedAt: '2026-01-01T00:00:00.000Z' });
    expect(reg.get('product').version).to.equal(2);
    expect(seen).to.have.length(1);
    expect(seen[0][1]?.owner).to.equal('legacy');
    expect(reg.audit).to.have.length(1);
  });

  it('a no-op patch changes nothing and notifies nobody', async () => {
    const reg = new MemoryOwnershipRegistry();
    let n = 0;
    reg.onChange(() => n++);
    const r = await reg.set('shop', { owner: 'legacy' }, { actor: 'dba', reason: 'noop' });
    expect(r.version).to.equal(1);
    expect(n).to.equal(0);
  });

  it('rejects a stale compare-and-set and invalid input', async () => {
    const reg = new MemoryOwnershipRegistry();
    await reg.set('user', { owner: 'service' }, { actor: 'a', reason: 'r' });
    let err: unknown;
    try {
      await reg.set('user', { owner: 'legacy' }, { actor: 'a', reason: 'r', ifVersion: 1 });
    } catch (e) {
      err = e;
    }
    expect((err as { code: string }).code).to.equal('OWNERSHIP_CONFLICT');
    expect(reg.get('user').owner).to.equal('service');
    expect(validateChange('No Pe!', { owner: 'x' as never }, { actor: '', reason: '' })).to.deep.equal([
      'domain: must match ^[a-z][a-z0-9_-]{0,63}$', 'owner: must be legacy or service', 'actor: required', 'reason: required',
    ]);
  });

  it('any well-formed domain name is a domain: seeded by option, created by its first change, listed by all()', async () => {
    const reg = new MemoryOwnershipRegistry({}, { domains: ['billing'] });
    expect(reg.all().map((r) => r.domain)).to.deep.equal(['billing']);
    expect(reg.get('invoices_v2')).to.include({ owner: 'legacy', database: 'legacy', version: 1 });
    await reg.set('invoices_v2', { database: 'own' }, { actor: 'a', reason: 'r' });
    expect(reg.get('invoices_v2')).to.include({ database: 'own', version: 2 });
    expect(reg.all().map((r) => r.domain)).to.deep.equal(['billing', 'invoices_v2']);
    for (const bad of ['', 'Billing', '1abc', 'a'.repeat(65), 'a b', 'a;drop']) {
      expect(() => reg.get(bad), bad).to.throw(/unknown domain/);
    }
    expect(reg.get('a'.repeat(64)).version).to.equal(1);
  });
});
