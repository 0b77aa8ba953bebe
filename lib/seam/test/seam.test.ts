import { expect } from 'chai';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createLogger } from '../../logger.ts';
import { createKnex } from '../../db.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { createSeam, seamErrorHandler, SEAM_METRICS, type Seam, type SeamEvent } from '../index.ts';
import { FENCE_MESSAGE, SeamFixture } from './fixture.ts';
import { createMysqlOwnershipRegistry } from '../../ownership/index.ts';

describe('seam library: the monolith keeps working while a domain moves (MariaDB + Redis) @integration', () => {
  let f: SeamFixture | undefined;
  let seam: Seam | undefined;
  afterEach(async () => {
    await seam?.close();
    await f?.close();
    seam = undefined;
    f = undefined;
  });

  for (const kind of ['trigger', 'rename'] as const) {
    it(`a write loop through a cutover (fence: ${kind}) sees no errors and every write lands in exactly one side`, async () => {
      f = await SeamFixture.create();
      const fx = f;
      const events: SeamEvent[] = [];
      seam = createSeam({ registry: fx.app, connections: { legacy: fx.legacy.knex, items: fx.own.knex }, writeRetry: { maxMs: 8000, backoffMs: 10 }, onEvent: (e) => events.push(e) });
      const s = seam;
      const acked: number[] = [];
      const errors: unknown[] = [];
      let stop = false;
      const writers = [1, 2, 3, 4].map(async (w) => {
        for (let i = 0; !stop; i++) {
          const id = w * 100_000 + i;
          try {
            await s.write('items', (db) => db('items').insert({ id, writer: w }));
            acked.push(id);
          } catch (err) {
            errors.push(err);
            return;
          }
        }
      });
      await waitFor(() => acked.length >= 40 || errors.length > 0, { timeoutMs: 10_000, what: 'writes before the fence' });
      await fx.raiseFence(kind);
      await waitFor(() => s.state()[0].fenceHits >= 4 || errors.length > 0, { timeoutMs: 5000, what: 'writers meeting the fence' });
      const ackedAtFlip = acked.length;
      await fx.flip();
      await waitFor(() => acked.length >= ackedAtFlip + 40 || errors.length > 0, { timeoutMs: 10_000, what: 'writes after the flip' });
      stop = true;
      await Promise.all(writers);

      expect(errors, String(errors[0])).to.deep.equal([]);
      const legacy = await fx.legacyIds(kind);
      const own = await fx.ownIds();
      expect(legacy.filter((id) => own.includes(id)), 'written to both sides').to.deep.equal([]);
      expect([...legacy, ...own].sort((a, b) => a - b)).to.deep.equal([...acked].sort((a, b) => a - b));
      expect(own.length).to.be.greaterThan(40);
      expect(legacy.length).to.be.at.least(40);
      const st = s.state()[0];
      expect(st).to.include({ domain: 'items', owner: 'service', database: 'own', version: 2, unavailable: 0 });
      expect(st.fenceHits).to.be.at.least(4);
      expect(st.retries).to.equal(st.fenceHits);
      expect(events.filter((e) => e.type === 'switch')).to.have.length(1);
      expect(s.knex('items')).to.equal(fx.own.knex);
    });
  }

  it('a rollback moves writes back the same way: own fenced, flip back, every write in exactly one side', async () => {
    f = await SeamFixture.create();
    const fx = f;
    seam = createSeam({ registry: fx.app, connections: { legacy: fx.legacy.knex, items: fx.own.knex }, writeRetry: { maxMs: 8000, backoffMs: 10 } });
    const s = seam;
    const acked: number[] = [];
    const errors: unknown[] = [];
    let stop = false;
    const writer = (async () => {
      for (let id = 1; !stop; id++) {
        try {
          await s.write('items', (db) => db('items').insert({ id, writer: 1 }));
          acked.push(id);
        } catch (err) {
          errors.push(err);
          return;
        }
      }
    })();
    const phase = async (what: string, step: () => Promise<unknown>) => {
      const n = acked.length;
      await step();
      await waitFor(() => acked.length >= n + 20 || errors.length > 0, { timeoutMs: 10_000, what });
    };
    await phase('writes on legacy', async () => undefined);
    await phase('writes on own after the cutover', async () => {
      await fx.raiseFence('trigger', 'legacy');
      await waitFor(() => s.state()[0].fenceHits >= 1, { timeoutMs: 3000, what: 'fence hit' });
      await fx.flip();
    });
    const hitsAtCutover = s.state()[0].fenceHits;
    await phase('writes on legacy after the rollback', async () => {
      await fx.raiseFence('trigger', 'own');
      await waitFor(() => s.state()[0].fenceHits > hitsAtCutover, { timeoutMs: 3000, what: 'fence hit on own' });
      await fx.lowerFence('legacy');
      await fx.flipBack();
    });
    stop = true;
    await writer;
    expect(errors, String(errors[0])).to.deep.equal([]);
    const legacy = await fx.legacyIds();
    const own = await fx.ownIds();
    expect(legacy.filter((id) => own.includes(id))).to.deep.equal([]);
    expect([...legacy, ...own].sort((a, b) => a - b)).to.deep.equal(acked);
    expect(own.length).to.be.at.least(20);
    expect(Math.max(...legacy)).to.equal(acked[acked.length - 1]); // the last writes are legacy's again
    expect(s.state()[0]).to.include({ owner: 'legacy', database: 'legacy', version: 3 });
  });

  it('switches live on an ownership change announced over Redis (no fence, no polling)', async () => {
    f = await SeamFixture.create({ appPollMs: 0 });
    const fx = f;
    let made = 0;
    seam = createSeam({ registry: fx.app, connections: { legacy: fx.legacy.knex, items: () => (made++, createKnex(fx.own.dsn)) } });
    const s = seam;
    expect(s.knex('items')).to.equal(fx.legacy.knex);
    expect(made, 'the own connection is made only when first needed').to.equal(0);
    expect(s.state()[0].lastSwitchAt).to.equal(null);
    await fx.flip();
    await waitFor(() => s.knex('items') !== fx.legacy.knex, { timeoutMs: 3000, what: 'the seam to follow the announcement' });
    const [[row]] = await s.knex('items').raw('SELECT DATABASE() AS db');
    expect(row.db).to.equal(fx.own.name);
    s.knex('items');
    expect(made).to.equal(1);
    expect(s.state()[0].lastSwitchAt).to.be.a('string');
    expect(() => s.knex('itemz')).to.throw(/unknown domain "itemz"; domains are the keys of connections \(items\)/);
  });

  it('freshReads: a read right after another process flipped the domain goes to the new owner, before any announcement', async () => {
    // found by test/system/example-e2e.test.ts: the identity service wrote a new user to the new owner (its write met
    // the fence, so it re-read the registry), and the monolith's next request, in another process that had not yet
    // heard of the flip, read the old copy: "user not found" for a user that had just signed up
    f = await SeamFixture.create();
    const fx = f;
    const deaf = await createMysqlOwnershipRegistry({ knex: fx.legacy.knex, domains: ['items'], pollMs: 0 }); // no Redis, no polling
    try {
      await fx.own.knex('items').insert({ id: 7, writer: 0 });
      const ids = (s: Seam) => s.read('items', async (db) => ((await db('items').select('id')) as Array<{ id: number }>).map((r) => r.id));
      const plain = createSeam({ registry: deaf, connections: { legacy: fx.legacy.knex, items: fx.own.knex } });
      const fresh = createSeam({ registry: deaf, connections: { legacy: fx.legacy.knex, items: fx.own.knex }, freshReads: true });
      expect(await ids(fresh)).to.deep.equal([]);
      await fx.flip();
      expect(await ids(fresh), 'freshReads: the new owner at once').to.deep.equal([7]);
      await fx.flipBack();
      expect(await ids(fresh), 'and back').to.deep.equal([]);
      await fx.flip();
      await deaf.refresh();
      expect(await ids(plain), 'without freshReads the cached owner (here refreshed by hand)').to.deep.equal([7]);
      await plain.close();
      await fresh.close();
    } finally {
      await deaf.close();
    }
  });

  it('registry.refresh() reads the table after the call, even while an older refresh is in flight', async () => {
    f = await SeamFixture.create();
    const fx = f;
    const reg = await createMysqlOwnershipRegistry({ knex: fx.legacy.knex, domains: ['items'], pollMs: 0 });
    try {
      // the first refresh reads the table before the flip, and its answer is held until the flip has committed
      const held = reg as unknown as { table: (q: unknown, name: string) => { select: (c: string) => Promise<unknown> } };
      const real = held.table.bind(reg);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let selects = 0;
      held.table = (q, name) => {
        const b = real(q, name);
        return { select: async (c: string) => {
          const n = ++selects;
          const rows = await b.select(c);
          if (n === 1) await gate;
          return rows;
        } };
      };
      const before = reg.refresh();
      await waitFor(() => selects === 1, { timeoutMs: 3000, what: 'the first SELECT' });
      await fx.flip();
      const later = reg.refresh();
      release();
      expect((await before).find((r) => r.domain === 'items')?.database, 'the older refresh read before the flip').to.equal('legacy');
      const after = await later;
      expect(after.find((r) => r.domain === 'items')?.database).to.equal('own');
    } finally {
      await reg.close();
    }
  });

  it('reads retry on the fence error only', async () => {
    f = await SeamFixture.create();
    const fx = f;
    seam = createSeam({ registry: fx.app, connections: { legacy: fx.legacy.knex, items: fx.own.knex }, readRetry: { maxMs: 5000, backoffMs: 10 } });
    const s = seam;
    await fx.own.knex('items').insert({ id: 7, writer: 0 });
    await fx.raiseFence('rename');
    let attempts = 0;
    const reading = s.read('items', async (db) => {
      attempts++;
      return db('items').select('id');
    });
    await waitFor(() => attempts >= 3, { timeoutMs: 3000, what: 'read retries on the renamed-away table' });
    await fx.flip();
    expect((await reading).map((r) => r.id)).to.deep.equal([7]);
    let calls = 0;
    const err = await s.read('items', async (db) => {
      calls++;
      return db.raw('SELECT nope FROM items');
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).to.equal('ER_BAD_FIELD_ERROR');
    expect(calls).to.equal(1);
  });

  it('a flip that never comes ends in 503 + Retry-After through a real Express app; other errors stay theirs', async () => {
    f = await SeamFixture.create();
    const fx = f;
    const metrics = new Registry();
    const lines: string[] = [];
    const logger = createLogger('seam-test', { level: 'debug', destination: new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }) });
    seam = createSeam({
      registry: fx.app, connections: { legacy: fx.legacy.knex, items: fx.own.knex }, writeRetry: { maxMs: 300, backoffMs: 20 }, retryAfterSeconds: 7, metricsRegistry: metrics, logger,
    });
    const s = seam;
    const app = express();
    app.use(express.json());
    app.post('/items', async (req, res) => {
      await s.write('items', (db) => db('items').insert({ id: req.body.id, writer: 9 }), { requestId: String(req.headers['x-request-id']) });
      res.status(201).json({ ok: true });
    });
    app.post('/custom', async () => {
      await s.write('items', (db) => db('items').insert({ id: 99, writer: 9 }));
    });
    app.use('/custom', seamErrorHandler({ body: (info) => ({ status: 'moving', code: info.code, retryAfter: info.retryAfterSeconds }) }));
    app.use(seamErrorHandler({ logger }));
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      void _next;
      res.status(500).json({ error: { code: 'INTERNAL', message: err.message } });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const post = (path: string, id: number) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': `req-${id}` }, body: JSON.stringify({ id }) });
    try {
      expect((await post('/items', 1)).status).to.equal(201);
      const dup = await post('/items', 1); // a duplicate key is the app's error, not a move: no retry, not 503
      expect(dup.status).to.equal(500);
      expect(s.state()[0].fenceHits).to.equal(0);

      await fx.raiseFence('trigger');
      const t0 = Date.now();
      const res = await post('/items', 424242);
      expect(res.status).to.equal(503);
      expect(Date.now() - t0).to.be.at.least(290);
      expect(res.headers.get('retry-after')).to.equal('7');
      const body = await res.json() as { error: { code: string; message: string; requestId: string } };
      expect(body.error).to.include({ code: 'SERVICE_MOVING', requestId: 'req-424242' });
      // logged at warn with the request id and the fence's own message, never the statement with its values
      const warns = lines.map((l) => JSON.parse(l) as { level: number; requestId?: string; msg: string }).filter((l) => l.level === 40 && l.requestId === 'req-424242');
      expect(warns.map((w) => w.msg)).to.include.members(['seam: met the fence of a moving domain; retrying', 'seam: domain still fenced after the retry budget; answering 503', 'answering 503 SERVICE_MOVING']);
      expect(lines.join('\n')).to.include(FENCE_MESSAGE).and.not.to.include('424242,');
      expect(body.error.message).to.match(/^items is moving to another database/);
      expect(body.error.message).not.to.include(FENCE_MESSAGE);

      const custom = await post('/custom', 3);
      expect(custom.status).to.equal(503);
      expect(await custom.json()).to.deep.equal({ status: 'moving', code: 'SERVICE_MOVING', retryAfter: 7 });

      expect(await fx.legacyIds()).to.deep.equal([1]);
      expect(await fx.ownIds()).to.deep.equal([]);
      const st = s.state()[0];
      expect(st).to.include({ database: 'legacy', unavailable: 2 });
      const unavailable = await metrics.getSingleMetric(SEAM_METRICS.unavailable)!.get();
      expect(unavailable.values.find((v) => v.labels.domain === 'items' && v.labels.op === 'write')?.value).to.equal(2);
      const hits = await metrics.getSingleMetric(SEAM_METRICS.fenceHits)!.get();
      expect(hits.values.reduce((a, v) => a + v.value, 0)).to.equal(st.fenceHits);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
