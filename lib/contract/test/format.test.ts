import { expect } from 'chai';
import { day, decimal2, FormatError, int, jsonObject, timestamp, timestampOrNull } from '../format.ts';

describe('legacy contract formats', () => {
  it('turns DATETIME(6) strings into ISO-8601 UTC with six fraction digits, keeping microseconds', () => {
    expect(timestamp('2024-01-02 03:04:05.123456')).to.equal('2024-01-02T03:04:05.123456Z');
    expect(timestamp('2024-01-02 03:04:05')).to.equal('2024-01-02T03:04:05.000000Z');
    expect(timestamp('2024-01-02 03:04:05.1')).to.equal('2024-01-02T03:04:05.100000Z');
    expect(timestamp(new Date('2024-01-02T03:04:05.678Z'))).to.equal('2024-01-02T03:04:05.678000Z');
    expect(timestampOrNull(null)).to.equal(null);
    expect(() => timestamp('yesterday')).to.throw(FormatError);
  });

  it('formats DATE values as YYYY-MM-DD', () => {
    expect(day('2024-03-01')).to.equal('2024-03-01');
    expect(day('2024-03-01 00:00:00.000000')).to.equal('2024-03-01');
    expect(() => day('03/01/2024')).to.throw(FormatError);
  });

  it('carries DECIMAL exactly as a string with two decimals', () => {
    expect(decimal2('39000.00')).to.equal('39000.00');
    expect(decimal2('39000')).to.equal('39000.00');
    expect(decimal2('0.5')).to.equal('0.50');
    expect(decimal2('007.10')).to.equal('7.10');
    expect(decimal2('9999999999.99')).to.equal('9999999999.99');
    expect(decimal2('12.3400')).to.equal('12.34');
    expect(decimal2(19900)).to.equal('19900.00');
    expect(() => decimal2('1.234')).to.throw(FormatError);
    expect(() => decimal2('abc')).to.throw(FormatError);
    expect(() => decimal2(Number.NaN)).to.throw(FormatError);
  });

  it('makes ids and counters numbers and refuses values that would lose digits', () => {
    expect(int(42)).to.equal(42);
    expect(int('42')).to.equal(42);
    expect(int(String(Number.MAX_SAFE_INTEGER))).to.equal(Number.MAX_SAFE_INTEGER);
    expect(() => int('18446744073709551615')).to.throw(FormatError);
  });

  it('reads JSON columns from text (MariaDB) or parsed values (MySQL 8); NULL is {}', () => {
    expect(jsonObject('{"color":"검정"}')).to.deep.equal({ color: '검정' });
    expect(jsonObject({ a: 1 })).to.deep.equal({ a: 1 });
    expect(jsonObject(null)).to.deep.equal({});
    expect(() => jsonObject('[1,2]')).to.throw(FormatError);
  });
});
