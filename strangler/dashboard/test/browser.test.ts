/**
 * The control room in a real browser (playwright-core driving Debian's Chromium) against a real stack started here:
 * the facade in-process, real legacy and service HTTP servers, a real MariaDB split driven by the split-db CLI.
 * Screenshots of each page go to docs/screenshots/ (README links them); STRANGLER_SCREENSHOTS_DIR overrides.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { waitFor } from '../../../test/helpers/wait.ts';
import { createPair, runCli, seedCatalog, type CliResult, type Pair } from '../../../scripts/split/test/helpers.ts';
import { admin, json, send, startStandIn, startTestFacade, table, TEST_TOKEN, type StandIn, type TestFacade } from '../../test/helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SHOTS = resolve(ROOT, process.env.STRANGLER_SCREENSHOTS_DIR ?? 'docs/screenshots');
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('dashboard in a real browser @integration', function () {
  this.timeout(120_000);
  let legacy: StandIn;
  let svc: StandIn;
  let evil: StandIn;
  let f: TestFacade;
  let pair: Pair;
  let ctx: BrowserContext;
  let page: Page;
  let profile: string;
  let split: Promise<CliResult> | undefined;
  const serviceMismatch = { on: false };
  const consoleErrors: string[] = [];
  let seq = 0;

  const routes = (legacyUrl: string, serviceUrl: string) => table(legacyUrl, serviceUrl, [
    { id: 'products.list', methods: ['GET'], path: '/api/products', legacy: 'legacy', service: 'svc', shadow: { sample: 1, noiseSample: 1, ignore: ['servedAt'] } },
    { id: 'products.get', methods: ['GET'], path: '/api/products/:id', legacy: 'legacy', service: 'svc', mode: 'service' },
    { id: 'shops.list', methods: ['GET'], path: '/api/shops', legacy: 'legacy', service: 'svc', mode: 'canary', percent: 10 },
    { id: 'me.get', methods: ['GET'], path: '/api/me', legacy: 'legacy' },
  ]);

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run does)`);
      this.skip();
    }
    const product = () => ({ id: 7, name: 'Linen shirt', price: 100, tags: ['summer', 'linen'] });
    legacy = await startStandIn((_req, res) => json(res, 200, { ...product(), servedAt: ++seq }));
    svc = await startStandIn((_req, res) => json(res, 200, { ...product(), ...(serviceMismatch.on ? { price: 120 } : {}), servedAt: 0 }));
    evil = await startStandIn((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(evilPage(f.adminUrl));
    });
    pair = await createPair('dash');
    await seedCatalog(pair.source.knex, 3000);
    f = await startTestFacade(routes(legacy.url, svc.url), { config: { splitStateDsns: [pair.source.dsn], ownership: { dsn: pair.source.dsn, pollMs: 500 } } });
    await mkdir(SHOTS, { recursive: true });
    profile = await mkdtemp(join(tmpdir(), 'strangler-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS], viewport: { width: 1280, height: 900 } });
    page = ctx.pages()[0] ?? await ctx.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  });

  after(async function () {
    await ctx?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await split?.catch(() => undefined);
    await f?.stop();
    await pair?.drop();
    if (pair) await rm(dirname(pair.manifestPath), { recursive: true, force: true }); // createPair's manifest folder
    await Promise.all([legacy?.close(), svc?.close(), evil?.close()]);
  });

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const traffic = async (n: number, path = '/api/products') => {
    for (let i = 0; i < n; i++) expect((await send(f.url + path)).status).to.equal(200);
  };

  it('logs in once with the admin token (session cookie, no token kept by the page)', async function () {
    await page.goto(`${f.adminUrl}/dashboard/`);
    await page.getByLabel('Admin token').waitFor();
    await shot('login');
    await page.getByLabel('Admin token').fill(TEST_TOKEN);
    await page.getByLabel('Your name (shown in the audit log)').fill('tester');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const cookies = await ctx.cookies(f.adminUrl);
    const session = cookies.find((c) => c.name === 'strangler_session')!;
    expect(session).to.deep.include({ httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate('document.cookie')).to.equal('');
    expect(await page.evaluate('JSON.stringify(localStorage) + JSON.stringify(sessionStorage)')).to.not.include(TEST_TOKEN);
  });

  it('the overview lists every route with its mode, grouped per service', async function () {
    await traffic(3);
    await traffic(3, '/api/products/7');
    for (const r of f.controller.table.routes) {
      await page.locator(`tr[data-route="${r.id}"] [data-mode="${r.mode}"]`).waitFor({ timeout: 10_000 });
    }
    expect(await page.locator('tr[data-route]').count()).to.equal(f.controller.table.routes.length);
    expect(await page.locator('tr[data-route="shops.list"] .mode').innerText()).to.equal('canary 10 %');
    await page.getByRole('heading', { name: /^svc/ }).waitFor();
    await page.getByRole('heading', { name: /^legacy only/ }).waitFor();
    // live figures: p50/p99 of both sides appear (the sampler reads the counters every second)
    await page.locator('tr[data-route="products.get"] td', { hasText: / ms \/ / }).first().waitFor({ timeout: 10_000 });
    await page.locator('tr[data-route="products.list"] td', { hasText: / ms \/ / }).first().waitFor({ timeout: 10_000 });
    await shot('overview');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('overview-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('puts a route in shadow from the page; traffic makes the match rate rise', async function () {
    await page.getByRole('link', { name: 'products.list' }).click();
    await page.getByRole('heading', { name: /Route products\.list/ }).waitFor();
    expect(await page.getByTestId('match-rate').innerText()).to.equal('—');
    await page.getByRole('button', { name: 'Put in shadow' }).click();
    await page.getByLabel('Reason (for the audit log)').fill('compare the catalog service');
    await page.getByRole('button', { name: 'Confirm: Put in shadow' }).click();
    await page.locator('[data-testid="route-mode"][data-mode="shadow"]').waitFor();
    expect(f.controller.table.routes.find((r) => r.id === 'products.list')!.mode).to.equal('shadow');
    await traffic(20);
    await waitFor(async () => (await page.getByTestId('match-rate').innerText()) === '100.0 %', { what: 'match rate 100 %', timeoutMs: 15_000, intervalMs: 200 });
    // every request got its copy: none skipped at the route's in-flight cap
    expect(await page.getByTestId('shadow-skipped').innerText()).to.equal('0');
    const audit = (await admin(f, '/audit?route=products.list')).json().entries;
    expect(audit.at(-1)).to.deep.include({ who: 'dashboard:tester', action: 'set', reason: 'compare the catalog service' });
  });

  it('a deliberate mismatch shows in the side-by-side diff with the differing path highlighted', async function () {
    serviceMismatch.on = true;
    await traffic(5);
    await waitFor(async () => (await page.getByTestId('match-rate').innerText()) !== '100.0 %', { what: 'match rate falls', timeoutMs: 15_000, intervalMs: 200 });
    const real = page.locator('tr[data-path="body.price"]');
    await real.waitFor({ timeout: 15_000 });
    expect(await real.getAttribute('data-kind')).to.equal('real');
    expect(await real.innerText()).to.include('100').and.include('120');
    const ignored = page.locator('tr[data-path="body.servedAt"]');
    expect(await ignored.getAttribute('data-kind')).to.equal('ignored');
    const bg = (sel: string) => page.evaluate(`getComputedStyle(document.querySelector('${sel}')).backgroundColor`);
    expect(await bg('tr[data-path="body.price"]')).to.not.equal(await bg('tr[data-path="body.servedAt"]'));
    expect(await page.locator('tr[data-kind="same"]').count()).to.equal(0);
    await page.getByLabel('show unchanged paths').check();
    expect(await page.locator('tr[data-kind="same"]').count()).to.be.greaterThan(0);
    expect(await page.locator('tr[data-path="body.price"] code.rule').innerText()).to.equal('body.price');
    serviceMismatch.on = false;
    await page.locator('.chart-box canvas').first().waitFor();
    await shot('route');
  });

  it('canary N % from the page', async function () {
    await page.getByRole('button', { name: 'Canary…' }).click();
    await page.getByLabel('Share of users sent to the service (%)').fill('25');
    await page.getByLabel('Reason (for the audit log)').fill('first users');
    await page.getByRole('button', { name: 'Confirm: Canary' }).click();
    await page.locator('[data-testid="route-mode"][data-mode="canary"]').waitFor();
    expect(await page.getByTestId('route-mode').innerText()).to.equal('canary 25 %');
    expect(f.controller.table.routes.find((r) => r.id === 'products.list')).to.deep.include({ mode: 'canary', percent: 25 });
  });

  it('rollback from the page (keyboard only) changes the live route table and appears in the audit', async function () {
    await page.getByRole('button', { name: 'Roll back to legacy' }).focus();
    await page.keyboard.press('Enter');
    const reason = page.getByLabel('Reason (for the audit log)');
    await reason.waitFor();
    // Escape closes the confirmation without a change; Enter opens it again
    await page.keyboard.press('Escape');
    await reason.waitFor({ state: 'detached' });
    expect(f.controller.table.routes.find((r) => r.id === 'products.list')!.mode).to.equal('canary');
    await page.getByRole('button', { name: 'Roll back to legacy' }).focus();
    await page.keyboard.press('Enter');
    await reason.focus();
    await page.keyboard.type('price differs; investigate');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).to.equal('Confirm: Roll back to legacy');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="route-mode"][data-mode="legacy"]').waitFor();
    expect(f.controller.table.routes.find((r) => r.id === 'products.list')!.mode).to.equal('legacy');
    const onDisk = JSON.parse(await readFile(f.routesFile, 'utf8'));
    expect(onDisk.routes.find((r: { id: string }) => r.id === 'products.list').mode).to.equal('legacy');
    const before = svc.hits.length;
    await traffic(3);
    expect(svc.hits.length).to.equal(before);
    const audit = (await admin(f, '/audit?route=products.list')).json().entries;
    expect(audit.at(-1)).to.deep.include({ who: 'dashboard:tester', action: 'rollback', reason: 'price differs; investigate' });
    expect(audit.at(-1).from).to.deep.equal({ mode: 'canary', percent: 25 });
    await page.getByRole('listitem').filter({ hasText: 'price differs; investigate' }).first().waitFor();
  });

  it('a change that leaves the service short of shadow connections is made, and the page says so in the warning colour', async function () {
    const spec = f.controller.table.upstreams.svc;
    // one shadow connection: the route's 32 GET copies need 2 (16 pipelined on each)
    expect((await admin(f, '/upstreams/svc', { method: 'PUT', body: { ...spec, shadowPool: 1 } })).status).to.equal(200);
    try {
      await page.getByRole('button', { name: 'Put in shadow' }).click();
      await page.getByLabel('Reason (for the audit log)').fill('compare again');
      await page.getByRole('button', { name: 'Confirm: Put in shadow' }).click();
      await page.locator('[data-testid="route-mode"][data-mode="shadow"]').waitFor();
      const line = page.locator('.actions [role="status"] p.warn-text');
      await line.waitFor();
      expect(await line.innerText()).to.match(/^Put in shadow: done \(compare again\)\. Warning: upstream svc: its shadow routes \(products\.list\) may have 32 copies in flight, needing 2 shadow connections, but shadowPool is 1;/);
      expect(await page.evaluate('getComputedStyle(document.querySelector(".actions [role=status] p")).color')).to.not.equal(
        await page.evaluate('getComputedStyle(document.querySelector("[data-testid=route-mode]")).color'));
    } finally {
      await admin(f, '/upstreams/svc', { method: 'PUT', body: spec });
      await admin(f, '/routes/products.list/rollback', { method: 'POST', body: { reason: 'end of the warning test' } });
    }
    expect(f.controller.advice).to.deep.equal([]);
  });

  it('a split started from the CLI shows its progress moving on the data page, with the audit timeline', async function () {
    split = runCli(['--manifest', pair.manifestPath, 'start', 'product', '--max-rows-per-second', '600', '--chunk-size', '50', '--min-chunk', '20', '--max-chunk', '100', '--copy-workers', '1']);
    await page.getByRole('link', { name: 'Data' }).click();
    await page.getByRole('heading', { name: 'Data', level: 1 }).waitFor();
    const rows = async () => Number((await page.getByTestId('rows-copied').first().innerText()).replace(/\D/g, '') || 0);
    const first: number = await waitFor(async () => {
      const n = await page.getByTestId('rows-copied').count() ? await rows() : 0;
      return n > 0 ? n : 0;
    }, { what: 'copy started', timeoutMs: 30_000, intervalMs: 200 });
    await waitFor(async () => (await rows()) > first, { what: `rows copied beyond ${first}`, timeoutMs: 30_000, intervalMs: 200 });
    await page.locator('[data-split="product"]').getByText(/\d rows\/s/).first().waitFor();
    await page.getByRole('rowheader', { name: 'product', exact: true }).waitFor();
    await page.getByTestId('timeline').getByText('price differs; investigate').waitFor();
    await shot('data');
    const done = await split;
    expect(done.code, done.stderr).to.equal(0);
    await waitFor(async () => (await page.getByTestId('split-phase').innerText()) === 'copied', { what: 'phase copied', timeoutMs: 20_000, intervalMs: 200 });
    await page.getByTestId('timeline').getByText(/product/).first().waitFor();
    // a migration made on both sides: the next split-db command records it (this cutover, refused by the verify gate),
    // and the page says the cutover needs a verify begun after it
    expect(await page.getByTestId('verify-stale').count()).to.equal(0);
    await pair.source.knex.raw('ALTER TABLE products ADD COLUMN color VARCHAR(20) NULL');
    await pair.target.raw('ALTER TABLE products ADD COLUMN color VARCHAR(20) NULL');
    const cut = await runCli(['--manifest', pair.manifestPath, 'cutover', 'product']);
    expect(cut.code, cut.stderr).to.equal(6);
    await page.getByTestId('verify-stale').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('verify-stale').innerText()).to.match(/^stale: a moved table's definition changed .+; verify again before the cutover$/);
    await page.getByTestId('timeline').getByText(/schema changed: products: changed alike on both sides/).waitFor();
  });

  it('a page on another origin cannot trigger an action, even with the user logged in', async function () {
    let r = await admin(f, '/routes/products.list', { method: 'POST', body: { mode: 'shadow', reason: 'set up for the cross-origin check' } });
    expect(r.status).to.equal(200);
    const auditBefore = (await admin(f, '/audit?limit=1000')).json().entries.length;
    const attacker = await ctx.newPage();
    await attacker.goto(`${evil.url}/`);
    const report = await waitFor(async () => attacker.evaluate('window.report') as Promise<Record<string, string> | undefined>, { what: 'attack report', timeoutMs: 15_000 }) as Record<string, string>;
    expect(report.fetchJson).to.match(/^error/);
    expect(report.fetchSimple).to.match(/^(error|opaque)/);
    await attacker.evaluate("document.getElementById('f').submit()");
    await attacker.waitForURL(/\/routes\/products\.list\/rollback/);
    // another port on the same host is the same *site*: SameSite=Strict sends the cookie, so Sec-Fetch-Site/Origin refuse it
    expect(await attacker.content()).to.match(/FORBIDDEN|UNAUTHENTICATED/);
    await attacker.close();
    r = await admin(f, '/routes/products.list');
    expect(r.json().mode).to.equal('shadow');
    expect((await admin(f, '/audit?limit=1000')).json().entries.length).to.equal(auditBefore);
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).to.deep.equal([]);
  });
});

/** A page on another origin trying every way to roll a route back with the logged-in user's session. */
function evilPage(adminUrl: string): string {
  return `<!doctype html><html><body><h1>Totally unrelated page</h1>
<form id="f" method="POST" action="${adminUrl}/routes/products.list/rollback" enctype="text/plain"><input name='{"reason":"evil","x":"' value='"}'></form>
<script>
window.report = undefined;
(async () => {
  const out = {};
  try {
    const r = await fetch('${adminUrl}/routes/products.list/rollback', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', 'x-strangler-csrf': 'guess' }, body: '{"reason":"evil"}' });
    out.fetchJson = 'answered ' + r.status;
  } catch (e) { out.fetchJson = 'error ' + e.message; }
  try {
    const r = await fetch('${adminUrl}/routes/products.list/rollback', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{"reason":"evil"}' });
    out.fetchSimple = r.type === 'opaque' ? 'opaque (unreadable)' : 'answered ' + r.status;
  } catch (e) { out.fetchSimple = 'error ' + e.message; }
  window.report = out;
})();
</script></body></html>`;
}
