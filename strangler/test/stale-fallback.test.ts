/**
 * Fallback after a database split (issue #13): once the ownership registry says a route's domain is split
 * (`database: own`), a failing GET is no longer answered from legacy's fenced, stale copy. Real MariaDB registry
 * (unique database, so a unique `ownership:<db>` channel), real Redis pub/sub, real stand-in upstreams, traffic
 * running while the record flips. The judges are the client's statuses, which upstream answered (hit counts), the
 * Prometheus counter and the warn log — never the facade's own view of the registry alone.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createMysqlOwnershipRegistry, ownershipChannelFor, type MysqlOwnershipRegistry } from '../../lib/ownership/index.ts';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { admin, captureLogger, json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';
import { metricValue } from './raw.ts';
import type { RouteTableInput } from '../table/schema.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Nothing listens here: Redis "down" for the facade. */
const DEAD_REDIS_URL = 'redis://127.0.0.1:1';
const REFUSED = 'stale-fallback-refused';
/** The service fails every request; a breaker that never opens keeps these tests about fallback alone. */
const NEVER_OPENS = { consecutiveFailures: 1_000_000, minRequests: 1_000_000 };

/** Legacy, the service and a service that never answers (`dead`); no prefix fallbacks. */
function doc(legacyUrl: string, serviceUrl: string, deadUrl: string): RouteTableInput {
  const t = table(legacyUrl, serviceUrl, [
    { id: 'work', path: '/api/work/*', legacy: 'legacy', service: 'svc', mode: 'service', domain: 'work', breaker: NEVER_OPENS },
    { id: 'work-down', path: '/api/down/*', legacy: 'legacy', service: 'dead', mode: 'service', domain: 'work', breaker: NEVER_OPENS },
    { id: 'work-seam', path: '/api/seam/*', legacy: 'legacy', service: 'svc', mode: 'service', domain: 'work', legacyReadsThroughSeam: true, breaker: NEVER_OPENS },
    { id: 'plain', path: '/api/plain/*', legacy: 'legacy', service: 'svc', mode: 'service', breaker: NEVER_OPENS },
  ], { fallbacks: [] });
  t.upstreams.dead = { url: deadUrl, timeoutMs: 2000, connectTimeoutMs: 500, pool: 8 };
  return t;
}

