import { expect } from 'chai';
import express, { type Express } from 'express';
import type { AddressInfo } from 'node:net';
import { createBaseApp } from '../../legacy/http/app.ts';
import { createEdgeApp } from '../../services/common/http-edge.ts';
import { AppError } from '../errors.ts';
import { createLogger } from '../logger.ts';

const logger = createLogger('test', { level: 'silent' });
type ErrorBody = { error: { code: string; message: string; requestId: string } };
const errorOf = async (r: Response): Promise<ErrorBody> => (await r.json()) as ErrorBody;

function router(): express.Router {
  const r = express.Router();
  r.post('/echo', (req, res) => { res.status(201).json({ got: req.body }); });
  r.get('/boom', () => { throw new Error('secret internals at mysql://root:pw@db'); });
  r.get('/peer', () => { throw Object.assign(new AppError('SERVICE_UNAVAILABLE', 'connect ECONNREFUSED 10.0.0.7:9001'), { service: 'product' }); });
  return r;
}

async function serve(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

const frames: Array<[string, () => Express]> = [
  ['legacy API (createBaseApp)', () => createBaseApp({ name: 'legacy-x', logger, router: router() })],
  ['service edge (createEdgeApp)', () => createEdgeApp({ name: 'x-service', logger, router: router(), health: async () => ({ db: 'ok' }) })],
];

describe('the shared JSON frame of legacy APIs and service edges', () => {
  for (const [name, make] of frames) {
    describe(name, () => {
      let s: Awaited<ReturnType<typeof serve>>;
      before(async () => { s = await serve(make()); });
      after(() => s.close());

      it('echoes x-request-id, sends no ETag or x-powered-by', async () => {
        const r = await fetch(`${s.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'req-abc' }, body: '{"a":1}' });
        expect(r.status).to.equal(201);
        expect(r.headers.get('x-request-id')).to.equal('req-abc');
        expect(r.headers.get('etag')).to.equal(null);
        expect(r.headers.get('x-powered-by')).to.equal(null);
        expect(await r.json()).to.deep.equal({ got: { a: 1 } });
      });

      it('refuses a non-JSON body with 415 and a body over 1 MB with 413, in the error shape', async () => {
        const text = await fetch(`${s.url}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'a=1' });
        expect(text.status).to.equal(415);
        expect((await errorOf(text)).error.code).to.equal('UNSUPPORTED_MEDIA_TYPE');
        const big = await fetch(`${s.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'y'.repeat(1_100_000) }) });
        expect(big.status).to.equal(413);
        const body = await errorOf(big);
        expect(body.error).to.include.keys('code', 'message', 'requestId');
      });

      it('404 for unknown routes, 500 without internals for a crash', async () => {
        const nf = await fetch(`${s.url}/nope`);
        expect(nf.status).to.equal(404);
        expect((await errorOf(nf)).error.code).to.equal('ROUTE_NOT_FOUND');
        const boom = await fetch(`${s.url}/boom`);
        expect(boom.status).to.equal(500);
        const text = await boom.text();
        expect(text).not.to.match(/secret|mysql:|pw@/);
      });
    });
  }

  it('legacy /health is a plain liveness answer; an edge reports its checks', async () => {
    const [legacy, edge] = [await serve(frames[0]![1]()), await serve(frames[1]![1]())];
    try {
      expect(await (await fetch(`${legacy.url}/health`)).json()).to.deep.equal({ status: 'ok', service: 'legacy-x' });
      expect(await (await fetch(`${edge.url}/health`)).json()).to.deep.equal({ status: 'ok', service: 'x-service', checks: { db: 'ok' } });
    } finally {
      await legacy.close();
      await edge.close();
    }
  });

  it('an edge answers a failed peer call with a public message (no hosts or socket errors)', async () => {
    const edge = await serve(frames[1]![1]());
    try {
      const r = await fetch(`${edge.url}/peer`);
      expect(r.status).to.equal(503);
      const body = await errorOf(r);
      expect(body.error.message).to.equal('The product service is unavailable; try again later');
      expect(JSON.stringify(body)).not.to.include('10.0.0.7');
    } finally {
      await edge.close();
    }
  });
});
