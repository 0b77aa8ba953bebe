/**
 * @integration The toolkit installs into an adopter's project: build:packages, `npm pack` of each package,
 * a fresh `npm init -y` project that installs the three tarballs (offline from the npm cache, falling back to
 * --prefer-offline when something is not cached — e.g. after a bare `npm ci`, which caches tarballs but not the
 * registry documents a range needs; the test title says which one ran), then the installed bins and modules are used the way an
 * adopter would: `npx strangler --help`, `npx split-db --help`, `import('@strangler-fig/seam')`, and a facade
 * started with `npx strangler-facade --routes routes.json` proxying a request to a tiny upstream.
 *
 * Node: the bins start with `#!/usr/bin/env node`. The machine's own `node` on PATH is used when it is ≥ 22;
 * otherwise the directory of the node running this test (Node 24 from the `node` devDependency under
 * `npx mocha`) is put first on PATH for the installed project.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importSpecifiers, isRelative } from '../../packages/imports.ts';
import { waitFor } from '../helpers/wait.ts';
import { adopterEnv, installOffline, packToolkit, runSync, TOOLKIT_PACKAGES } from '../helpers/toolkit-pack.ts';

const PACKAGES = TOOLKIT_PACKAGES;
const DEMO_DIRS = ['legacy', 'services', 'thrift', 'migrations'];
const run = runSync;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

describe('toolkit npm packages installed into a fresh project @integration', function () {
  this.timeout(120_000);
  let work: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  let installNote = 'offline';

  before(function () {
    work = mkdtempSync(join(tmpdir(), 'strangler-packages-'));
    project = join(work, 'adopter');
    env = adopterEnv();
    const tarballs = packToolkit(work, env);
    mkdirSync(project);
    expect(run('npm', ['init', '-y'], { cwd: project, env }).status).to.equal(0);
    installNote = installOffline(project, tarballs, env);
  });

  after(function () {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('installs the three packages (dependencies from the npm cache) with their dist only', function () {
    this.test!.title += ` [install: ${installNote}]`;
    for (const p of PACKAGES) {
      const dir = join(project, 'node_modules/@strangler-fig', p);
      expect(existsSync(join(dir, 'package.json')), p).to.equal(true);
      const shipped = readdirSync(dir).sort();
      expect(shipped.filter((f) => f !== 'README.md'), p).to.deep.equal(['dist', 'package.json']);
      const sources = filesUnder(join(dir, 'dist')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
      expect(sources, `${p} ships TypeScript sources Node would refuse to strip inside node_modules`).to.deep.equal([]);
    }
  });

  it('npx strangler --help and npx split-db --help exit 0 with their usage', function () {
    const s = run('npx', ['--no-install', 'strangler', '--help'], { cwd: project, env });
    expect(s.status, s.stderr).to.equal(0);
    expect(s.stdout).to.match(/^Usage: strangler /m);
    const d = run('npx', ['--no-install', 'split-db', '--help'], { cwd: project, env });
    expect(d.status, d.stderr).to.equal(0);
    expect(d.stdout).to.match(/^Usage: split-db /m);
    // installed, the default manifest is the adopter's working directory, not a file of this repository
    expect(d.stdout).to.include('split-manifest.json');
    const f = run('npx', ['--no-install', 'strangler-facade', '--help'], { cwd: project, env });
    expect(f.status, f.stderr).to.equal(0);
    expect(f.stdout).to.match(/^Usage: strangler-facade /m);
  });

  it('split-db without a manifest: exit 2 (usage) and one line naming ./split-manifest.json, no stack', function () {
    const r = run('npx', ['--no-install', 'split-db', 'plan', 'orders'], { cwd: project, env: { ...env, SPLIT_REDIS: 'off' } });
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'))).to.deep.equal([
      `split-db: cannot read manifest ${join(realpathSync(project), 'split-manifest.json')}: ENOENT`,
    ]);
  });

  it('@strangler-fig/seam: createSeam and the ownership registry import and work', function () {
    const script = `
      const [s, o] = await Promise.all([import('@strangler-fig/seam'), import('@strangler-fig/seam/ownership')]);
      const fake = (tag) => Object.assign(() => tag, { raw() {}, transaction() {}, tag });
      const legacy = fake('legacy');
      const registry = new o.MemoryOwnershipRegistry({}, { domains: ['orders'] });
      const seam = s.createSeam({ registry, connections: { legacy, orders: () => fake('own') } });
      const rec = await registry.get('orders');
      console.log(JSON.stringify({ owner: rec.owner, knex: seam.knex('orders').tag, handler: typeof s.seamErrorHandler }));
      await seam.close();`;
    const r = run('node', ['--input-type=module', '-e', script], { cwd: project, env });
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout.trim())).to.deep.equal({ owner: 'legacy', knex: 'legacy', handler: 'function' });
  });

  describe('the facade started from the installed package', function () {
    let upstream: Server;
    let facade: ChildProcess | undefined;

    before(async function () {
      upstream = createServer((req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ from: 'upstream', url: req.url }));
      });
      await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
    });

    after(async function () {
      if (facade && facade.exitCode === null) {
        const exited = new Promise((ok) => facade!.once('exit', ok));
        facade.kill('SIGTERM');
        await exited;
      }
      await new Promise((ok) => upstream.close(ok));
    });

    it('refuses to start without a route table (exit 2, one line naming STRANGLER_ROUTES)', function () {
      const r = run('npx', ['--no-install', 'strangler-facade', '--port', '0', '--admin-port', '0'], { cwd: project, env });
      expect(r.status, r.stdout + r.stderr).to.equal(2);
      expect(r.stderr).to.include('STRANGLER_ROUTES');
      expect(r.stderr.trim().split('\n')).to.have.length(1);
    });

    it('npx strangler-facade --routes routes.json proxies a request; state lands in ./.strangler, not node_modules', async function () {
      const port = (upstream.address() as AddressInfo).port;
      writeFileSync(join(project, 'routes.json'), JSON.stringify({
        version: 1,
        upstreams: { app: { url: `http://127.0.0.1:${port}` } },
        fallbacks: [{ prefix: '/', upstream: 'app' }],
        routes: [],
      }));
      // `npx` would stay the parent of node; the bin is spawned directly so SIGTERM reaches the facade
      const bin = join(project, 'node_modules/.bin/strangler-facade');
      facade = spawn(bin, ['--routes', 'routes.json', '--host', '127.0.0.1', '--port', '0', '--admin-port', '0'], { cwd: project, env: { ...env, LOG_LEVEL: 'info' } });
      let out = '';
      facade.stdout!.on('data', (c: Buffer) => { out += c.toString('utf8'); });
      facade.stderr!.on('data', (c: Buffer) => { out += c.toString('utf8'); });
      const listening = await waitFor<{ port: number; adminPort: number }>(() => {
        if (facade!.exitCode !== null) throw new Error(`facade exited ${facade!.exitCode}: ${out}`);
        const line = out.split('\n').find((l) => l.includes('facade listening'));
        return line ? (JSON.parse(line) as { port: number; adminPort: number }) : (undefined as never);
      }, { timeoutMs: 20_000, what: 'facade listening' });
      const res = await fetch(`http://127.0.0.1:${listening.port}/hello?x=1`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ from: 'upstream', url: '/hello?x=1' });
      expect(existsSync(join(project, '.strangler/routes.json')), 'live table in ./.strangler').to.equal(true);
      expect(filesUnder(join(project, 'node_modules/@strangler-fig/facade')).some((f) => f.includes(`${join('dist', 'strangler', 'var')}`))).to.equal(false);
      const exited = new Promise<number | null>((ok) => facade!.once('exit', (code) => ok(code)));
      facade.kill('SIGTERM');
      expect(await exited).to.equal(0);
    });
  });

  it('no installed file imports from the demo (legacy/, services/, thrift/, migrations/)', function () {
    const offenders: string[] = [];
    for (const p of PACKAGES) {
      for (const file of filesUnder(join(project, 'node_modules/@strangler-fig', p))) {
        if (!/\.(js|d\.ts)$/.test(file)) continue;
        expect(statSync(file).size).to.be.greaterThan(0);
        for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
          const parts = isRelative(spec) ? spec.split('/') : [];
          if (DEMO_DIRS.some((d) => parts.includes(d)) || /scripts\/(demo|seed)\//.test(spec)) offenders.push(`${file}: ${spec}`);
        }
      }
    }
    expect(offenders).to.deep.equal([]);
  });
});