describe('strangler fallback after a database split (ownership registry)', function () {
  this.timeout(30_000);
  let legacy: StandIn;
  let svc: StandIn;
  let dead: StandIn;
  let deadUrl: string;
  let db: TestDatabase;
  let writer: MysqlOwnershipRegistry;
  let redis: Redis;
  let f: TestFacade | null = null;

  before(async () => {
    legacy = await startStandIn((_req, res) => json(res, 200, { from: 'legacy' }));
    // the service fails every request: only fallback (or not) decides what the client gets
    svc = await startStandIn((_req, res) => json(res, 500, { from: 'svc', error: 'boom' }));
    dead = await startStandIn(() => undefined);
    deadUrl = dead.url;
    await dead.close(); // refused from now on
    db = await createTestDatabase('own_fb', []);
    writer = await createMysqlOwnershipRegistry({ knex: db.knex, domains: ['work'], redisUrl: REDIS_URL, redisWaitMs: 3000, pollMs: 0 });
    redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
  });
  after(async () => {
    await writer?.close();
    redis?.disconnect();
    await db?.drop();
    await legacy?.close();
    await svc?.close();
  });
  afterEach(async () => {
    await f?.stop();
    f = null;
  });

  const get = (path: string) => send(f!.url + path, { headers: { 'x-request-id': `req-${path.replace(/\W/g, '')}` } });
  const refused = (route: string) => metricValue(f!.metrics.registry, 'strangler_fallbacks_refused_total', { route, reason: REFUSED });

  it('falls back before the flip, refuses after it (pub/sub within 1 s), keeps fallback for a route whose legacy reads through the seam', async () => {
    await writer.set('work', { owner: 'service', database: 'legacy' }, { actor: 'test', reason: 'service owns, data not split yet' });
    const logs = captureLogger('info');
    // polling every minute: only the pub/sub announcement can make the flip visible within a second
    f = await startTestFacade(doc(legacy.url, svc.url, deadUrl), { logger: logs.logger, config: { ownership: { dsn: db.dsn, redisUrl: REDIS_URL, pollMs: 60_000 } } });
    const channel = ownershipChannelFor(db.name);
    await waitFor(async () => ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1] >= 1, { what: 'the facade subscribed to the registry channel' });
    await waitFor(async () => (await admin(f!, '/routes/work')).json().ownership.database === 'legacy', { what: 'the facade read the registry' });

    // before the flip: legacy answers the failed service requests (fallback)
    for (const p of ['/api/work/1', '/api/down/1', '/api/seam/1', '/api/plain/1']) {
      const r = await get(p);
      expect(r.status, p).to.equal(200);
      expect(r.json().from, p).to.equal('legacy');
    }
    expect((await admin(f, '/routes/work')).json().ownership).to.include({ domain: 'work', database: 'legacy', fallbackLive: true, watched: true });

    // traffic runs while the record flips
    const statuses: { at: number; status: number; from: string }[] = [];
    let running = true;
    const traffic = (async () => {
      while (running) {
        const r = await get('/api/work/live');
        statuses.push({ at: Date.now(), status: r.status, from: r.json().from ?? r.json().error?.code });
      }
    })();
    await waitFor(() => statuses.length >= 3, { what: 'traffic before the flip' });
    const flippedAt = Date.now();
    await writer.set('work', { database: 'own' }, { actor: 'test', reason: 'split-db cutover' });
    await waitFor(() => statuses.some((s) => s.at > flippedAt && s.status === 500), { timeoutMs: 1000, what: 'the flip picked up via pub/sub within 1 s' });
    const firstRefused = statuses.find((s) => s.at > flippedAt && s.status === 500)!;
    expect(firstRefused.at - flippedAt).to.be.below(1000);
    running = false;
    await traffic;
    // before the flip every answer was legacy's; after the first refusal never legacy again
    expect(statuses.filter((s) => s.at < flippedAt).every((s) => s.status === 200 && s.from === 'legacy')).to.equal(true);
    expect(statuses.filter((s) => s.at > firstRefused.at).every((s) => s.status === 500 && s.from === 'svc')).to.equal(true);

    // after the flip: the service's 5xx passes on as is; a refused service is a 502; no legacy hit for either
    const legacyHits = legacy.hits.length;
    const r5 = await get('/api/work/2');
    expect(r5.status).to.equal(500);
    expect(r5.json()).to.deep.equal({ from: 'svc', error: 'boom' });
    const r2 = await get('/api/down/2');
    expect(r2.status).to.equal(502);
    expect(r2.json().error.code).to.equal('BAD_GATEWAY');
    expect(legacy.hits.length).to.equal(legacyHits);
    // the seam route keeps falling back (legacy's answer is current); a route without a domain is untouched
    for (const p of ['/api/seam/2', '/api/plain/2']) {
      const r = await get(p);
      expect(r.status, p).to.equal(200);
      expect(r.json().from, p).to.equal('legacy');
    }
    expect(legacy.hits.length).to.equal(legacyHits + 2);

    expect(await refused('work')).to.be.at.least(2);
    expect(await refused('work-down')).to.equal(1);
    expect(await refused('work-seam')).to.equal(0);
    expect(await refused('plain')).to.equal(0);
    // refusals log at warn with request id and route, rate-limited per kind (10 lines/s): the loop above can use up the
    // second in which /api/down/2 is refused, so any refused request's line proves the logging, not that one's
    await waitFor(() => logs.lines.some((l) => l.level === 40 && typeof l.requestId === 'string' && (l.route === 'work' || l.route === 'work-down') && String(l.msg).includes('refused')), { what: 'a warn line for a refused fallback' });

    const shown = (await admin(f, '/routes/work')).json();
    expect(shown.ownership).to.include({ domain: 'work', database: 'own', owner: 'service', fallbackLive: false });
    expect(shown.stats.fallbacksRefused[REFUSED]).to.be.at.least(2);
    expect((await admin(f, '/routes/work-seam')).json().ownership).to.include({ database: 'own', legacyReadsThroughSeam: true, fallbackLive: true });
    const status = (await admin(f, '/status')).json();
    expect(status.fallbacks.refused[REFUSED]).to.be.at.least(3);
    expect(status.ownership.watched).to.equal(true);
    expect(status.ownership.routes.map((r: { id: string }) => r.id)).to.deep.equal(['work', 'work-down', 'work-seam']);
  });

  it('picks the flip up by polling when Redis is down', async () => {
    await writer.set('work', { database: 'legacy' }, { actor: 'test', reason: 'reset' });
    f = await startTestFacade(doc(legacy.url, svc.url, deadUrl), { config: { ownership: { dsn: db.dsn, redisUrl: DEAD_REDIS_URL, pollMs: 200 } } });
    await waitFor(async () => (await get('/api/work/p')).status === 200, { what: 'fallback live before the flip' });
    const flippedAt = Date.now();
    await writer.set('work', { database: 'own' }, { actor: 'test', reason: 'split-db cutover' });
    await waitFor(async () => (await get('/api/work/p')).status === 500, { timeoutMs: 2000, what: 'the flip picked up by polling' });
    expect(Date.now() - flippedAt).to.be.below(2000);
    expect(await refused('work')).to.be.at.least(1);
  });

  it('never reaches legacy for a split domain while the breaker is open: 503 counted as refused', async () => {
    await writer.set('work', { database: 'own' }, { actor: 'test', reason: 'split' });
    const d = doc(legacy.url, svc.url, deadUrl);
    d.routes![0].breaker = { consecutiveFailures: 2, openMs: 30_000 };
    f = await startTestFacade(d, { config: { ownership: { dsn: db.dsn, redisUrl: REDIS_URL, pollMs: 200 } } });
    await waitFor(async () => (await admin(f!, '/routes/work')).json().ownership.database === 'own', { what: 'the registry read' });
    await waitFor(async () => (await get('/api/work/b')).status === 503, { what: 'the breaker to open' });
    const legacyHits = legacy.hits.length;
    const r = await get('/api/work/b');
    expect(r.status).to.equal(503);
    expect(r.json().error.code).to.equal('SERVICE_UNAVAILABLE');
    expect(legacy.hits.length).to.equal(legacyHits);
    expect(await refused('work')).to.be.at.least(2); // the failures that opened it, and the 503s since
  });

  it('treats the split state as unknown (no fallback for routes with a domain) while the registry cannot be read, and recovers', async () => {
    const logs = captureLogger('info');
    const missingDb = `${db.name}_x`;
    const missing = new URL(db.dsn);
    missing.pathname = `/${missingDb}`; // the registry's database is not there (yet)
    f = await startTestFacade(doc(legacy.url, svc.url, deadUrl), { logger: logs.logger, config: { ownership: { dsn: missing.toString(), redisUrl: DEAD_REDIS_URL, pollMs: 200, retryMs: 200 } } });
    try {
      // the facade is up and serving; routes without a domain (or reading through the seam) fall back as before
      expect((await get('/api/plain/u')).status).to.equal(200);
      expect((await get('/api/seam/u')).status).to.equal(200);
      const legacyHits = legacy.hits.length;
      expect((await get('/api/work/u')).status).to.equal(500);
      expect(legacy.hits.length).to.equal(legacyHits);
      expect((await admin(f, '/routes/work')).json().ownership).to.include({ database: 'unknown', fallbackLive: false });
      await waitFor(() => logs.lines.some((l) => l.level === 40 && String(l.msg).includes('ownership registry unreachable')), { what: 'the warn line' });
      // the registry appears (not split): the retry reads it and fallback comes back
      await db.knex.raw('CREATE DATABASE ??', [missingDb]);
      const { ensureRegistry } = await import('../../lib/ownership/index.ts');
      await ensureRegistry(db.knex, { database: missingDb, domains: ['work'] });
      await waitFor(async () => (await get('/api/work/u')).status === 200, { timeoutMs: 5000, what: 'fallback live once the registry is readable' });
      expect((await admin(f, '/routes/work')).json().ownership).to.include({ database: 'legacy', fallbackLive: true });
    } finally {
      await f.stop();
      f = null;
      await db.knex.raw('DROP DATABASE IF EXISTS ??', [missingDb]);
    }
  });

  it('never logs the registry password', async () => {
    const logs = captureLogger('info');
    const withPw = new URL(db.dsn);
    withPw.password = 'sekret-pw';
    f = await startTestFacade(doc(legacy.url, svc.url, deadUrl), { logger: logs.logger, config: { ownership: { dsn: withPw.toString(), redisUrl: DEAD_REDIS_URL, pollMs: 200, retryMs: 100 } } });
    await waitFor(() => logs.lines.filter((l) => String(l.msg).includes('ownership registry unreachable')).length >= 2, { what: 'two failed reads' });
    const text = JSON.stringify(logs.lines);
    expect(text).to.include('****');
    expect(text).to.not.include('sekret-pw');
  });

  it('keeps the last known state when the registry becomes unreachable after it was read', async () => {
    await writer.set('work', { database: 'legacy' }, { actor: 'test', reason: 'reset' });
    f = await startTestFacade(doc(legacy.url, svc.url, deadUrl), { config: { ownership: { dsn: db.dsn, redisUrl: DEAD_REDIS_URL, pollMs: 100 } } });
    await waitFor(async () => (await admin(f!, '/routes/work')).json().ownership.database === 'legacy', { what: 'the registry read' });
    await db.knex.raw('RENAME TABLE ??.service_ownership TO ??.service_ownership_away', [db.name, db.name]);
    try {
      // several polls fail meanwhile; the last known state (not split) stays in force
      const until = Date.now() + 500;
      while (Date.now() < until) expect((await get('/api/work/k')).status).to.equal(200);
      expect((await admin(f, '/routes/work')).json().ownership).to.include({ database: 'legacy', fallbackLive: true });
    } finally {
      await db.knex.raw('RENAME TABLE ??.service_ownership_away TO ??.service_ownership', [db.name, db.name]);
    }
  });

  it('changes nothing without STRANGLER_OWNERSHIP_URL: a domain route falls back as before', async () => {
    await writer.set('work', { database: 'own' }, { actor: 'test', reason: 'split' });
    f = await startTestFacade(doc(legacy.url, svc.url, deadUrl));
    const r = await get('/api/work/n');
    expect(r.status).to.equal(200);
    expect(r.json().from).to.equal('legacy');
    expect((await admin(f, '/routes/work')).json().ownership).to.include({ watched: false, fallbackLive: true });
  });
});
