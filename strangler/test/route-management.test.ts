import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admin, json, send, startStandIn, startTestFacade, table, TEST_TOKEN, type StandIn, type TestFacade } from './helpers.ts';

const CLI = fileURLToPath(new URL('../bin/strangler.ts', import.meta.url));

function cli(f: TestFacade, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], {
      env: { ...process.env, STRANGLER_ADMIN_URL: f.adminUrl, STRANGLER_ADMIN_TOKEN: TEST_TOKEN, STRANGLER_ACTOR: 'tester' },
    }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

async function auditLines(f: TestFacade): Promise<any[]> {
  const text = await readFile(join(f.dir, 'audit.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

describe('route and upstream management through the admin API and CLI @integration', () => {
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade;

  beforeEach(async () => {
    legacy = await startStandIn((req, res) => json(res, 200, { from: 'legacy', url: req.url }));
    svc = await startStandIn((req, res) => json(res, 200, { from: 'svc', url: req.url }));
    f = await startTestFacade(table(legacy.url, svc.url, [
      { id: 'products.list', methods: ['GET'], path: '/api/products', legacy: 'legacy', service: 'svc', tags: ['catalog'] },
      { id: 'products.get', methods: ['GET'], path: '/api/products/:id', legacy: 'legacy', service: 'svc', tags: ['catalog'] },
      { id: 'orders.list', methods: ['GET'], path: '/api/orders', legacy: 'legacy', service: 'svc' },
    ]));
  });
  afterEach(async () => {
    await f.stop();
    await legacy.close();
    await svc.close();
  });

  it('a change that leaves an upstream short of shadow connections is applied, and the CLI, the answer and status say so', async () => {
    // one connection for shadow copies; a route copying writes (dark-copy: sent alone, one per connection) with 8 in flight
    const up = await admin(f, '/upstreams/svc', { method: 'PUT', body: { url: svc.url, shadowPool: 1 } });
    expect(up.status, up.body).to.equal(200);
    expect(up.json().warnings, 'no shadow route yet: nothing to say').to.equal(undefined);
    const put = await admin(f, '/routes/orders.list', { method: 'PUT', body: { path: '/api/orders', legacy: 'legacy', service: 'svc', mode: 'legacy', shadow: { writes: 'dark-copy', maxConcurrency: 8 } } });
    expect(put.status, put.body).to.equal(200);
    expect(put.json().warnings).to.equal(undefined);

    const r = await cli(f, ['route', 'set', 'orders.list', '--mode', 'shadow']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('orders.list is now shadow');
    expect(r.stderr).to.match(/^strangler: warning: upstream svc: its shadow routes \(orders\.list\) may have 8 copies in flight, needing 8 shadow connections, but shadowPool is 1;.*raise upstreams\.svc\.shadowPool\)\n$/);
    expect(f.controller.table.routes.find((x) => x.id === 'orders.list')!.mode, 'applied all the same').to.equal('shadow');
    const status = await cli(f, ['status']);
    expect(status.stdout).to.match(/^advice {2}upstream svc: its shadow routes \(orders\.list\) may have 8 copies/m);
    expect((await admin(f, '/status')).json().advice).to.have.length(1);

    // raised: the answer carries no warning and status no advice
    const raised = await admin(f, '/upstreams/svc', { method: 'PUT', body: { url: svc.url, shadowPool: 8 } });
    expect(raised.json().warnings).to.equal(undefined);
    expect((await admin(f, '/status')).json().advice).to.deep.equal([]);
    const again = await cli(f, ['route', 'set', 'orders.list', '--mode', 'legacy']);
    expect(again.stderr).to.equal('');
  });

  it('adds, replaces and removes a route, audited with before and after, one version each', async () => {
    const v0 = f.controller.table.version;
    const put = await admin(f, '/routes/carts.get', { method: 'PUT', body: { methods: ['GET'], path: '/api/carts/:id', legacy: 'legacy', service: 'svc', mode: 'service' } });
    expect(put.status, put.body).to.equal(201);
    expect(put.json().version).to.equal(v0 + 1);
    const served = await send(f.url + '/api/carts/7');
    expect(served.json().from).to.equal('svc');
    expect(served.headers['x-strangler-route']).to.match(/^carts\.get;/);

    const replace = await admin(f, '/routes/carts.get', { method: 'PUT', body: { methods: ['GET'], path: '/api/carts/:id', legacy: 'legacy', service: 'svc', mode: 'legacy' } });
    expect(replace.status, replace.body).to.equal(200);
    expect((await send(f.url + '/api/carts/7')).json().from).to.equal('legacy');

    const del = await admin(f, '/routes/carts.get', { method: 'DELETE' });
    expect(del.status, del.body).to.equal(200);
    expect(f.controller.table.routes.map((r) => r.id)).to.not.include('carts.get');
    expect(f.stats.peek('carts.get'), 'a removed route\'s stats are dropped (ids come and go)').to.equal(undefined);
    expect(f.controller.table.version).to.equal(v0 + 3);
    // the file the source serves holds the change (every instance converges on it)
    expect(JSON.parse(await readFile(f.routesFile, 'utf8')).version).to.equal(v0 + 3);

    const audit = (await auditLines(f)).filter((e) => e.route === 'carts.get');
    expect(audit.map((e) => e.action)).to.deep.equal(['route-put', 'route-put', 'route-delete']);
    expect(audit[0].before).to.equal(null);
    expect(audit[0].after.mode).to.equal('service');
    expect(audit[1].before.mode).to.equal('service');
    expect(audit[1].after.mode).to.equal('legacy');
    expect(audit[2].before.path).to.equal('/api/carts/:id');
    expect(audit[2].after).to.equal(null);
    expect(audit.map((e) => e.version)).to.deep.equal([v0 + 1, v0 + 2, v0 + 3]);
  });

  it('refuses an invalid route with every schema error, an id mismatch, and leaves the table as it was', async () => {
    const v0 = f.controller.table.version;
    const bad = await admin(f, '/routes/x', { method: 'PUT', body: { path: '/api/x', legacy: 'nope', mode: 'service' } });
    expect(bad.status).to.equal(400);
    expect(bad.json().error.message).to.include('unknown upstream "nope"').and.include('service: required when mode is "service"');
    const mismatch = await admin(f, '/routes/x', { method: 'PUT', body: { id: 'y', path: '/api/x', legacy: 'legacy' } });
    expect(mismatch.status).to.equal(400);
    const dup = await admin(f, '/routes/x', { method: 'PUT', body: { methods: ['GET'], path: '/api/orders', legacy: 'legacy' } });
    expect(dup.status).to.equal(400);
    expect(dup.json().error.message).to.include('same match');
    expect((await admin(f, '/routes/nope', { method: 'DELETE' })).status).to.equal(404);
    expect(f.controller.table.version).to.equal(v0);
    const metrics = (await admin(f, '/metrics')).body;
    expect(metrics).to.include('strangler_table_edits_total{op="route-put",result="refused"} 3');
    expect(metrics).to.include('strangler_table_edits_total{op="route-delete",result="refused"} 1');
  });

  it('upstreams: added, used by a route, refused removal with 409 while referenced, removed once unused', async () => {
    const other = await startStandIn((req, res) => json(res, 200, { from: 'other' }));
    try {
      expect((await admin(f, '/upstreams/other', { method: 'PUT', body: { url: 'ftp://x' } })).status).to.equal(400);
      const put = await admin(f, '/upstreams/other', { method: 'PUT', body: { url: other.url } });
      expect(put.status, put.body).to.equal(201);
      await admin(f, '/routes/orders.list', { method: 'PUT', body: { methods: ['GET'], path: '/api/orders', legacy: 'legacy', service: 'other', mode: 'service' } });
      expect((await send(f.url + '/api/orders')).json().from).to.equal('other');
      const refused = await admin(f, '/upstreams/other', { method: 'DELETE' });
      expect(refused.status).to.equal(409);
      expect(refused.json().error.message).to.include('route orders.list');
      const legacyRefused = await admin(f, '/upstreams/legacy', { method: 'DELETE' });
      expect(legacyRefused.status).to.equal(409);
      expect(legacyRefused.json().error.message).to.include('fallbacks.0');
      await admin(f, '/routes/orders.list', { method: 'DELETE' });
      const del = await admin(f, '/upstreams/other', { method: 'DELETE' });
      expect(del.status, del.body).to.equal(200);
      expect(Object.keys(f.controller.table.upstreams)).to.deep.equal(['legacy', 'svc']);
      const audit = (await auditLines(f)).filter((e) => e.route === 'upstream:other');
      expect(audit.map((e) => [e.action, e.before?.url ?? null, e.after?.url ?? null])).to.deep.equal([['upstream-put', null, other.url], ['upstream-delete', other.url, null]]);
    } finally {
      await other.close();
    }
  });

  it('sets the mode of every route with a tag or id prefix in one version, all or nothing', async () => {
    const v0 = f.controller.table.version;
    const r = await admin(f, '/modes', { method: 'POST', body: { tag: 'catalog', mode: 'shadow', reason: 'compare catalog' } });
    expect(r.status, r.body).to.equal(200);
    expect(r.json().changed.map((c: any) => c.id)).to.deep.equal(['products.list', 'products.get']);
    expect(f.controller.table.version).to.equal(v0 + 1);
    expect(f.controller.table.routes.map((x) => x.mode)).to.deep.equal(['shadow', 'shadow', 'legacy']);
    const audit = (await auditLines(f)).filter((e) => e.version === v0 + 1);
    expect(audit.map((e) => [e.route, e.from.mode, e.to.mode, e.reason])).to.deep.equal([['products.list', 'legacy', 'shadow', 'compare catalog'], ['products.get', 'legacy', 'shadow', 'compare catalog']]);

    const cli1 = await cli(f, ['route', 'set', '--prefix', 'products.', '--mode', 'canary', '--percent', '10']);
    expect(cli1.code, cli1.stderr).to.equal(0);
    expect(cli1.stdout).to.include('products.get: shadow → canary 10%');
    expect(f.controller.table.routes.filter((x) => x.id.startsWith('products.')).map((x) => [x.mode, x.percent])).to.deep.equal([['canary', 10], ['canary', 10]]);

    // a route without a service cannot leave legacy: the whole change is refused
    await admin(f, '/routes/products.nosvc', { method: 'PUT', body: { path: '/api/products/x/y', legacy: 'legacy' } });
    const v1 = f.controller.table.version;
    const refused = await admin(f, '/modes', { method: 'POST', body: { prefix: 'products.', mode: 'service' } });
    expect(refused.status).to.equal(400);
    expect(f.controller.table.version).to.equal(v1);
    expect(f.controller.table.routes.find((x) => x.id === 'products.list')!.mode).to.equal('canary');
    expect((await admin(f, '/modes', { method: 'POST', body: { tag: 'none', mode: 'shadow' } })).status).to.equal(404);
    expect((await admin(f, '/modes', { method: 'POST', body: { tag: 'catalog', prefix: 'x', mode: 'shadow' } })).status).to.equal(400);
    const usage = await cli(f, ['route', 'set', 'products.list', '--tag', 'catalog', '--mode', 'shadow']);
    expect(usage.code).to.equal(2);
  });

  it('apply: --dry-run prints the field-level difference and changes nothing; apply makes it one audited version', async () => {
    const v0 = f.controller.table.version;
    const desired = table(legacy.url, svc.url, [
      { id: 'products.list', methods: ['GET'], path: '/api/products', legacy: 'legacy', service: 'svc', tags: ['catalog'], mode: 'shadow', shadow: { ignore: ['body.generatedAt'] } },
      { id: 'products.get', methods: ['GET'], path: '/api/products/:id', legacy: 'legacy', service: 'svc', tags: ['catalog'] },
      { id: 'carts.get', methods: ['GET'], path: '/api/carts/:id', legacy: 'legacy', service: 'carts' },
    ], { version: 999 });
    desired.upstreams.carts = { url: svc.url };
    const file = join(f.dir, 'desired.json');
    await writeFile(file, JSON.stringify(desired));
    const before = await readFile(f.routesFile, 'utf8');

    const dry = await cli(f, ['apply', '-f', file, '--dry-run']);
    expect(dry.code, dry.stderr).to.equal(0);
    const lines = dry.stdout.split('\n');
    expect(lines).to.include('+ route carts.get');
    expect(lines).to.include('~ route products.list');
    expect(lines).to.include('    mode: "legacy" → "shadow"');
    expect(lines).to.include('    shadow.ignore: [] → ["body.generatedAt"]');
    expect(lines).to.include('- route orders.list');
    expect(lines).to.include('+ upstream carts');
    expect(dry.stdout).to.not.include('products.get'); // unchanged: defaults filled in on both sides
    expect(dry.stdout).to.include('routes: 1 added, 1 changed, 1 removed; upstreams: 1 added, 0 changed, 0 removed (dry run: nothing applied)');
    expect(await readFile(f.routesFile, 'utf8')).to.equal(before);
    expect(f.controller.table.version).to.equal(v0);

    const json = await cli(f, ['--json', 'apply', '-f', file, '--dry-run']);
    expect(JSON.parse(json.stdout).diff.routes.removed).to.deep.equal(['orders.list']);

    const applied = await cli(f, ['apply', '-f', file, '--reason', 'adopt']);
    expect(applied.code, applied.stderr).to.equal(0);
    expect(applied.stdout).to.include(`applied as version ${v0 + 1}`);
    expect(f.controller.table.version).to.equal(v0 + 1); // the file's version (999) is ignored
    expect(f.controller.table.routes.map((r) => r.id)).to.deep.equal(['products.list', 'products.get', 'carts.get']);
    const audit = (await auditLines(f)).filter((e) => e.action === 'apply');
    expect(audit).to.have.length(1);
    expect(audit[0].reason).to.equal('adopt');
    expect(audit[0].diff.routes.added).to.deep.equal(['carts.get']);
    expect(audit[0].diff.routes.changed[0].fields.find((x: any) => x.field === 'mode')).to.deep.equal({ field: 'mode', before: 'legacy', after: 'shadow' });

    const again = await cli(f, ['apply', '-f', file]);
    expect(again.stdout.trim()).to.equal('no changes: the live table already matches');
    expect(f.controller.table.version).to.equal(v0 + 1);
    // the same ignore rule in another accepted spelling is the same table
    desired.routes![0].shadow = { ignore: ['$.generatedAt'] };
    await writeFile(file, JSON.stringify(desired));
    expect((await cli(f, ['apply', '-f', file, '--dry-run'])).stdout.trim()).to.equal('no changes: the live table already matches');

    await writeFile(file, JSON.stringify({ ...desired, routes: [{ id: 'a', path: '/a', legacy: 'gone' }] }));
    const invalid = await cli(f, ['apply', '-f', file, '--dry-run']);
    expect(invalid.code).to.equal(1);
    expect(invalid.stderr.trim().split('\n')).to.have.length(1);
    expect(invalid.stderr).to.include('unknown upstream "gone"');
  });

  it('stats reset clears one route\'s counters (audited), others keep theirs', async () => {
    await send(f.url + '/api/products');
    await send(f.url + '/api/orders');
    expect(f.stats.peek('products.list')!.requests).to.equal(1);
    const r = await cli(f, ['stats', 'reset', 'products.list']);
    expect(r.code, r.stderr).to.equal(0);
    expect(f.stats.peek('products.list')!.requests).to.equal(0);
    expect(f.stats.peek('orders.list')!.requests).to.equal(1);
    await send(f.url + '/api/products');
    expect((await admin(f, '/routes/products.list')).json().stats.requests).to.equal(1);
    const audit = (await auditLines(f)).filter((e) => e.action === 'stats-reset');
    expect(audit[0].route).to.equal('products.list');
    expect(audit[0].before.requests).to.equal(1);
    expect((await admin(f, '/routes/nope/stats/reset', { method: 'POST' })).status).to.equal(404);
  });
});

describe('route management under concurrency @integration', () => {
  let legacy: StandIn;
  const facades: TestFacade[] = [];

  before(async () => {
    legacy = await startStandIn((req, res) => json(res, 200, { from: 'legacy', url: req.url }));
  });
  after(async () => {
    for (const f of facades) await f.stop();
    await legacy.close();
  });

  it('parallel PUTs on one instance: every acknowledged route is in the table, one version each', async () => {
    const f = await startTestFacade(table(legacy.url, legacy.url, []));
    facades.push(f);
    const v0 = f.controller.table.version;
    const puts = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      admin(f, `/routes/r${i}`, { method: 'PUT', body: { methods: ['GET'], path: `/api/r${i}`, legacy: 'legacy' } })));
    expect(puts.map((p) => p.status)).to.deep.equal(Array(12).fill(201));
    expect(f.controller.table.version).to.equal(v0 + 12);
    expect(f.controller.table.routes.map((r) => r.id).sort()).to.deep.equal(Array.from({ length: 12 }, (_, i) => `r${i}`).sort());
    expect(new Set(puts.map((p) => p.json().version)).size).to.equal(12);
    const onDisk = JSON.parse(await readFile(f.routesFile, 'utf8'));
    expect(onDisk.routes).to.have.length(12);
  });

  it('two instances on one Redis key: no acknowledged change is lost (compare-and-set, re-read, retry)', async function () {
    const { RedisSource } = await import('../sources/redis.ts');
    const { RedisAudit } = await import('../audit.ts');
    const { uniqueRedisPrefix, waitFor } = await import('../../test/helpers/wait.ts');
    const { Redis } = await import('ioredis');
    const prefix = uniqueRedisPrefix('strangler-mgmt');
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const seed = table(legacy.url, legacy.url, []);
    const on = async () => {
      const source = new RedisSource({ url, prefix, seed, pollMs: 60_000 });
      const f = await startTestFacade(seed, { source, audit: new RedisAudit(source.client, `${prefix}audit`) });
      facades.push(f);
      return f;
    };
    const a = await on();
    const b = await on();
    try {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
        admin(i % 2 ? b : a, `/routes/c${i}`, { method: 'PUT', body: { methods: ['GET'], path: `/api/c${i}`, legacy: 'legacy' } }).then((r) => ({ i, r }))));
      const ok = results.filter((x) => x.r.status === 201).map((x) => `c${x.i}`);
      for (const x of results) expect([201, 409], x.r.body).to.include(x.r.status);
      expect(ok.length).to.be.greaterThan(0);
      await waitFor(() => a.controller.table.version === b.controller.table.version && a.controller.table.version === 1 + ok.length, { what: 'convergence', timeoutMs: 3000 });
      expect(a.controller.table.routes.map((r) => r.id).sort()).to.deep.equal(ok.sort());
      const audit = (await admin(a, '/audit?limit=100')).json().entries;
      expect(audit.filter((e: any) => e.action === 'route-put').map((e: any) => e.route).sort()).to.deep.equal(ok.sort());
    } finally {
      const cleanup = new Redis(url);
      await cleanup.del(`${prefix}routes`, `${prefix}audit`);
      cleanup.disconnect();
    }
  });
});
