import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Router } from 'express';
import { AppError } from '../../errors.ts';
import { isFenceError, isFenceTriggerError } from '../errors.ts';
import { retryFencedRequests } from '../requests.ts';
import { errorHandler, requestId } from '../../http.ts';
import { silentLogger } from '../../logger.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';

describe('lib/seam requests: fenced writes', () => {
  it('recognises the split fence by SQLSTATE and message, by code across Thrift, and through causes', () => {
    const sqlErr = Object.assign(new Error('split-db: writes to products are fenced (product split: cutover in progress)'), { sqlState: '45000' });
    expect(isFenceError(sqlErr)).to.equal(true);
    expect(isFenceError(new AppError('WRITE_FENCED'))).to.equal(true);
    expect(isFenceError(new Error('wrapped', { cause: sqlErr }))).to.equal(true);
    expect(isFenceError(Object.assign(new Error('user signal'), { sqlState: '45000' }))).to.equal(false);
    expect(isFenceError(new AppError('CONFLICT'))).to.equal(false);
    expect(isFenceError(null)).to.equal(false);
    // a missing table: a fence inside seam.read/write (one domain's tables), an ordinary error for a whole request
    const missing = Object.assign(new Error("Table 'legacy.items' doesn't exist"), { errno: 1146, code: 'ER_NO_SUCH_TABLE' });
    expect(isFenceError(missing)).to.equal(true);
    expect(isFenceTriggerError(missing)).to.equal(false);
    expect(isFenceTriggerError(sqlErr)).to.equal(true);
    expect(isFenceTriggerError(new Error('wrapped', { cause: new AppError('WRITE_FENCED') }))).to.equal(true);
  });
});

describe('lib/seam requests: retrying requests across a write freeze @integration', () => {
  let db: TestDatabase;
  let server: Server;
  let base: string;
  let retries: number[];
  let onFirstRetry: (() => Promise<void>) | undefined;

  before(async () => {
    db = await createTestDatabase('fence', []);
    await db.knex.raw('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)');
    await db.knex.raw('CREATE TABLE fence (id INT PRIMARY KEY, fenced TINYINT NOT NULL)');
    await db.knex.raw('INSERT INTO fence VALUES (1, 0)');
    await db.knex.raw(`CREATE TRIGGER items_fence BEFORE INSERT ON items FOR EACH ROW BEGIN
      IF (SELECT fenced FROM fence WHERE id = 1) THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'split-db: writes to items are fenced (test)'; END IF; END`);
    const router = Router();
    router.post('/renamed', async (req, res) => {
      await db.knex('items_renamed_away').insert({ id: req.body.id, name: req.body.name });
      res.status(201).json({ id: req.body.id });
    });
    router.post('/items', async (req, res) => {
      await db.knex.transaction(async (trx) => { await trx('items').insert({ id: req.body.id, name: req.body.name }); });
      res.status(201).json({ id: req.body.id });
    });
    const app = express();
    app.use(requestId());
    app.use(express.json());
    app.use(retryFencedRequests(router, {
      maxWaitMs: 1500,
      onRetry: (n) => {
        retries.push(n);
        if (n === 1 && onFirstRetry) void onFirstRetry();
      },
    }));
    app.use(errorHandler(silentLogger()));
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => { retries = []; onFirstRetry = undefined; });
  after(async () => {
    server?.close();
    await db?.drop();
  });

  const post = (body: unknown) => fetch(`${base}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('a write that hits the fence succeeds once the fence is lowered, with the body replayed', async () => {
    await db.knex.raw('UPDATE fence SET fenced = 1');
    onFirstRetry = async () => { await db.knex.raw('UPDATE fence SET fenced = 0'); };
    const res = await post({ id: 1, name: '첫 상품' });
    expect(res.status).to.equal(201);
    expect(retries.length).to.be.greaterThan(0);
    const rows = await db.knex('items').select();
    expect(rows).to.deep.equal([{ id: 1, name: '첫 상품' }]);
  });

  it('a fence that stays up past the deadline answers 503 WRITE_FENCED with Retry-After, and nothing is written', async () => {
    await db.knex.raw('UPDATE fence SET fenced = 1');
    const started = Date.now();
    const res = await post({ id: 2, name: 'x' });
    expect(res.status).to.equal(503);
    expect(res.headers.get('retry-after')).to.equal('1');
    const body = await res.json() as { error: { code: string; requestId: string } };
    expect(body.error.code).to.equal('WRITE_FENCED');
    expect(body.error.requestId).to.be.a('string').and.not.equal('');
    expect(Date.now() - started).to.be.within(1000, 4000);
    expect(await db.knex('items').where({ id: 2 }).first()).to.equal(undefined);
    await db.knex.raw('UPDATE fence SET fenced = 0');
  });

  it('a missing table is not retried: a plain 500, as before', async () => {
    const res = await fetch(`${base}/renamed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 7, name: 'x' }) });
    expect(res.status).to.equal(500);
    expect(retries).to.deep.equal([]);
  });

  it('other errors are not retried', async () => {
    const res = await post({ id: 1, name: 'duplicate' });
    expect(res.status).to.equal(500);
    expect(retries).to.deep.equal([]);
  });
});
