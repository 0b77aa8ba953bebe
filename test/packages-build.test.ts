/**
 * The package build's checks (packages/build.ts, packages/imports.ts) on small fixtures: the compiled import graph
 * (runtime imports vs type-only ones) and the dependency comparison that fails `npm run build:packages`.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { dependencyProblems } from '../packages/build.ts';
import { packageName, walkImports } from '../packages/imports.ts';

describe('package build: compiled import graph and dependency check', function () {
  let dir: string;
  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'pkg-graph-'));
    const files: Record<string, string> = {
      'bin/cli.js': "#!/usr/bin/env node\nimport { Command } from 'commander';\nimport { run } from '../lib/run.js';\nimport { readFile } from 'node:fs/promises';\n",
      'bin/cli.d.ts': 'export {};\n',
      'lib/run.js': "import pino from 'pino';\nexport const run = () => import('./lazy.js');\n",
      'lib/run.d.ts': "import type { Opts } from './types.ts';\nimport type { Knex } from 'knex';\nexport declare const run: (o?: Opts, k?: Knex) => Promise<unknown>;\n",
      'lib/lazy.js': "import { z } from 'zod/v4';\nimport '@scope/side/effect.js';\n",
      'lib/lazy.d.ts': 'export {};\n',
      'lib/types.js': 'export {};\n',
      'lib/types.d.ts': 'export interface Opts { a: number }\n',
      'lib/unused.js': "import express from 'express';\n",
    };
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows runtime and dynamic imports and, with declarations, type-only files; npm packages only from .js', function () {
    const g = walkImports([join(dir, 'bin/cli.js')], { withDeclarations: true });
    expect([...g.files].map((f) => relative(dir, f)).sort()).to.deep.equal([
      'bin/cli.d.ts', 'bin/cli.js', 'lib/lazy.d.ts', 'lib/lazy.js', 'lib/run.d.ts', 'lib/run.js', 'lib/types.d.ts',
    ]);
    expect([...g.packages.keys()].sort()).to.deep.equal(['@scope/side', 'commander', 'pino', 'zod']); // not knex (types), not express (unreached), not node:fs
    expect(packageName('@a/b/c.js')).to.equal('@a/b');
  });

  it('reports a missing, an unused and a mismatched dependency; none when they agree', function () {
    const imported = walkImports([join(dir, 'bin/cli.js')]).packages;
    const root = { commander: '^14.0.3', pino: '^10.4.0', zod: '^4.6.7', '@scope/side': '^1.0.0', express: '^5.3.0' };
    const { express: _e, ...exact } = root;
    expect(dependencyProblems('p', imported, exact, root, dir)).to.deep.equal([]);
    expect(dependencyProblems('p', imported, { ...exact, zod: '^3.0.0', express: '^5.3.0' }, root, dir)).to.deep.equal([
      'p: dependency zod is ^3.0.0, the root package.json has ^4.6.7',
      'p: lists express in dependencies but its code never imports it',
    ]);
    const { pino: _p, ...noPino } = exact;
    expect(dependencyProblems('p', imported, noPino, root, dir)).to.deep.equal(['p: imports pino (lib/run.js) but does not list it in dependencies']);
    // knex loads its driver by name: mysql2 may be listed when knex is imported, and only then
    const withKnex = new Map([...imported, ['knex', new Set([join(dir, 'lib/run.js')])]]);
    expect(dependencyProblems('p', withKnex, { ...exact, knex: '^3.3.0', mysql2: '^3.24.6' }, root, dir)).to.deep.equal([]);
    expect(dependencyProblems('p', imported, { ...exact, mysql2: '^3.24.6' }, root, dir)).to.deep.equal(['p: lists mysql2 in dependencies but its code never imports it']);
  });
});
