import { expect } from 'chai';
import { hashPassword, parsePasswordHash, verifyPassword } from '../password.ts';

describe('lib/password', () => {
  it('hashes to scrypt$N$r$p$salt$hash and verifies the same password only', async () => {
    const h = await hashPassword('zigzag1234!');
    expect(h).to.match(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(await verifyPassword('zigzag1234!', h)).to.equal(true);
    expect(await verifyPassword('zigzag1234?', h)).to.equal(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same')).to.not.equal(await hashPassword('same'));
  });

  it('is deterministic for a given salt and normalises Unicode (NFC)', async () => {
    const salt = Buffer.alloc(16, 7);
    const a = await hashPassword('비밀번호', { N: 1024, r: 8, p: 1 }, salt);
    const b = await hashPassword('비밀번호'.normalize('NFD'), { N: 1024, r: 8, p: 1 }, salt);
    expect(a).to.equal(b);
    expect(await verifyPassword('비밀번호', a)).to.equal(true);
  });

  it('accepts salt and hash in standard base64 as well', async () => {
    const h = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
    const [, n, r, p, salt, key] = h.split('$');
    const std = ['scrypt', n, r, p, Buffer.from(salt, 'base64url').toString('base64'), Buffer.from(key, 'base64url').toString('base64')].join('$');
    expect(await verifyPassword('pw', std)).to.equal(true);
  });

  it('rejects malformed or abusive stored hashes without throwing', async () => {
    for (const bad of ['', 'plain', 'bcrypt$1$2$3$4$5', 'scrypt$16384$8$1$$', 'scrypt$3$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAA==',
      `scrypt$${2 ** 24}$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAA==`, 'scrypt$16384$0$1$AAAA$AAAAAAAAAAAAAAAAAAAAAA==']) {
      expect(parsePasswordHash(bad), bad).to.equal(undefined);
      expect(await verifyPassword('x', bad), bad).to.equal(false);
    }
  });
});
