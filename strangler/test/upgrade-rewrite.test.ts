/**
 * A route's `rewrite` applies to upgrades as to ordinary requests: the service side gets the rewritten target (query
 * kept), legacy always the original. Real upgrade handshakes over raw sockets; each upstream records the target it saw.
 */
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { startTestFacade, table, type TestFacade } from './helpers.ts';
import { rawConnect } from './raw.ts';
import { waitFor } from '../../test/helpers/wait.ts';

interface Recorder {
  url: string;
  seen: string[];
  close(): Promise<void>;
}

/** Answers every upgrade with 101 and then the target it was asked for, so the client sees it too. */
async function startRecorder(name: string): Promise<Recorder> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.end(name));
  server.on('upgrade', (req, socket: Socket) => {
    seen.push(req.url!);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n${name} ${req.url}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

async function upgradeThrough(f: TestFacade, path: string): Promise<string> {
  const c = await rawConnect(f.port);
  c.socket.write(`GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
  await waitFor(() => /\r\n\r\n.*\n/s.test(c.received().toString()), { what: `the 101 and the echoed target for ${path}` });
  const text = c.received().toString();
  c.socket.destroy();
  expect(text).to.match(/^HTTP\/1\.1 101 /);
  return text.split('\r\n\r\n')[1].trim();
}

describe('strangler upgrades: route rewrite', function () {
  this.timeout(20_000);
  let legacy: Recorder;
  let svc: Recorder;
  let f: TestFacade | null = null;

  before(async () => {
    legacy = await startRecorder('legacy');
    svc = await startRecorder('svc');
  });
  after(async () => {
    await legacy.close();
    await svc.close();
  });
  afterEach(async () => {
    await f?.stop();
    f = null;
  });

  it('rewrites the target of an upgrade sent to the service (prefix and pattern), never one sent to legacy', async () => {
    f = await startTestFacade(table(legacy.url, svc.url, [
      { id: 'ws-prefix', path: '/api/live/*', legacy: 'legacy', service: 'svc', mode: 'service', rewrite: { prefix: '/api/live', to: '/v2/stream' } },
      { id: 'ws-pattern', path: '/api/rooms/:id/ws', legacy: 'legacy', service: 'svc', mode: 'service', rewrite: { pattern: '^/api/rooms/([^/]+)/ws$', to: '/rooms/$1/socket' } },
      { id: 'ws-legacy', path: '/api/old/*', legacy: 'legacy', service: 'svc', mode: 'legacy', rewrite: { prefix: '/api/old', to: '/never' } },
    ]));
    expect(await upgradeThrough(f, '/api/live/feed?since=5')).to.equal('svc /v2/stream/feed?since=5');
    expect(await upgradeThrough(f, '/api/rooms/r42/ws?t=1')).to.equal('svc /rooms/r42/socket?t=1');
    expect(await upgradeThrough(f, '/api/old/x?q=1')).to.equal('legacy /api/old/x?q=1');
    expect(svc.seen).to.deep.equal(['/v2/stream/feed?since=5', '/rooms/r42/socket?t=1']);
    expect(legacy.seen).to.deep.equal(['/api/old/x?q=1']);
  });
});
