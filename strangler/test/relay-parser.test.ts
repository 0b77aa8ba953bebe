/**
 * The lean client's response parser (strangler/relay/response-parser.ts) against well-formed and adversarial
 * upstream bytes: framing it must refuse (smuggling), and every input split at every byte boundary.
 */
import { expect } from 'chai';
import { ProtocolError, ResponseParser, type Headers } from '../relay/response-parser.ts';

interface Parsed {
  infos: number[];
  status: number;
  headers: Headers | null;
  body: Buffer;
  complete: boolean;
  /** Bytes left after the message (in the last chunk fed). */
  leftover: number;
  keepAlive: boolean;
}

/** Feeds `input` in pieces of `split` bytes (0: all at once); `eof` ends the input afterwards. */
function parse(input: string | Buffer, opts: { split?: number; head?: boolean; eof?: boolean } = {}): Parsed {
  const out: Parsed = { infos: [], status: 0, headers: null, body: Buffer.alloc(0), complete: false, leftover: 0, keepAlive: false };
  const chunks: Buffer[] = [];
  const p = new ResponseParser({
    onInfo: (s) => out.infos.push(s),
    onHead: (s, h) => {
      out.status = s;
      out.headers = h;
    },
    onBody: (c) => chunks.push(Buffer.from(c)),
    onComplete: () => (out.complete = true),
    stopped: () => false,
  });
  p.reset(opts.head ?? false);
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const step = opts.split || buf.length;
  for (let i = 0; i < buf.length && !out.complete; i += step) {
    const piece = buf.subarray(i, Math.min(buf.length, i + step));
    const at = p.execute(piece, 0);
    if (out.complete) out.leftover = piece.length - at + (buf.length - Math.min(buf.length, i + step));
  }
  if (opts.eof && !out.complete) out.complete = p.endOfInput();
  out.body = Buffer.concat(chunks);
  out.keepAlive = p.keepAlive;
  return out;
}

function rejects(input: string, code: RegExp = /^HPE_/): void {
  for (const split of [0, 1, 3]) {
    let err: unknown = null;
    try {
      parse(input, { split });
    } catch (e) {
      err = e;
    }
    expect(err, `${JSON.stringify(input)} split ${split}`).to.be.instanceOf(ProtocolError);
    expect((err as ProtocolError).code).to.match(code);
  }
}

