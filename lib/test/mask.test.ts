import { expect } from 'chai';
import { maskDsn, maskSecretsInText } from '../mask.ts';
import { parseMysqlDsn, withDatabase } from '../db.ts';

describe('lib: DSN masking and parsing', () => {
  it('masks the password of a DSN and keeps the rest', () => {
    expect(maskDsn('mysql://app:s3cret@db.example:3307/legacy')).to.equal('mysql://app:****@db.example:3307/legacy');
    expect(maskDsn('mysql://root@127.0.0.1:3306/legacy')).to.equal('mysql://root@127.0.0.1:3306/legacy');
    expect(maskDsn('redis://u:p@h:6379?password=x')).to.equal('redis://u:****@h:6379?password=****');
  });
  it('masks DSNs inside free text', () => {
    expect(maskSecretsInText('connect mysql://app:pw@h/db failed')).to.equal('connect mysql://app:****@h/db failed');
  });
  it('parses DSNs and swaps the database', () => {
    expect(parseMysqlDsn('mysql://a:b%40c@h:3307/x')).to.deep.equal({ host: 'h', port: 3307, user: 'a', password: 'b@c', database: 'x' });
    expect(withDatabase('mysql://root@h:3306/a', 'b')).to.equal('mysql://root@h:3306/b');
    expect(() => parseMysqlDsn('postgres://h/x')).to.throw(/mysql:\/\//);
    expect(() => parseMysqlDsn('not a dsn')).to.throw(/not a valid/);
  });
});
