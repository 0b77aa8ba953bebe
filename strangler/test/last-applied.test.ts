import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAST_APPLIED_FILE, LastAppliedStore, lastAppliedPathFor } from '../sources/last-applied.ts';

describe('strangler last applied table file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strangler-last-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('lives next to the audit file', () => {
    expect(lastAppliedPathFor('/var/lib/strangler/audit.jsonl')).to.equal(`/var/lib/strangler/${LAST_APPLIED_FILE}`);
  });

  it('is null when absent, keeps the newest of many concurrent writes, and leaves no temp file', async () => {
    const store = new LastAppliedStore(join(dir, 'sub', LAST_APPLIED_FILE));
    expect(await store.read()).to.equal(null);
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.write({ version: i + 1 })));
    expect(await store.read()).to.deep.equal({ version: 50 });
    expect(JSON.parse(await readFile(store.path, 'utf8'))).to.deep.equal({ version: 50 });
    expect(await readdir(join(dir, 'sub'))).to.deep.equal([LAST_APPLIED_FILE]);
  });

  it('reports an unreadable file instead of guessing', async () => {
    const path = join(dir, LAST_APPLIED_FILE);
    await writeFile(path, '{"version": 3, "upst');
    await new LastAppliedStore(path).read().then(() => expect.fail('should throw'), (err: Error) => expect(err.message).to.match(/not valid JSON/));
  });
});