describe('lean client response parser', () => {
  it('parses Content-Length, chunked and close-delimited bodies, split at every byte', () => {
    const cases: { input: string; body: string; eof?: boolean; keepAlive: boolean }[] = [
      { input: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello', body: 'hello', keepAlive: true },
      { input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n', body: 'hello world', keepAlive: true },
      { input: 'HTTP/1.1 200 OK\r\ntransfer-encoding: CHUNKED\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n', body: '0123456789', keepAlive: true },
      { input: 'HTTP/1.1 200 OK\r\nX: y\r\n\r\nuntil the end', body: 'until the end', eof: true, keepAlive: false },
      { input: 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok', body: 'ok', keepAlive: false },
      { input: 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok', body: 'ok', keepAlive: true },
      { input: 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok', body: 'ok', keepAlive: false },
      { input: 'HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n', body: '', keepAlive: true },
      { input: 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n', body: '', keepAlive: true },
      { input: 'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n', body: '', keepAlive: true },
    ];
    for (const c of cases) {
      for (let split = 0; split <= 7; split++) {
        const r = parse(c.input, { split, eof: c.eof });
        expect(r.complete, `${c.input} split ${split}`).to.equal(true);
        expect(r.body.toString('latin1'), `${c.input} split ${split}`).to.equal(c.body);
        expect(r.keepAlive, `${c.input} keep-alive`).to.equal(c.keepAlive);
      }
    }
  });

  it('keeps header order, lower-cases names, trims OWS, collects repeated headers into arrays', () => {
    const r = parse('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Custom:  spaced \t\r\nset-cookie: b=2\r\nConstructor: c\r\n__proto__: p\r\nContent-Length: 0\r\n\r\n');
    expect(Object.keys(r.headers!)).to.deep.equal(['set-cookie', 'x-custom', 'constructor', '__proto__', 'content-length']);
    expect(r.headers!['set-cookie']).to.deep.equal(['a=1', 'b=2']);
    expect(r.headers!['x-custom']).to.equal('spaced');
    expect(r.headers!.constructor).to.equal('c');
    expect(Object.getPrototypeOf(r.headers)).to.equal(Object.prototype); // __proto__ is an own field, not a prototype change
  });

  it('no body for a HEAD request whatever the head says', () => {
    const r = parse('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', { head: true });
    expect(r.complete).to.equal(true);
    expect(r.body.length).to.equal(0);
  });

  it('reports 1xx heads and goes on to the final one; refuses 101', () => {
    const r = parse('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx', { split: 2 });
    expect(r.infos).to.deep.equal([103, 102]);
    expect(r.status).to.equal(200);
    expect(r.body.toString()).to.equal('x');
    rejects('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', /HPE_INVALID_STATUS/);
  });

  it('stops at the end of the message: bytes after it are left over (a second response never bleeds into this one)', () => {
    const r = parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil!');
    expect(r.body.toString()).to.equal('ok');
    expect(r.leftover).to.equal('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil!'.length);
    const c = parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nGARBAGE');
    expect(c.body.toString()).to.equal('ok');
    expect(c.leftover).to.equal(7);
  });

  it('refuses ambiguous framing (request smuggling vectors)', () => {
    rejects('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /HPE_UNEXPECTED_CONTENT_LENGTH/);
    rejects('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n', /HPE_UNEXPECTED_CONTENT_LENGTH/);
    rejects('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', /HPE_UNEXPECTED_CONTENT_LENGTH/);
    rejects('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello', /HPE_UNEXPECTED_CONTENT_LENGTH/);
    for (const cl of ['-1', '+5', '5 5', '5,5', '0x10', '', '1e3', '99999999999999999999']) {
      rejects(`HTTP/1.1 200 OK\r\nContent-Length: ${cl}\r\n\r\n`, /HPE_INVALID_CONTENT_LENGTH/);
    }
    for (const te of ['gzip', 'chunked, gzip', 'gzip, chunked', 'chunked ,', 'identity', 'xchunked']) {
      rejects(`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${te}\r\n\r\n0\r\n\r\n`, /HPE_INVALID_TRANSFER_ENCODING/);
    }
    rejects('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /HPE_INVALID_TRANSFER_ENCODING/);
    rejects('HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n', /HPE_INVALID_HEADER_TOKEN/);
    rejects('HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello', /HPE_INVALID_HEADER_TOKEN/);
  });

  it('refuses bad chunk sizes and chunk framing', () => {
    const pre = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (const bad of ['\r\n', 'g\r\n', '-1\r\n', ' 5\r\nhello\r\n', '5 \r\nhello\r\n', '+5\r\nhello\r\n', '0x5\r\nhello\r\n',
      'fffffffffffffff\r\n', '5\nhello\r\n', '5\r\nhelloXX0\r\n\r\n', '5\r\nhello\n0\r\n\r\n', '5;\x00\r\nhello\r\n']) {
      rejects(pre + bad, /^HPE_(INVALID_CHUNK_SIZE|LF_EXPECTED)$/);
    }
    rejects(pre + '0\r\nno colon here\r\n\r\n', /HPE_INVALID_HEADER_TOKEN/);
    rejects(pre + '0\r\nX: a\nY: b\r\n\r\n', /HPE_INVALID_HEADER_TOKEN/);
    rejects(pre + '0\r\n' + 'X: ' + 'a'.repeat(17 * 1024) + '\r\n\r\n', /HPE_HEADER_OVERFLOW/);
    rejects(pre + '1;' + 'e'.repeat(17 * 1024) + '\r\nx\r\n0\r\n\r\n', /HPE_CHUNK_EXTENSIONS_OVERFLOW/);
  });

  it('refuses malformed heads: status line, bare LF, bare CR, obs-fold, control characters, oversize', () => {
    rejects('HTTP/2 200 OK\r\n\r\n', /HPE_INVALID_CONSTANT/);
    rejects('HTTP/1.1 20 OK\r\n\r\n', /HPE_INVALID_(CONSTANT|STATUS)/);
    rejects('HTTP/1.1 099 OK\r\n\r\n', /HPE_INVALID_STATUS/);
    rejects('HTTP/1.1 2000 OK\r\n\r\n', /HPE_INVALID_STATUS/);
    rejects('HTTP/1.1 200 O\x01K\r\n\r\n', /HPE_INVALID_STATUS/);
    rejects('ICY 200 OK\r\n\r\n', /HPE_INVALID_CONSTANT/);
    rejects('HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', /HPE_INVALID_STATUS/);
    rejects('HTTP/1.1 200 OK\r\nX: a\nContent-Length: 0\r\n\r\n', /HPE_INVALID_HEADER_TOKEN/);
    rejects('HTTP/1.1 200 OK\r\nX: a\rContent-Length: 0\r\n\r\n', /HPE_LF_EXPECTED/);
    rejects('HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n', /HPE_INVALID_HEADER_TOKEN/);
    rejects('HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 0\r\n\r\n', /HPE_INVALID_HEADER_TOKEN/);
    rejects('HTTP/1.1 200 OK\r\nX\x7f: a\r\nContent-Length: 0\r\n\r\n', /HPE_INVALID_HEADER_TOKEN/);
    rejects('HTTP/1.1 200 OK\r\n: empty\r\n\r\n', /HPE_INVALID_HEADER_TOKEN/);
    rejects('HTTP/1.1 200 OK\r\nNoColon\r\n\r\n', /HPE_INVALID_HEADER_TOKEN/);
    rejects('HTTP/1.1 200 OK\r\nX: ' + 'a'.repeat(17 * 1024) + '\r\n\r\n', /HPE_HEADER_OVERFLOW/);
    // a head that never ends is refused once it passes the cap, not buffered without bound
    let err: unknown = null;
    try {
      parse('HTTP/1.1 200 OK\r\n' + 'X: y\r\n'.repeat(4000), { split: 512 });
    } catch (e) {
      err = e;
    }
    expect((err as ProtocolError).code).to.equal('HPE_HEADER_OVERFLOW');
  });

  it('accepts obs-text (latin1) in values and reason phrases, byte for byte', () => {
    const r = parse(Buffer.concat([Buffer.from('HTTP/1.1 200 \xe9t\xe9\r\nX-Name: caf\xe9\r\nContent-Length: 0\r\n\r\n', 'latin1')]));
    expect(r.headers!['x-name']).to.equal('caf\xe9');
  });

  it('a message cut short is not complete (the caller fails the request); a close-delimited one completes at the end', () => {
    const p = new ResponseParser({ onInfo: () => undefined, onHead: () => undefined, onBody: () => undefined, onComplete: () => undefined, stopped: () => false });
    p.reset(false);
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'), 0);
    expect(p.endOfInput()).to.equal(false);
    p.reset(false);
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n'), 0);
    expect(p.endOfInput()).to.equal(false);
    p.reset(false);
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\nabc'), 0);
    expect(p.closeDelimited).to.equal(true);
    expect(p.endOfInput()).to.equal(true);
  });
});
