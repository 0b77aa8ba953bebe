/**
 * The repository's layers (.dependency-cruiser.cjs, read its header for the picture), checked by dependency-cruiser
 * over every source folder. A violation fails this test with the rule's name, the importer and the import.
 *
 * The rules are probed too: a scratch tree with one import breaking each rule (and some allowed ones) must give
 * exactly those violations, so a rule that stops matching (a renamed folder, a broken regex) fails here instead of
 * passing silently.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const CLI = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');
const SOURCE_DIRS = ['lib', 'rpc', 'legacy', 'services', 'strangler', 'scripts', 'packages', 'test', 'thrift', 'migrations', 'examples'];

interface Violation { from: string; to: string; rule: { name: string; severity: string } }

/** Runs depcruise (exit code 1 just means violations) and returns its violations. */
async function cruise(cwd: string, dirs: string[]): Promise<{ violations: Violation[]; modules: number }> {
  const run = promisify(execFile);
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [CLI, '--config', CONFIG, '--output-type', 'json', ...dirs], { cwd, maxBuffer: 256 * 1024 * 1024 }));
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    if (!e.stdout) throw new Error(`depcruise failed: ${e.stderr || e.message}`);
    stdout = e.stdout;
  }
  const out = JSON.parse(stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  return { violations: out.summary.violations, modules: out.summary.totalCruised };
}

const describeViolation = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.to}`;

describe('layering: dependency-cruiser rules (.dependency-cruiser.cjs)', function () {
  this.timeout(120_000);

  it('the repository breaks no rule', async function () {
    const { violations, modules } = await cruise(ROOT, SOURCE_DIRS);
    expect(modules, 'modules cruised (the run must see the sources)').to.be.greaterThan(400);
    expect(violations.map(describeViolation), 'layering violations (rule: importer → import)').to.deep.equal([]);
  });

  it('each rule fires on a scratch tree that breaks it, and allowed imports pass', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'depcruise-probe-'));
    try {
      const files: Record<string, string> = {
        'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', allowImportingTsExtensions: true, noEmit: true } }),
        'lib/db.ts': 'export const db = 1;\n',
        'lib/contract/shape.ts': "import { db } from '../db.ts';\nexport const shape = db;\n",
        'lib/contract/ok.ts': "import { x } from '../errors.ts';\nexport const ok = x;\n",
        'lib/errors.ts': 'export const x = 1;\n',
        'lib/bottom.ts': "import { r } from '../rpc/client.ts';\nexport const b = r;\n",
        'rpc/client.ts': "import { a } from '../legacy/a.ts';\nexport const r = a;\n",
        'rpc/ok.ts': "import { ok } from '../lib/contract/ok.ts';\nexport const r2 = ok;\n",
        'legacy/a.ts': "import { s } from '../services/s.ts';\nexport const a = s;\n",
        'legacy/top.ts': "import { h } from '../test/helpers/h.ts';\nexport const t = h;\n",
        'legacy/ok.ts': "import { r2 } from '../rpc/ok.ts';\nimport { ok } from '../lib/contract/ok.ts';\nexport const o = [r2, ok];\n",
        'services/s.ts': "import { o } from '../legacy/ok.ts';\nexport const s = o;\n",
        'services/ok.ts': "import { r2 } from '../rpc/ok.ts';\nexport const so = r2;\n",
        'services/x/test/cross.test.ts': "import { a } from '../../../legacy/a.ts';\nexport const c = a;\n",
        'strangler/engine.ts': "import { r2 } from '../rpc/ok.ts';\nexport const e = r2;\n",
        'strangler/shapes.ts': "import { ok } from '../lib/contract/ok.ts';\nexport const sh = ok;\n",
        'test/helpers/h.ts': "import { a } from '../../legacy/a.ts';\nexport const h = a;\n",
      };
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      const { violations } = await cruise(dir, ['lib', 'rpc', 'legacy', 'services', 'strangler', 'test']);
      expect(violations.map(describeViolation).sort()).to.deep.equal([
        'contract-is-neutral: lib/contract/shape.ts → lib/db.ts',
        'legacy-not-services: legacy/a.ts → services/s.ts',
        'lib-is-the-bottom: lib/bottom.ts → rpc/client.ts',
        'rpc-knows-neither-side: rpc/client.ts → legacy/a.ts',
        'scripts-and-tests-on-top: legacy/top.ts → test/helpers/h.ts',
        'services-not-legacy: services/s.ts → legacy/ok.ts',
        'toolkit-knows-no-demo: lib/bottom.ts → rpc/client.ts',
        'toolkit-knows-no-demo: strangler/engine.ts → rpc/ok.ts',
        'toolkit-knows-no-demo: strangler/shapes.ts → lib/contract/ok.ts',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
