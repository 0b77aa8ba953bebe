/**
 * Builds the toolkit's npm packages (`npm run build:packages`, and each package's `prepack`) without moving
 * sources: one TypeScript compile of the toolkit entry points (tsconfig.build.json → packages/.build, the repo's
 * layout, `.ts` imports rewritten to `.js`), then for each package under packages/ the files reachable from its
 * `bin` and `exports` are copied into packages/<name>/dist. It fails (exit 1, one line per problem) when a
 * package's `dependencies` differ from the npm packages its compiled code imports at run time (or from the root
 * package.json's version range), when a file from the demo (legacy/, services/, thrift/, migrations/,
 * scripts/demo, scripts/seed) would be shipped, or when a bin lacks its shebang.
 *
 *   node packages/build.ts [package-dir-name ...]   (default: every package)
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkImports } from './imports.ts';

export const PACKAGES_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(PACKAGES_DIR, '..');
export const BUILD_DIR = join(PACKAGES_DIR, '.build');
export const TSCONFIG = join(PACKAGES_DIR, 'tsconfig.build.json');
/** Demo folders no toolkit file may come from (relative to the repository root). */
export const DEMO_PREFIXES = ['legacy/', 'services/', 'thrift/', 'migrations/', 'scripts/demo/', 'scripts/seed/'];

interface PackageJson {
  name: string;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  /** Repo-relative folders of static files the package serves (no import reaches them), copied into dist/ as they are. */
  assets?: string[];
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

export function packageDirs(): string[] {
  return readdirSync(PACKAGES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(PACKAGES_DIR, d.name, 'package.json')))
    .map((d) => d.name).sort();
}

/** `./dist/x/y.js` → packages/.build/x/y.js: the compiled files a package starts from. */
function entryFiles(pkg: PackageJson): string[] {
  const targets = [...Object.values(pkg.bin ?? {})];
  for (const v of Object.values(pkg.exports ?? {})) targets.push(...(typeof v === 'string' ? [v] : Object.values(v)));
  return targets.filter((t) => /^\.\/dist\/.*\.js$/.test(t)).map((t) => join(BUILD_DIR, t.slice('./dist/'.length)));
}

/**
 * A package's `dependencies` against the npm packages its compiled code imports (`imported`: package → importing
 * files): each import must be listed, with the root package.json's range; each listed package must be imported.
 */
/** Packages a dependency loads by name at run time (no import statement names them): driver → the package that loads it. */
const LOADED_AT_RUN_TIME: Record<string, string> = { mysql2: 'knex' };

export function dependencyProblems(name: string, imported: Map<string, Set<string>>, declared: Record<string, string>, rootDeps: Record<string, string>, base: string): string[] {
  const problems: string[] = [];
  for (const [dep, importers] of imported) {
    if (!(dep in declared)) problems.push(`${name}: imports ${dep} (${relative(base, [...importers][0] as string)}) but does not list it in dependencies`);
    else if (rootDeps[dep] !== undefined && declared[dep] !== rootDeps[dep]) problems.push(`${name}: dependency ${dep} is ${declared[dep]}, the root package.json has ${rootDeps[dep]}`);
  }
  for (const dep of Object.keys(declared)) {
    // a driver loaded by name at run time (knex requires its client package, 'mysql2' here) is imported by no file
    const loadedBy = LOADED_AT_RUN_TIME[dep];
    if (!imported.has(dep) && !(loadedBy !== undefined && imported.has(loadedBy))) problems.push(`${name}: lists ${dep} in dependencies but its code never imports it`);
  }
  return problems;
}

export function compile(): void {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', TSCONFIG], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`tsc -p ${relative(REPO_ROOT, TSCONFIG)} failed (exit ${r.status})`);
}

/** Copies one package's files into its dist/ and returns the problems found (empty: fine). */
export function assemble(dir: string, rootDeps: Record<string, string>): string[] {
  const pkgDir = join(PACKAGES_DIR, dir);
  const pkg = readJson<PackageJson>(join(pkgDir, 'package.json'));
  const problems: string[] = [];
  const entries = entryFiles(pkg);
  for (const e of entries) if (!existsSync(e)) problems.push(`${pkg.name}: ${relative(BUILD_DIR, e)} was not compiled (add its source to ${relative(REPO_ROOT, TSCONFIG)} "files")`);
  if (problems.length > 0) return problems;
  const graph = walkImports(entries, { withDeclarations: true });
  const dist = join(pkgDir, 'dist');
  rmSync(dist, { recursive: true, force: true });
  for (const file of graph.files) {
    const rel = relative(BUILD_DIR, file);
    if (DEMO_PREFIXES.some((p) => rel.startsWith(p))) problems.push(`${pkg.name}: would ship demo file ${rel}`);
    mkdirSync(dirname(join(dist, rel)), { recursive: true });
    cpSync(file, join(dist, rel));
  }
  for (const a of pkg.assets ?? []) {
    if (!existsSync(join(REPO_ROOT, a))) problems.push(`${pkg.name}: asset folder ${a} does not exist`);
    else cpSync(join(REPO_ROOT, a), join(dist, a), { recursive: true });
  }
  problems.push(...dependencyProblems(pkg.name, graph.packages, pkg.dependencies ?? {}, rootDeps, BUILD_DIR));
  for (const bin of Object.values(pkg.bin ?? {})) {
    const file = join(pkgDir, bin);
    if (!readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n')) problems.push(`${pkg.name}: bin ${bin} lacks the #!/usr/bin/env node line`);
    chmodSync(file, 0o755);
  }
  return problems;
}

export function build(names: string[]): string[] {
  const all = packageDirs();
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length > 0) return unknown.map((n) => `no package packages/${n} (have: ${all.join(', ')})`);
  compile();
  const rootDeps = readJson<{ dependencies: Record<string, string> }>(join(REPO_ROOT, 'package.json')).dependencies;
  return (names.length > 0 ? names : all).flatMap((d) => assemble(d, rootDeps));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const problems = build(process.argv.slice(2));
    for (const p of problems) process.stderr.write(`build:packages: ${p}\n`);
    process.exitCode = problems.length > 0 ? 1 : 0;
  } catch (err) {
    process.stderr.write(`build:packages: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
