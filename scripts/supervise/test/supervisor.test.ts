import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../../test/helpers/wait.ts';
import { LinePrefixer } from '../lines.ts';
import { chooseLogFormat, prettyLine } from '../pretty.ts';
import { Supervisor, type ChildExit, type ChildSpec } from '../supervisor.ts';
import { freePort } from '../../../lib/free-ports.ts';

const CHILD = fileURLToPath(new URL('./fixtures/child.ts', import.meta.url));

function child(name: string, mode: string, extra: Partial<ChildSpec> = {}, env: Record<string, string> = {}): ChildSpec {
  return { name, entry: CHILD, env: { ...process.env, CHILD_MODE: mode, ...env }, readyMessage: true, ...extra };
}

function capture() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => { text += c.toString('utf8'); });
  return { out, text: () => text };
}

describe('supervise: line prefixer', () => {
  it('prefixes whole lines, across chunk and UTF-8 boundaries, and flushes the rest at the end', () => {
    const written: string[] = [];
    const p = new LinePrefixer('[a]', (t) => written.push(t));
    const bytes = Buffer.from('첫 줄\nsecond li');
    p.push(bytes.subarray(0, 2)); // splits the first Hangul syllable
    p.push(bytes.subarray(2));
    p.push('ne\r\nthird');
    p.end();
    expect(written.join('')).to.equal('[a] 첫 줄\n[a] second line\n[a] third\n');
  });
});

describe('supervise: log format', () => {
  it('pretty in a terminal, JSON when piped, LOG_FORMAT wins, a bad value is an error', () => {
    expect(chooseLogFormat({}, true)).to.equal('pretty');
    expect(chooseLogFormat({}, false)).to.equal('json');
    expect(chooseLogFormat({ LOG_FORMAT: 'json' }, true)).to.equal('json');
    expect(chooseLogFormat({ LOG_FORMAT: 'pretty' }, false)).to.equal('pretty');
    expect(() => chooseLogFormat({ LOG_FORMAT: 'xml' }, true)).to.throw(/LOG_FORMAT: must be "json" or "pretty"/);
    expect(prettyLine({ color: false })('{"broken')).to.equal('{"broken');
  });
});

