/**
 * The committed page bundle (strangler/dashboard/web/dist) is what `npm run dashboard:build` makes from the sources
 * today, the browser code type-checks (its own tsconfig: DOM types), and the bundle fetches nothing from elsewhere.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle, DIST } from '../build.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('dashboard bundle', function () {
  this.timeout(90_000);

  it('the committed bundle is up to date with its sources (npm run dashboard:build)', async function () {
    const fresh = await buildBundle();
    const [js, css] = await Promise.all([readFile(join(DIST, 'app.js'), 'utf8'), readFile(join(DIST, 'app.css'), 'utf8')]);
    expect(js === fresh.js, 'web/dist/app.js is stale: run npm run dashboard:build and commit it').to.equal(true);
    expect(css === fresh.css, 'web/dist/app.css is stale: run npm run dashboard:build and commit it').to.equal(true);
  });

  it('loads nothing from another origin at run time', async function () {
    const js = await readFile(join(DIST, 'app.js'), 'utf8');
    const code = js.replace(/\/\*![\s\S]*?\*\//g, '').replace(/\/\/ .*$/gm, '');
    expect(code).to.not.match(/import\s*\(\s*["']https?:/);
    expect(code).to.not.match(/fetch\(\s*["']https?:/);
    expect(code).to.not.match(/(cdn|unpkg|jsdelivr|googleapis)\./);
  });

  it('the browser code type-checks (strangler/dashboard/web/tsconfig.json)', async function () {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const out = await new Promise<{ code: number; text: string }>((done) => {
      execFile(process.execPath, [tsc, '-p', join(ROOT, 'strangler', 'dashboard', 'web', 'tsconfig.json')], (err, stdout, stderr) => done({ code: err ? 1 : 0, text: stdout + stderr }));
    });
    expect(out.text).to.equal('');
    expect(out.code).to.equal(0);
  });
});
