import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../test/helpers/wait.ts';
import { FileSource } from '../sources/file.ts';
import { VersionConflict } from '../sources/types.ts';

describe('strangler file route source @integration', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strangler-src-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads YAML, sees replaced files (debounced), and writes guarded by the version', async () => {
    const path = join(dir, 'routes.yaml');
    await writeFile(path, 'version: 4\nupstreams:\n  l: { url: "http://127.0.0.1:1" }\nroutes: []\n');
    const seen: unknown[] = [];
    const src = new FileSource(path, { debounceMs: 20 });
    const doc = await src.start((d) => seen.push(d));
    expect(doc).to.deep.equal({ version: 4, upstreams: { l: { url: 'http://127.0.0.1:1' } }, routes: [] });
    await writeFile(path, 'version: 5\nupstreams: {}\nroutes: []\n');
    await waitFor(() => seen.length === 1, { what: 'change seen' });
    expect((seen[0] as { version: number }).version).to.equal(5);
    let conflict: unknown;
    try {
      await src.write({ version: 6, upstreams: {}, routes: [] }, 4);
    } catch (err) {
      conflict = err;
    }
    expect(conflict).to.be.instanceOf(VersionConflict);
    await src.write({ version: 6, upstreams: {}, routes: [] }, 5);
    expect(await readFile(path, 'utf8')).to.match(/^version: 6/);
    expect(src.status()).to.include({ kind: 'file', healthy: true });
    await src.close();
  });
});
