import { expect } from 'chai';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../lib/logger.ts';
import { stringify as yaml } from 'yaml';
import { DEFAULT_ROUTES_FILE, loadFacadeConfig, ROUTES_TEMPLATE_FILE } from '../config.ts';
import { startFacade, type FacadeHandle } from '../index.ts';
import { admin, json, send, startStandIn, table, type StandIn, captureLogger } from './helpers.ts';

describe('the adopter\'s routes file is a seed: read, never rewritten @integration', () => {
  let legacy: StandIn;
  let dir: string;
  let f: FacadeHandle | null = null;

  beforeEach(async () => {
    legacy = await startStandIn((req, res) => json(res, 200, { from: 'legacy', url: req.url }));
    dir = await mkdtemp(join(tmpdir(), 'strangler-seed-'));
  });
  afterEach(async () => {
    await f?.close();
    f = null;
    await legacy.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>, logger?: ReturnType<typeof createLogger>): Promise<FacadeHandle> {
    const config = loadFacadeConfig({ STRANGLER_ADMIN_TOKEN: 'test-admin-token-0123456789', ...env });
    return startFacade({ ...config, host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0 }, { logger });
  }


  it('admin changes go to the live table in the state dir; the seed file (YAML) keeps its bytes and mtime', async () => {
    const seed = join(dir, 'my-routes.yaml');
    const doc = table(legacy.url, legacy.url, [{ id: 'products.list', methods: ['GET'], path: '/api/products', legacy: 'legacy', service: 'svc' }]);
    const seedText = '# our routes, with comments we want to keep\n' + yaml(doc);
    await writeFile(seed, seedText);
    const mtime = (await stat(seed)).mtimeMs;
    const stateDir = join(dir, 'var');
    f = await start({ STRANGLER_ROUTES: seed, STRANGLER_AUDIT_FILE: join(dir, 'audit', 'audit.jsonl'), STRANGLER_STATE_DIR: stateDir });
    const adm = { ...f, adminUrl: f.adminUrl };
    expect((await send(f.url + '/api/products')).json().from).to.equal('legacy');
    const token = { token: 'test-admin-token-0123456789' };
    expect((await admin(adm, '/routes/products.list', { method: 'POST', body: { mode: 'shadow' }, ...token })).status).to.equal(200);
    expect((await admin(adm, '/routes/orders', { method: 'PUT', body: { path: '/api/orders', legacy: 'legacy' }, ...token })).status).to.equal(201);
    expect(f.controller.table.version).to.equal(3);

    expect(await readFile(seed, 'utf8')).to.equal(seedText);
    expect((await stat(seed)).mtimeMs).to.equal(mtime);
    const live = JSON.parse(await readFile(join(stateDir, 'routes.json'), 'utf8'));
    expect(live.version).to.equal(3);
    expect(live.routes.map((r: { id: string }) => r.id)).to.deep.equal(['products.list', 'orders']);

    // a restart serves the live table, not the seed, and says the seed differs (with the command to apply it)
    await f.close();
    const cap = captureLogger();
    f = await start({ STRANGLER_ROUTES: seed, STRANGLER_AUDIT_FILE: join(dir, 'audit', 'audit.jsonl'), STRANGLER_STATE_DIR: stateDir }, cap.logger);
    expect(cap.lines.some((l) => l.level === 40 && String(l.msg).includes(`strangler apply -f ${seed} --dry-run`))).to.equal(true);
    expect(f.controller.table.version).to.equal(3);
    expect(f.controller.table.routes.find((r) => r.id === 'products.list')!.mode).to.equal('shadow');
    expect(await readFile(seed, 'utf8')).to.equal(seedText);
  });

  it('the state dir defaults to the audit file\'s folder; the demo default keeps var/routes.json as the live copy of the template', () => {
    const c = loadFacadeConfig({ STRANGLER_ROUTES: '/etc/app/routes.json', STRANGLER_AUDIT_FILE: '/var/lib/strangler/audit.jsonl' });
    expect(c.source).to.deep.equal({ kind: 'file', path: '/var/lib/strangler/routes.json', template: '/etc/app/routes.json' });
    const d = loadFacadeConfig({});
    expect(d.source).to.deep.equal({ kind: 'file', path: DEFAULT_ROUTES_FILE, template: ROUTES_TEMPLATE_FILE });
    // naming the live table itself as STRANGLER_ROUTES keeps today's behaviour (seeded from the template)
    const e = loadFacadeConfig({ STRANGLER_ROUTES: DEFAULT_ROUTES_FILE });
    expect(e.source).to.deep.equal({ kind: 'file', path: DEFAULT_ROUTES_FILE, template: ROUTES_TEMPLATE_FILE });
  });
});
