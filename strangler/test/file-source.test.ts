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

  it('never delivers a file read that began before its own write finished (an older table put back in force)', async () => {
    const path = join(dir, 'routes.json');
    const v = (n: number) => JSON.stringify({ version: n, upstreams: {}, routes: [] });
    await writeFile(path, v(1));
    // reads go through a gate the test opens: the watcher's read of version 2 is held until our write of 3 is done
    let holdNext = false;
    let release: (() => void) | null = null;
    let heldDone = false;
    let reads = 0;
    const src = new FileSource(path, {
      debounceMs: 10,
      readText: async (p) => {
        const text = await readFile(p, 'utf8');
        if (holdNext) {
          holdNext = false;
          await new Promise<void>((r) => (release = r));
          heldDone = true;
        }
        reads++;
        return text;
      },
    });
    const seen: number[] = [];
    await src.start((d) => seen.push((d as { version: number }).version));
    holdNext = true;
    await writeFile(path, v(2)); // an operator's edit: the watcher reads it, and that read is held
    await waitFor(() => release !== null, { what: 'the watcher reading version 2' });
    await src.write(JSON.parse(v(3)), 2); // the facade's own change, applied by its caller right after
    const readsBefore = reads;
    release!();
    // the held read returns version 2 after version 3 was written: delivered, it would put the older table back in
    // force for good (the old code did: seen [2] while the file says 3)
    await waitFor(() => heldDone, { what: 'the held read to return' });
    await waitFor(() => reads >= readsBefore + 2, { what: 'the source to read the file again' });
    expect(seen.filter((n) => n < 3), `delivered ${JSON.stringify(seen)}`).to.deep.equal([]);
    await src.close();
  });
});
