import { expect } from 'chai';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { accessLogLevel, createJsonApp } from '../../lib/json-app.ts';
import { createLogger } from '../../lib/logger.ts';
import { STACK, resolveStack, selectEntries } from '../stack.ts';
import { childEnv } from '../start.ts';

/** A legacy-like app (access log at info) whose log lines are collected. */
async function serveWithLog(env: string | undefined): Promise<{ get(path: string): Promise<void>; lines: () => Array<{ msg: string; level: number }>; close(): Promise<void> }> {
  const lines: string[] = [];
  const sink = new Writable({ write(c, _e, cb) { lines.push(...String(c).split('\n').filter(Boolean)); cb(); } });
  const saved = process.env.LOG_ACCESS;
  if (env === undefined) delete process.env.LOG_ACCESS;
  else process.env.LOG_ACCESS = env;
  let app: express.Express;
  try {
    app = createJsonApp({ name: 'x', logger: createLogger('x', { level: 'info', destination: sink }), router: express.Router(), health: (_q, r) => { r.json({ ok: true }); }, accessLog: 'info' });
  } finally {
    if (saved === undefined) delete process.env.LOG_ACCESS;
    else process.env.LOG_ACCESS = saved;
  }
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    get: async (path) => { await (await fetch(url + path)).arrayBuffer(); },
    lines: () => lines.map((l) => JSON.parse(l) as { msg: string; level: number }),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('npm start: quiet, readable logs and the facade after its upstreams', () => {
  it('npm start gives the children LOG_ACCESS=debug (no line per request at info) unless --access-log or LOG_ACCESS', () => {
    expect(childEnv({ A: '1' }, false)).to.deep.equal({ A: '1', LOG_ACCESS: 'debug' });
    expect(childEnv({}, true).LOG_ACCESS).to.equal('info');
    expect(childEnv({ LOG_ACCESS: 'off' }, false).LOG_ACCESS).to.equal('off');
    expect(accessLogLevel({}, 'info')).to.equal('info');
    expect(accessLogLevel({ LOG_ACCESS: 'OFF' }, 'info')).to.equal('off');
  });

  it('an API started with LOG_ACCESS=debug writes no access line at info; without it, one per request', async () => {
    for (const [env, expected] of [[undefined, 2], ['debug', 0], ['off', 0], ['info', 2]] as const) {
      const s = await serveWithLog(env);
      try {
        await s.get('/health');
        await s.get('/nope');
        expect(s.lines().filter((l) => l.msg === 'request'), `LOG_ACCESS=${env}`).to.have.length(expected);
      } finally {
        await s.close();
      }
    }
  });

  it('the facade starts after every API it proxies to (only those selected by --only)', () => {
    const all = resolveStack(STACK, {});
    const facade = all.find((e) => e.name === 'facade')!;
    expect(facade.after).to.have.members(['legacy-user', 'legacy-admin', 'legacy-merchant', 'shop', 'product', 'user', 'search']);
    const some = resolveStack(selectEntries(STACK, ['legacy-user', 'facade']), {});
    expect(some.find((e) => e.name === 'facade')!.after).to.deep.equal(['legacy-user']);
  });
});