describe('supervise: supervisor with dummy children', function () {
  this.timeout(30_000);

  it('starts a child with `after` only once those children are ready (the facade never meets a starting upstream)', async () => {
    const port = await freePort();
    const cap = capture();
    const sup = new Supervisor([
      child('api', 'http', { readyMessage: false, readyUrl: `http://127.0.0.1:${port}/health` }, { CHILD_PORT: String(port), CHILD_LISTEN_DELAY: '700' }),
      child('facade', 'probe', { after: ['api'] }, { CHILD_PROBE_URL: `http://127.0.0.1:${port}/health` }),
    ], { out: cap.out, readyTimeoutMs: 15_000 });
    try {
      await sup.start();
      await waitFor(() => cap.text().includes('probe: '), { timeoutMs: 5000, what: 'the probe line' });
      expect(cap.text()).to.include('facade | probe: upstream answered 200');
    } finally {
      await sup.stop();
    }
    expect(() => new Supervisor([child('a', 'message', { after: ['b'] }), child('b', 'message')])).to.throw(/"after" names b, which is not an earlier child/);
  });

  it('formats each child line before prefixing it (npm start: pino JSON → human-readable in a terminal)', async () => {
    const cap = capture();
    const sup = new Supervisor([child('api', 'json-log')], { out: cap.out, format: prettyLine({ color: false }) });
    try {
      await sup.start();
      await waitFor(() => cap.text().includes('slow query'), { timeoutMs: 5000, what: 'the log line' });
    } finally {
      await sup.stop();
    }
    expect(cap.text()).to.match(/api \| \[\d\d:\d\d:\d\d\.\d{3}\] WARN \(legacy-user\): slow query \{"ms":812\}\n/);
    expect(cap.text()).to.include('api | 한글 출력 line one\n'); // not JSON: unchanged
  });

  it('starts children with this node binary, waits for HTTP and IPC readiness, prefixes output, stops gracefully', async () => {
    const port = await freePort();
    const cap = capture();
    const sup = new Supervisor([
      child('web', 'http', { readyMessage: false, readyUrl: `http://127.0.0.1:${port}/health` }, { CHILD_PORT: String(port) }),
      child('worker', 'message'),
    ], { out: cap.out, readyTimeoutMs: 15_000 });
    const crashes: ChildExit[] = [];
    sup.on('crash', (e: ChildExit) => crashes.push(e));
    await sup.start();
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).to.equal(200);
    await waitFor(() => cap.text().includes('worker | 한글 출력 line one') && cap.text().includes('web    | 한글 출력 line one'), { timeoutMs: 5000, what: 'prefixed output' });
    expect(cap.text()).to.include(`web    | execPath=${process.execPath}\n`);
    const exits = await sup.stop();
    expect(exits.map((e) => [e.name, e.code, e.signal])).to.deep.equal([['web', 0, null], ['worker', 0, null]]);
    expect(cap.text()).to.include('worker | no newline at the end\n');
    expect(crashes).to.deep.equal([]);
  });

  it('reports a child that dies after start', async () => {
    const cap = capture();
    const sup = new Supervisor([child('fine', 'message'), child('flaky', 'crash-after-ready', {}, { CHILD_DELAY: '300' })], { out: cap.out });
    const crashes: ChildExit[] = [];
    sup.on('crash', (e: ChildExit) => crashes.push(e));
    await sup.start();
    await waitFor(() => crashes.length > 0, { timeoutMs: 10_000, what: 'crash event' });
    expect(crashes[0]).to.deep.equal({ name: 'flaky', code: 3, signal: null });
    await sup.stop();
  });

  it('fails start when a child exits before it is ready, and stops the others', async () => {
    const cap = capture();
    const sup = new Supervisor([child('fine', 'message'), child('broken', 'exit-early')], { out: cap.out });
    let err: Error | undefined;
    await sup.start().catch((e: Error) => { err = e; });
    expect(err?.message).to.equal('broken: exited with code 7 before it was ready');
    expect(sup.stopped).to.equal(true);
    const exits = await sup.stop();
    const fine = exits.find((e) => e.name === 'fine')!;
    expect(fine.code === 0 || fine.signal === 'SIGTERM', JSON.stringify(fine)).to.equal(true); // SIGTERM may land before its handler exists
  });

  it('gives up waiting at the readiness deadline', async () => {
    const port = await freePort(); // nothing listens there
    const cap = capture();
    const t0 = Date.now();
    const sup = new Supervisor([child('sleepy', 'never-ready', { readyMessage: false, readyUrl: `http://127.0.0.1:${port}/health` })], { out: cap.out, readyTimeoutMs: 600, pollIntervalMs: 50 });
    let err: Error | undefined;
    await sup.start().catch((e: Error) => { err = e; });
    expect(err?.message).to.match(/^sleepy: not ready within 600 ms \(http:\/\/127\.0\.0\.1:\d+\/health: .+\)$/);
    expect(Date.now() - t0).to.be.below(10_000);
    const [exit] = await sup.stop(); // stopped by SIGTERM (before or after its handler was installed), not killed
    expect(exit.code === 0 || exit.signal === 'SIGTERM', JSON.stringify(exit)).to.equal(true);
  });

  it('kills a child that ignores SIGTERM once the stop timeout passes', async () => {
    const cap = capture();
    const sup = new Supervisor([child('stubborn', 'stubborn')], { out: cap.out, stopTimeoutMs: 400 });
    await sup.start();
    const exits = await sup.stop();
    expect(exits[0]).to.deep.equal({ name: 'stubborn', code: null, signal: 'SIGKILL' });
    expect(cap.text()).to.include('stubborn | ignoring SIGTERM');
    expect(cap.text()).to.include('stubborn: did not stop within 400 ms, killing');
  });

  it('rejects a registry it cannot run', () => {
    expect(() => new Supervisor([child('a', 'message'), child('a', 'message')])).to.throw(/duplicate child name "a"/);
    expect(() => new Supervisor([child('a', 'message', { readyMessage: false })])).to.throw(/needs readyUrl or readyMessage/);
  });
});
