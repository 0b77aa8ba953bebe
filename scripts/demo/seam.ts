/**
 * Can legacy code keep working after a table moves? Only when legacy reaches
 * that data through the ownership registry (the anti-corruption seam: legacy
 * models → Thrift client of the owning service once ownership flips). Without
 * it, a cutover fences legacy's direct writes and legacy reads go stale. This
 * looks for the seam in legacy's non-test sources. Pure matcher + a walker.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

const OWNERSHIP_IMPORT = /from\s+['"][^'"]*lib\/ownership[^'"]*['"]/;

/** Files (repo-relative) among `files` that import the ownership registry. Pure. */
export function seamFiles(files: ReadonlyArray<{ path: string; text: string }>): string[] {
  return files.filter((f) => OWNERSHIP_IMPORT.test(f.text)).map((f) => f.path);
}

export async function legacySources(repoRoot: string): Promise<Array<{ path: string; text: string }>> {
  const out: Array<{ path: string; text: string }> = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'test' && e.name !== 'node_modules') await walk(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push({ path: relative(repoRoot, p), text: await readFile(p, 'utf8') });
    }
  };
  await walk(join(repoRoot, 'legacy'));
  return out;
}
