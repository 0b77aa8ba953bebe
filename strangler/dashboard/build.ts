/**
 * Bundles the dashboard's page (preact + htm + uPlot and strangler/dashboard/web/*) into web/dist/app.js and
 * app.css with esbuild. The bundle is committed, so a fresh clone (and the installed package) serves it without a
 * build step; `npm run dashboard:build` rewrites it and test/bundle.test.ts fails while it is out of date.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ENTRY = join(HERE, 'web', 'main.ts');
export const DIST = join(HERE, 'web', 'dist');

/** The bundle's two files, built in memory (deterministic for one esbuild version). */
export async function buildBundle(): Promise<{ js: string; css: string }> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [ENTRY], bundle: true, format: 'esm', target: 'es2022', minify: true, write: false, legalComments: 'eof',
    platform: 'browser', logLevel: 'silent', charset: 'utf8',
  });
  const js = new TextDecoder().decode(out.outputFiles[0].contents);
  const uplotCss = await readFile(join(HERE, '..', '..', 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), 'utf8');
  const own = await readFile(join(HERE, 'web', 'style.css'), 'utf8');
  return { js, css: `${uplotCss.trim()}\n${own}` };
}

export async function writeBundle(): Promise<void> {
  const b = await buildBundle();
  await mkdir(DIST, { recursive: true });
  await writeFile(join(DIST, 'app.js'), b.js);
  await writeFile(join(DIST, 'app.css'), b.css);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeBundle().then(() => console.log(`dashboard bundle written to ${DIST}`), (err) => {
    console.error(`dashboard build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
