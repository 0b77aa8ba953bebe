/** strangler connection limits, protocol checks and soak verdicts: the pure parts, without sockets. */
import { expect } from 'chai';
import { checkProtocol } from '../headers.ts';
import { loadFacadeConfig } from '../config.ts';
import {
  DEFAULT_CONNECTION_LIMITS, WarnLimiter, checkIntervalMs, clampToOpenFiles, errorCodeLabel, limitProblems, rawJsonError,
} from '../connections.ts';
import { parseResponses } from './raw.ts';
import { percentile, verdict } from '../../scripts/soak/report.ts';
import { ConfigError } from '../../lib/config.ts';

describe('strangler connection logic', () => {
  it('checkProtocol: 505 for any major version but 1, 400 for a second Host in any case, fine otherwise', () => {
    expect(checkProtocol(2, ['Host', 'a'])?.status).to.equal(505);
    expect(checkProtocol(0, [])?.status).to.equal(505);
    expect(checkProtocol(1, ['Host', 'a', 'x-a', '1', 'hOST', 'b'])).to.deep.include({ status: 400, code: 'BAD_REQUEST' });
    expect(checkProtocol(1, ['Host', 'a', 'x-host', 'b', 'hosts', 'c'])).to.equal(null);
    expect(checkProtocol(1, [])).to.equal(null);
  });

  it('validates limits with one message per field and the headers ≤ request rule', () => {
    expect(limitProblems(DEFAULT_CONNECTION_LIMITS)).to.deep.equal([]);
    const bad = limitProblems({ ...DEFAULT_CONNECTION_LIMITS, maxConnections: 0, firstByteTimeoutMs: 1.5, maxConnectionsPerClient: -1, headersTimeoutMs: 70_000 });
    expect(bad).to.have.length(4);
    expect(bad.join('\n')).to.match(/maxConnections/).and.match(/firstByteTimeoutMs/).and.match(/maxConnectionsPerClient/).and.match(/headersTimeoutMs: must not exceed/);
    expect(limitProblems({ ...DEFAULT_CONNECTION_LIMITS, maxConnectionsPerClient: 0 })).to.deep.equal([]);
  });

  it('reads the limits from the environment and lists every bad value', () => {
    const ok = loadFacadeConfig({ STRANGLER_MAX_CONNECTIONS_PER_CLIENT: '20', STRANGLER_UPGRADE_TIMEOUT_MS: '1500' });
    expect(ok.connections).to.deep.include({ maxConnectionsPerClient: 20, upgradeTimeoutMs: 1500, maxConnections: undefined });
    expect(ok.connections?.headersTimeoutMs).to.equal(DEFAULT_CONNECTION_LIMITS.headersTimeoutMs);
    const problems = (env: NodeJS.ProcessEnv): string => {
      try {
        loadFacadeConfig(env);
      } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as ConfigError).problems.join('\n');
      }
      return '';
    };
    expect(problems({ STRANGLER_MAX_CONNECTIONS: '0', STRANGLER_FIRST_BYTE_TIMEOUT_MS: '0', STRANGLER_KEEPALIVE_TIMEOUT_MS: 'soon' }))
      .to.match(/STRANGLER_MAX_CONNECTIONS/).and.match(/STRANGLER_FIRST_BYTE_TIMEOUT_MS/).and.match(/STRANGLER_KEEPALIVE_TIMEOUT_MS/);
    expect(problems({ STRANGLER_LEAN_CLIENT: 'false' })).to.match(/STRANGLER_LEAN_CLIENT: must be '1' \(the lean upstream client, default\) or '0'/);
    expect(problems({ STRANGLER_LEAN_CLIENT: '0' })).to.equal('');
    expect(problems({ STRANGLER_SHADOW_PIPELINE: 'off' })).to.match(/STRANGLER_SHADOW_PIPELINE: must be '1' \(pipelined GET shadow copies, default\) or '0'/);
    expect(problems({ STRANGLER_SHADOW_PIPELINE: '0' })).to.equal('');
    expect(problems({ STRANGLER_FAST_SERVER: 'yes' })).to.match(/STRANGLER_FAST_SERVER: must be '1' \(the fast server leg, default\) or '0'/);
    expect(problems({ STRANGLER_FAST_SERVER: '0' })).to.equal('');
    // cross-field rule (checked once every field on its own is valid)
    expect(problems({ STRANGLER_HEADERS_TIMEOUT_MS: '90000' })).to.match(/STRANGLER_HEADERS_TIMEOUT_MS: must not exceed STRANGLER_REQUEST_TIMEOUT_MS \(60000\)/);
  });

  it('keeps half the open-files limit free of client connections', () => {
    expect(clampToOpenFiles(4096, 1024)).to.equal(512);
    expect(clampToOpenFiles(4096, 1_048_576)).to.equal(null);
    expect(clampToOpenFiles(4096, null)).to.equal(null);
    expect(clampToOpenFiles(4096, 1)).to.equal(1);
  });

  it('checks deadlines often enough for the shorter one', () => {
    expect(checkIntervalMs(DEFAULT_CONNECTION_LIMITS)).to.equal(1000);
    expect(checkIntervalMs({ ...DEFAULT_CONNECTION_LIMITS, headersTimeoutMs: 400 })).to.equal(100);
    expect(checkIntervalMs({ ...DEFAULT_CONNECTION_LIMITS, headersTimeoutMs: 1, requestTimeoutMs: 1 })).to.equal(50);
  });

  it('labels client errors with a bounded set of codes', () => {
    expect(errorCodeLabel(Object.assign(new Error('x'), { code: 'HPE_INVALID_METHOD' }))).to.equal('HPE_INVALID_METHOD');
    expect(errorCodeLabel(Object.assign(new Error('x'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }))).to.equal('ERR_HTTP_REQUEST_TIMEOUT');
    expect(errorCodeLabel(Object.assign(new Error('x'), { code: 'HPE_' + 'X'.repeat(100) }))).to.equal('other');
    expect(errorCodeLabel(Object.assign(new Error('x'), { code: 'whatever "quoted"' }))).to.equal('other');
    expect(errorCodeLabel(null)).to.equal('other');
  });

  it('rate-limits warnings per key and reports how many were suppressed', () => {
    const lines: { fields: Record<string, unknown>; msg: string }[] = [];
    const logger = { warn: (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg }) } as never;
    let t = 0;
    const w = new WarnLimiter(logger, 1000, () => t);
    for (let i = 0; i < 5; i++) w.warn('a', { i }, 'm');
    w.warn('b', {}, 'm');
    t = 1500;
    w.warn('a', { i: 9 }, 'm');
    expect(lines.map((l) => [l.fields.i, l.fields.suppressed])).to.deep.equal([[0, 0], [undefined, 0], [9, 4]]);
  });

  it('writes raw JSON errors that parse as one complete response', () => {
    const { responses, rest } = parseResponses(Buffer.from(rawJsonError(408, 'REQUEST_TIMEOUT', 'late ☃', 'rid-1')));
    expect(rest.length).to.equal(0);
    expect(responses[0].status).to.equal(408);
    expect(responses[0].headers.connection).to.deep.equal(['close']);
    expect(JSON.parse(responses[0].body.toString())).to.deep.equal({ error: { code: 'REQUEST_TIMEOUT', message: 'late ☃', requestId: 'rid-1' } });
  });

  it('soak verdict: fails on failed or absent traffic and on fds/RSS above the baseline', () => {
    const MB = 1024 * 1024;
    const base = { fds: 40, rssBytes: 200 * MB, heapUsedBytes: 40 * MB };
    expect(verdict({ ok: 10, failed: 0 }, base, { fds: 48, rssBytes: 450 * MB, heapUsedBytes: 55 * MB }).ok).to.equal(true);
    expect(verdict({ ok: 10, failed: 1 }, base, base).problems).to.have.length(1);
    expect(verdict({ ok: 0, failed: 0 }, base, base).ok).to.equal(false);
    expect(verdict({ ok: 10, failed: 0 }, base, { ...base, fds: 49 }).problems[0]).to.match(/fds 49/);
    expect(verdict({ ok: 10, failed: 0 }, base, { ...base, heapUsedBytes: 57 * MB }).problems[0]).to.match(/V8 heap used 57 MB/);
    expect(verdict({ ok: 10, failed: 0 }, base, { ...base, rssBytes: 460 * MB }).problems[0]).to.match(/RSS 460 MB/);
    expect(percentile([5, 1, 4, 2, 3], 0.5)).to.equal(3);
    expect(percentile([5, 1, 4, 2, 3], 0.99)).to.equal(5);
    expect(percentile([], 0.5)).to.be.NaN;
  });
});
