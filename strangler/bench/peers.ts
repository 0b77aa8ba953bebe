/** Benchmark peers: `express-hpm` (bare Express 5 + http-proxy-middleware, keep-alive agent) or `fastify` (@fastify/http-proxy). Prints {"port":N}. */
import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';

const [kind, upstreamPort] = [process.argv[2], Number(process.argv[3])];
const target = `http://127.0.0.1:${upstreamPort}`;
let port: number;
if (kind === 'express-hpm') {
  const { default: express } = await import('express');
  const { createProxyMiddleware } = await import('http-proxy-middleware');
  const app = express();
  app.use(createProxyMiddleware({ target, agent: new Agent({ keepAlive: true, maxSockets: 128 }) }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  port = (server.address() as AddressInfo).port;
} else if (kind === 'fastify') {
  const { default: Fastify } = await import('fastify');
  const { default: proxy } = await import('@fastify/http-proxy');
  const app = Fastify({ logger: false });
  await app.register(proxy, { upstream: target });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
} else throw new Error(`unknown peer ${kind}`);
process.stdout.write(JSON.stringify({ port }) + '\n');
