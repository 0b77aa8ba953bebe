import { expect } from 'chai';
import { classify, duplicateKeyErrors, sameImages } from '../product-bulk.ts';
import { toDbDatetime, escapeLike } from '../db.ts';
import { compareDecimal } from '../../../lib/contract/money.ts';
import { hashPassword, verifyPassword } from '../passwords.ts';
import { hashToken, newToken, tokenSubject } from '../tokens.ts';

describe('legacy model helpers', () => {
  it('tokens: <subjectId>.<43 base64url chars>; the DB keeps sha256 hex of the whole token', () => {
    const t = newToken(42);
    expect(t).to.match(/^42\.[A-Za-z0-9_-]{43}$/);
    expect(newToken(42)).to.not.equal(t);
    expect(hashToken(t)).to.match(/^[0-9a-f]{64}$/);
    expect(tokenSubject(t)).to.equal(42);
    for (const bad of ['42', '42.short', 'x.' + 'A'.repeat(43), '0.' + 'A'.repeat(43), '99999999999999999999.' + 'A'.repeat(43)]) expect(tokenSubject(bad), bad).to.equal(null);
  });

  it('passwords: salted scrypt, verified in constant time, wrong or malformed hashes refused', async () => {
    const h1 = await hashPassword('비밀번호 123');
    const h2 = await hashPassword('비밀번호 123');
    expect(h1).to.match(/^scrypt\$16384\$8\$1\$/);
    expect(h1).to.not.equal(h2);
    expect(await verifyPassword('비밀번호 123', h1)).to.equal(true);
    expect(await verifyPassword('비밀번호 124', h1)).to.equal(false);
    expect(await verifyPassword('x', 'plain')).to.equal(false);
  });

  it('money comparison is exact', () => {
    expect(compareDecimal('10.00', '10')).to.equal(0);
    expect(compareDecimal('0.10', '0.09')).to.equal(1);
    expect(compareDecimal('9999999999.98', '9999999999.99')).to.equal(-1);
  });

  it('LIKE escaping and DATETIME(6) literals', () => {
    expect(escapeLike('100%_off\\')).to.equal('100\\%\\_off\\\\');
    expect(toDbDatetime(new Date('2024-01-02T03:04:05.678Z'))).to.equal('2024-01-02 03:04:05.678000');
  });

  it('bulk: duplicate keys within a call, image list equality, outcome by version', () => {
    expect(duplicateKeyErrors([{ shopId: 1, externalId: 'a' }, { shopId: 2, externalId: 'a' }, { shopId: 1, externalId: 'a' }], 'body.items'))
      .to.deep.equal([{ field: 'body.items.2.externalId', message: 'duplicates body.items.0 (same shopId and externalId)' }]);
    expect(sameImages(['a', 'b'], ['a', 'b'])).to.equal(true);
    expect(sameImages(['a', 'b'], ['b', 'a'])).to.equal(false);
    expect(sameImages([], ['a'])).to.equal(false);
    const before = new Map([['k1', { version: 1 }], ['k2', { version: 3 }]]);
    const after = new Map([['k1', { version: 2 }], ['k2', { version: 3 }], ['k3', { version: 1 }]]);
    expect(['k1', 'k2', 'k3'].map((k) => classify(before, after, k))).to.deep.equal(['updated', 'unchanged', 'created']);
  });
});
