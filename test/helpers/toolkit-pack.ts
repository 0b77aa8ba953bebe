/**
 * The toolkit as an adopter gets it: `npm run build:packages` (once per test process), `npm pack` of each package
 * into a folder, and `npm install <tarballs>` into a project outside this repository — offline from the npm cache,
 * falling back to --prefer-offline when something is not cached (e.g. after a bare `npm ci`, which caches tarballs
 * but not the registry documents a range needs). Shared by test/system/packages.test.ts and
 * test/system/example-e2e.test.ts.
 *
 * Node: the bins start with `#!/usr/bin/env node`. The machine's own `node` on PATH is used when it is ≥ 22;
 * otherwise the directory of the node running the test (Node 24 from the `node` devDependency under `npx mocha`)
 * is put first on PATH for the installed project.
 */
import { spawnSync } from 'node:child_process';
import { dirname, delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const TOOLKIT_PACKAGES = ['facade', 'split-db', 'seam'] as const;

export interface RunResult { status: number | null; stdout: string; stderr: string }

export function runSync(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): RunResult {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function machineNodeMajor(path: string): number {
  const r = spawnSync('node', ['--version'], { encoding: 'utf8', env: { PATH: path } });
  const m = /^v(\d+)\./.exec(r.stdout ?? '');
  return m ? Number(m[1]) : 0;
}

/**
 * The adopter's shell: none of this repository's settings, nor the npm_* variables and node_modules/.bin entries
 * that `npm test` / `npx mocha` add (this repository's bins must not leak into the project).
 */
export function adopterEnv(): NodeJS.ProcessEnv {
  const cleanPath = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '' && !/node_modules[\\/]\.bin$/.test(d)).join(delimiter);
  const path = machineNodeMajor(cleanPath) >= 22 ? cleanPath : `${dirname(process.execPath)}${delimiter}${cleanPath}`;
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(STRANGLER_|SPLIT_|npm_)/i.test(k)) delete env[k];
  Object.assign(env, { PATH: path, npm_config_update_notifier: 'false', NODE_ENV: 'development' });
  return env;
}

let built: RunResult | undefined;

/** `node packages/build.ts` once per process; throws with its stderr when it fails. */
export function buildPackagesOnce(): void {
  built ??= runSync(process.execPath, [join(REPO_ROOT, 'packages/build.ts')], { cwd: REPO_ROOT, timeoutMs: 180_000 });
  if (built.status !== 0) throw new Error(`build:packages failed:\n${built.stderr}`);
}

/** Builds (once) and packs the three packages into `dest`; returns the tarballs' paths. */
export function packToolkit(dest: string, env: NodeJS.ProcessEnv): string[] {
  buildPackagesOnce();
  return TOOLKIT_PACKAGES.map((p) => {
    // the build above already ran: skip each package's prepack (which would rebuild it)
    const r = runSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: join(REPO_ROOT, 'packages', p), env });
    if (r.status !== 0) throw new Error(`npm pack ${p}: ${r.stderr}`);
    return join(dest, (JSON.parse(r.stdout) as Array<{ filename: string }>)[0]!.filename);
  });
}

/** `npm install` in `project` (offline first); returns which way it went, for the test title. */
export function installOffline(project: string, args: string[], env: NodeJS.ProcessEnv): string {
  let install = runSync('npm', ['install', '--offline', '--no-audit', '--no-fund', ...args], { cwd: project, env, timeoutMs: 120_000 });
  if (install.status === 0) return 'offline';
  const note = `prefer-offline (offline failed: ${install.stderr.split('\n').find((l) => /npm error (code|404|notarget)/i.test(l)) ?? install.stderr.slice(0, 200)})`;
  install = runSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...args], { cwd: project, env, timeoutMs: 180_000 });
  if (install.status !== 0) throw new Error(`npm install: ${install.stderr}`);
  return note;
}
