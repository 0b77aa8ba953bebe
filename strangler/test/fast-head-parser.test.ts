/** The fast server leg's head parser (pure): what it serves, what it waits for, and what it hands to node:http. */
import { expect } from 'chai';
import { FAST_MAX_HEAD, HAND_OVER, NEED_MORE, parseHead, type FastHead } from '../fastpath/head-parser.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('strangler fast server leg: head parser', () => {
  const plain = 'GET /api/x?q=1 HTTP/1.1\r\nHost: a.example\r\nX-Request-Id: abc\r\nAccept:  text/plain \t\r\nCookie: a=1; b=2\r\n\r\n';

  it('parses a plain head like node:http (lower-case names, trimmed values, raw names kept)', () => {
    const h = parseHead(b(plain + 'GET /next')) as FastHead;
    expect(h.method).to.equal('GET');
    expect(h.url).to.equal('/api/x?q=1');
    expect(h.headers).to.deep.equal({ host: 'a.example', 'x-request-id': 'abc', accept: 'text/plain', cookie: 'a=1; b=2' });
    expect(h.rawHeaders).to.deep.equal(['Host', 'a.example', 'X-Request-Id', 'abc', 'Accept', 'text/plain', 'Cookie', 'a=1; b=2']);
    expect(h.keepAlive).to.equal(true);
    expect(h.length).to.equal(plain.length);
  });

  it('waits for more at every split point of a plain head (a head split across packets)', () => {
    for (let i = 1; i < plain.length; i++) expect(parseHead(b(plain.slice(0, i))), `at ${i}`).to.equal(NEED_MORE);
  });

  it('reads Connection: close and Content-Length: 0', () => {
    const h = parseHead(b('DELETE /x HTTP/1.1\r\nHost: a\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n')) as FastHead;
    expect(h.keepAlive).to.equal(false);
    expect(h.headers['content-length']).to.equal('0');
  });

  const handOver: [string, string][] = [
    ['a body (Content-Length)', 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n'],
    ['a chunked body', 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['Expect', 'POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n'],
    ['Upgrade', 'GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
    ['Connection with other tokens', 'GET /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, x-foo\r\n\r\n'],
    ['HTTP/1.0', 'GET /x HTTP/1.0\r\nHost: a\r\n\r\n'],
    ['HTTP/2.0', 'GET /x HTTP/2.0\r\nHost: a\r\n\r\n'],
    ['no Host', 'GET /x HTTP/1.1\r\nAccept: */*\r\n\r\n'],
    ['a duplicate header', 'GET /x HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n'],
    ['an unknown method', 'BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['CONNECT', 'CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a lower-case method', 'get /x HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['an absolute-form target', 'GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a control character in the target', 'GET /x\x01 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a bare LF', 'GET /x HTTP/1.1\nHost: a\r\n\r\n'],
    ['a bare CR in a value', 'GET /x HTTP/1.1\r\nHost: a\rb\r\n\r\n'],
    ['obs-fold', 'GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  2\r\n\r\n'],
    ['space before the colon', 'GET /x HTTP/1.1\r\nHost : a\r\n\r\n'],
    ['a non-token name', 'GET /x HTTP/1.1\r\nHo(st: a\r\n\r\n'],
    ['obs-text in a value', 'GET /x HTTP/1.1\r\nHost: a\r\nX-A: \xe9\r\n\r\n'],
    ['a NUL in a value', 'GET /x HTTP/1.1\r\nHost: a\r\nX-A: \x00\r\n\r\n'],
    ['a __proto__ header', 'GET /x HTTP/1.1\r\nHost: a\r\n__proto__: x\r\n\r\n'],
    ['too many fields', 'GET /x HTTP/1.1\r\nHost: a\r\n' + Array.from({ length: 64 }, (_, i) => `X-${i}: 1\r\n`).join('') + '\r\n'],
    ['a head over the fast limit', 'GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ' + 'a'.repeat(FAST_MAX_HEAD) + '\r\n\r\n'],
    ['garbage', 'GARBAGE GARBAGE\r\n\r\n'],
  ];
  for (const [name, text] of handOver) {
    it(`hands over ${name}`, () => expect(parseHead(b(text))).to.equal(HAND_OVER));
  }

  it('hands over a prefix that cannot become a plain head at once (no waiting for the deadline)', () => {
    expect(parseHead(b('\x16\x03\x01'))).to.equal(HAND_OVER); // a TLS hello
    expect(parseHead(b('GET /x HTTP/1.0'))).to.equal(HAND_OVER);
    expect(parseHead(b('GET /x HTTP/1.1\r\nHost: a\r\nX-A: \x7f'))).to.equal(HAND_OVER);
    expect(parseHead(b('GET /x HTTP/1.1\r\nHost: a\r\nX-' + 'a'.repeat(FAST_MAX_HEAD)))).to.equal(HAND_OVER);
  });
});
