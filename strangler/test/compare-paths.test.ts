import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../test/helpers/wait.ts';
import { DEFAULT_UNUSED_IGNORE_AFTER } from '../stats.ts';
import { validateTable } from '../table/schema.ts';
import { admin, json, send, startStandIn, startTestFacade, table, TEST_TOKEN, type StandIn, type TestFacade } from './helpers.ts';

const CLI = fileURLToPath(new URL('../bin/strangler.ts', import.meta.url));
function cli(f: TestFacade, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, STRANGLER_ADMIN_URL: f.adminUrl, STRANGLER_ADMIN_TOKEN: TEST_TOKEN } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('one path syntax for ignore rules and the reports', () => {
  const doc = (shadow: unknown) => ({ upstreams: { l: { url: 'http://127.0.0.1:1' } }, routes: [{ id: 'a', path: '/a', legacy: 'l', service: 'l', shadow }] });

  it('accepts body.x (as the reports print it), $.x and x alike, and refuses headers, the status and the whole body', () => {
    const ok = validateTable(doc({ ignore: ['body.error.id', '$.meta.at', 'items.*.ts'], unordered: [{ path: 'body.items', key: 'id' }] }));
    expect(ok.ok).to.equal(true);
    const t = (ok as { table: any }).table;
    expect(t.routes[0].shadow.ignore).to.deep.equal(['error.id', 'meta.at', 'items.*.ts']);
    expect(t.routes[0].shadow.unordered[0].path).to.equal('items');
    const bad = validateTable(doc({ ignore: ['header:Date', 'status', 'body', 'body..x'] }));
    const errors = (bad as { errors: string[] }).errors;
    expect(errors).to.have.length(4);
    expect(errors[0]).to.include('routes.0.shadow.ignore.0').and.include('remove "date" from shadow.headers');
    expect(errors[1]).to.include('the status is always compared');
    expect(errors[2]).to.include('names the whole body');
    expect(errors[3]).to.include('empty segment');
    // overlap paths follow the same syntax (and still clash with an ignore of the same list)
    const clash = validateTable(doc({ overlap: [{ path: 'body.items', key: 'id', min: 0.5 }], ignore: ['items'] }));
    expect((clash as { errors: string[] }).errors.join()).to.include('is also in shadow.ignore');
  });
});

describe('ignore paths, compare options and fallbacks in the reports @integration', () => {
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade;
  let n = 0;

  beforeEach(async () => {
    legacy = await startStandIn((req, res) => json(res, 200, { error: { id: `e${++n}`, code: 'X' }, data: [1, 2] }));
    svc = await startStandIn((req, res) => (req.url!.startsWith('/api/broken') ? json(res, 503, { down: true }) : json(res, 200, { error: { id: `s${++n}`, code: 'X' }, data: [1, 2] })));
    f = await startTestFacade(table(legacy.url, svc.url, [
      // written exactly as the noise report prints the noisy path, plus a typo
      { id: 'errors.get', methods: ['GET'], path: '/api/errors', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { noiseSample: 1, ignore: ['body.error.id', 'body.eror.code'] } },
      { id: 'broken.get', methods: ['GET'], path: '/api/broken', legacy: 'legacy', service: 'svc', mode: 'service' },
    ]));
  });
  afterEach(async () => {
    await f.stop();
    await legacy.close();
    await svc.close();
  });

  it('a body.x ignore path copied from the noise report takes effect; one that never matches is reported', async () => {
    const requests = Math.ceil(DEFAULT_UNUSED_IGNORE_AFTER / 2);
    for (let i = 0; i < requests; i++) await send(f.url + '/api/errors');
    await waitFor(() => {
      const s = f.stats.peek('errors.get')!;
      return s.noise.matched + s.noise.mismatched + s.shadow.matched + s.shadow.mismatched === requests * 2;
    }, { what: 'comparisons' });
    const s = f.stats.peek('errors.get')!;
    expect(s.noise.mismatched, 'body.error.id must be ignored').to.equal(0);
    expect(s.shadow.mismatched).to.equal(0);
    const noise = await admin(f, '/routes/errors.get/noise');
    expect(noise.json().noisyPaths).to.deep.equal([]);
    expect(noise.json().ignore.unused).to.deep.equal(['body.eror.code']);
    const show = await admin(f, '/routes/errors.get');
    expect(show.json().compare.ignore).to.deep.equal(['body.error.id', 'body.eror.code']);
    expect(show.json().compare.ignoreUse.paths).to.deep.equal([
      { path: 'body.error.id', matched: requests * 2, compared: requests * 2 },
      { path: 'body.eror.code', matched: 0, compared: requests * 2 },
    ]);
    const text = await cli(f, ['route', 'show', 'errors.get']);
    expect(text.stdout).to.include('compare   ignore body.error.id, body.eror.code; unordered -; headers content-type');
    expect(text.stdout).to.include(`WARNING   ignore paths that matched nothing in ${requests * 2} compared answers`);
    const noiseText = await cli(f, ['noise', 'errors.get']);
    expect(noiseText.stdout).to.include('WARNING ignore paths that matched nothing').and.include('body.eror.code');
  });

  it('fallback traffic by reason shows in status and routes (route fallbacks and fallback rules)', async () => {
    expect((await send(f.url + '/api/broken')).status).to.equal(200); // the service's 503 → legacy answers
    expect((await send(f.url + '/api/unrouted')).status).to.equal(200); // the /api fallback rule
    const status = await admin(f, '/status');
    expect(status.json().fallbacks).to.deep.equal({ total: 1, byReason: { 'status-5xx': 1 }, refused: {}, rules: [{ id: 'fallback:/api', upstream: 'legacy', requests: 1 }] });
    const st = await cli(f, ['status']);
    expect(st.stdout).to.include('fallbacks to legacy: 1 (status-5xx 1)').and.include('fallback rule fallback:/api → legacy: 1 requests');
    const routes = await cli(f, ['routes']);
    expect(routes.stdout).to.match(/broken\.get .*1 \(status-5xx 1\)/);
    expect(routes.stdout).to.include('fallback:/api → legacy: 1 requests');
  });
});
