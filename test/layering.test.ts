/**
 * The directions between all layers are stated in .dependency-cruiser.cjs and checked by test/depcruise.test.ts
 * (`npm run check:layers` prints them). This file keeps the toolkit's finer rule for its own tests: which demo
 * fixtures they may use, each with its reason.
 *
 * Layering: the toolkit (strangler/, scripts/split/, lib/) must never depend on the demo, or the npm packages
 * (packages/, docs in README "Install the toolkit into your own project") would drag the demo along or break.
 *
 * Rules, over every relative import of every .ts file in the toolkit folders (parsed by packages/imports.ts:
 * `import … from`, `import '…'`, `export … from`, `import('…')`, `require('…')`):
 * - toolkit code (not a test) may import only from strangler/, scripts/split/ and lib/ (plus npm packages and
 *   node builtins): an allowlist, so scripts/soak, test/ or examples/ are refused as well as the demo;
 * - test code (a file under a `test/` folder or named *.test.ts) may also import the repository's test helpers
 *   and other tooling, but not the demo folders (legacy/, services/, thrift/, migrations/, scripts/demo/,
 *   scripts/seed/) except for the fixtures listed in TEST_EXCEPTIONS, each with its reason. An exception that is no
 *   longer used fails the test, so the list cannot go stale.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importSpecifiers, isRelative } from '../packages/imports.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TOOLKIT_DIRS = ['strangler/', 'scripts/split/', 'lib/'];
export const DEMO_DIRS = ['legacy/', 'services/', 'thrift/', 'migrations/', 'scripts/demo/', 'scripts/seed/'];

/** `importer -> imported` (repo-relative) pairs a test may keep, and why. */
const TEST_EXCEPTIONS: Record<string, string> = {
  'scripts/split/test/verify-corrupt.test.ts -> migrations/legacy/010_service_ownership.ts': 'fixture: the demo registry schema the corruption cases start from',
  'lib/test/json-app.test.ts -> legacy/http/app.ts': 'checks that the demo monolith serves errors through the shared lib/json-app',
  'lib/test/json-app.test.ts -> services/common/http-edge.ts': 'checks that the demo services serve errors through the shared lib/json-app',
};

const posix = (p: string): string => p.split(sep).join('/');
export const isTestFile = (rel: string): boolean => /(^|\/)test\//.test(rel) || rel.endsWith('.test.ts');

/** The rule for one import; null when allowed. `importer` and `target` are repo-relative, posix. */
export function layeringViolation(importer: string, target: string): string | null {
  if (isTestFile(importer)) {
    return DEMO_DIRS.some((d) => target.startsWith(d)) && TEST_EXCEPTIONS[`${importer} -> ${target}`] === undefined
      ? `${importer} -> ${target} (a test of the toolkit imports the demo)` : null;
  }
  return TOOLKIT_DIRS.some((d) => target.startsWith(d)) ? null : `${importer} -> ${target} (toolkit code may import only ${TOOLKIT_DIRS.join(', ')})`;
}

function toolkitFiles(): string[] {
  return TOOLKIT_DIRS.flatMap((top) => readdirSync(join(ROOT, top), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.parentPath.includes('node_modules'))
    .map((d) => posix(relative(ROOT, join(d.parentPath, d.name)))));
}

function edges(): Array<{ importer: string; target: string }> {
  const out: Array<{ importer: string; target: string }> = [];
  for (const importer of toolkitFiles()) {
    for (const spec of importSpecifiers(readFileSync(join(ROOT, importer), 'utf8'))) {
      if (isRelative(spec)) out.push({ importer, target: posix(relative(ROOT, resolve(ROOT, dirname(importer), spec))) });
    }
  }
  return out;
}

describe('layering: the toolkit never imports the demo', function () {
  it('the import parser sees every import form and ignores comments', function () {
    const text = [
      "import { a,\n  type B } from './multi.ts';",
      "import type { C } from '../types.ts';",
      "import './side-effect.ts';",
      "export * from \"./star.ts\";",
      "export { d as e } from './named.ts';",
      "const m = await import('../../legacy/dyn.ts');",
      "const r = require('knex/lib/logger.js');",
      "// import { x } from '../../services/commented.ts';",
      "/* export * from '../../thrift/block.ts'; */",
      "const s = 'import nothing from here';",
    ].join('\n');
    expect(importSpecifiers(text)).to.deep.equal([
      './multi.ts', '../types.ts', './side-effect.ts', './star.ts', './named.ts', '../../legacy/dyn.ts', 'knex/lib/logger.js',
    ]);
  });

  it('the rule refuses demo and non-toolkit imports from toolkit code, and demo imports from tests', function () {
    expect(layeringViolation('strangler/facade.ts', 'lib/logger.ts')).to.equal(null);
    expect(layeringViolation('scripts/split/lib/plan.ts', 'legacy/db.ts')).to.match(/toolkit code may import only/);
    expect(layeringViolation('lib/seam/seam.ts', 'services/common/http-edge.ts')).to.match(/toolkit code/);
    expect(layeringViolation('strangler/engine.ts', 'scripts/soak/report.ts')).to.match(/toolkit code/);
    expect(layeringViolation('strangler/engine.ts', 'test/helpers/wait.ts')).to.match(/toolkit code/);
    expect(layeringViolation('strangler/test/proxy.test.ts', 'test/helpers/wait.ts')).to.equal(null);
    expect(layeringViolation('strangler/test/proxy.test.ts', 'thrift/gen-nodejs/x.js')).to.match(/imports the demo/);
    expect(layeringViolation('scripts/split/test/x.test.ts', 'migrations/split_keys/001.ts')).to.match(/imports the demo/);
    expect(layeringViolation('lib/test/json-app.test.ts', 'legacy/http/app.ts')).to.equal(null); // listed exception
  });

  it('no toolkit file imports outside the layering rules', function () {
    const all = edges();
    expect(all.length, 'imports found (the walk must see the toolkit)').to.be.greaterThan(200);
    expect(all.map((e) => layeringViolation(e.importer, e.target)).filter((v) => v !== null)).to.deep.equal([]);
  });

  it('every listed test exception is still used', function () {
    const used = new Set(edges().map((e) => `${e.importer} -> ${e.target}`));
    expect(Object.keys(TEST_EXCEPTIONS).filter((k) => !used.has(k))).to.deep.equal([]);
  });
});
