/**
 * `npm run thrift:gen`: regenerates thrift/gen-nodejs from thrift/*.thrift with
 * Debian's thrift-compiler (0.17). `js:node,ts,es6` is the only 0.17 output that
 * runs on the npm `thrift` 0.24 runtime (the default output needs thrift.Q, which
 * the runtime removed). The output is committed so a fresh clone needs no compiler.
 * Next to the code, `--gen json` writes each IDL file's types as `<file>.json`:
 * rpc/idl-schema.ts reads them to encode replies without the generated copy.
 *
 *   node thrift/generate.ts            regenerate into thrift/gen-nodejs
 *   node thrift/generate.ts --out DIR  generate into DIR (the staleness test uses this)
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const THRIFT_DIR = dirname(fileURLToPath(import.meta.url));
export const GEN_DIR = join(THRIFT_DIR, 'gen-nodejs');
export const GENERATOR = 'js:node,ts,es6';
export const SCHEMA_GENERATOR = 'json';
const GEN_PACKAGE_JSON = '{\n  "type": "commonjs"\n}\n';

/** The thrift binary to use (THRIFT_BIN overrides), or null when none is installed. */
export async function findCompiler(): Promise<{ bin: string; version: string } | null> {
  const bin = process.env.THRIFT_BIN || 'thrift';
  try {
    const { stdout } = await run(bin, ['--version']);
    return { bin, version: stdout.trim() };
  } catch {
    return null;
  }
}

export async function idlFiles(): Promise<string[]> {
  return (await readdir(THRIFT_DIR)).filter((f) => f.endsWith('.thrift')).sort().map((f) => join(THRIFT_DIR, f));
}

/** Generates every IDL file into `outDir` (emptied first) and marks it CommonJS. */
export async function generate(outDir: string, bin = 'thrift'): Promise<string[]> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const files = await idlFiles();
  for (const f of files) {
    try {
      await run(bin, ['--gen', GENERATOR, '-out', outDir, f]);
      await run(bin, ['--gen', SCHEMA_GENERATOR, '-out', outDir, f]);
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`thrift failed on ${f}: ${(e.stderr || e.message).trim()}`);
    }
  }
  await writeFile(join(outDir, 'package.json'), GEN_PACKAGE_JSON);
  return (await readdir(outDir)).sort();
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? resolve(process.argv[i + 1] ?? '') : GEN_DIR;
  const compiler = await findCompiler();
  if (!compiler) {
    console.error('thrift:gen: no `thrift` compiler found (apt-get install -y thrift-compiler, or set THRIFT_BIN)');
    process.exit(2);
  }
  const written = await generate(out, compiler.bin);
  console.log(`thrift:gen: ${compiler.version}, ${GENERATOR} -> ${out} (${written.length} files)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`thrift:gen: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
