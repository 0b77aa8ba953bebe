import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { EmbeddedBackend, IndexLockedError } from '../backends/embedded.ts';
import { BackendUnavailableError, type SearchRequest } from '../backends/types.ts';
import { fixtureDocuments } from './fixtures.ts';

const WRITER = new URL('./embedded-writer.ts', import.meta.url).pathname;

const req = (q: string): SearchRequest => ({ q, filters: {}, sort: 'relevance', offset: 0, limit: 20 });

describe('embedded search backend: restart, lock, compaction', function () {
  let dir: string;
  const open: EmbeddedBackend[] = [];
  const start = async () => {
    const b = new EmbeddedBackend({ dir });
    await b.init();
    open.push(b);
    return b;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'search-embedded-'));
  });
  afterEach(async () => {
    for (const b of open.splice(0)) await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the index survives a restart: documents, versions, tombstones and removed shops', async () => {
    const a = await start();
    await a.upsert(fixtureDocuments());
    const base = fixtureDocuments().find((d) => d.id === 19)!;
    await a.upsert([{ ...base, version: 4, name: '트위드 자켓 재입고' }]);
    await a.remove(1, 9);
    await a.removeByShop(4);
    const before = { count: await a.count(), dress: (await a.search(req('원피스'))).hits.map((h) => h.id) };
    await a.close();

    const b = await start();
    expect(await b.count()).to.equal(before.count);
    expect((await b.search(req('원피스'))).hits.map((h) => h.id)).to.deep.equal(before.dress);
    expect((await b.search(req('재입고'))).hits.map((h) => h.id)).to.deep.equal([19]);
    expect(await b.search(req('nike'))).to.deep.equal({ total: 0, hits: [] });
    // the version guard reads the file: an older version stays stale after the restart, the tombstone too
    expect(await b.upsert([{ ...base, version: 3 }])).to.deep.include({ applied: 0, stale: 1 });
    expect(await b.upsert([{ ...fixtureDocuments()[0], version: 9 }])).to.deep.include({ applied: 0, stale: 1 });
    expect(await b.get(1)).to.equal(null);
  });

  it('starts from the snapshot and replays what was written after it, also after kill -9', async () => {
    const child = spawn(process.execPath, [WRITER, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('written')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await exited;
    const b = await start();
    expect(b.lastLoad).to.include({ from: 'snapshot', replayed: 2 });
    expect((await b.search(req('킬테스트'))).hits.map((h) => h.id)).to.deep.equal([19]);
    expect(await b.get(1)).to.equal(null);
    expect((await b.search(req('원피스'))).hits.map((h) => h.id)).to.not.include(1);
    expect(await b.count()).to.equal(fixtureDocuments().filter((d) => d.id !== 1).length);
  });

  it('a damaged or foreign snapshot is not used: the index loads from the file, answers unchanged', async () => {
    const a = await start();
    await a.upsert(fixtureDocuments());
    const expected = (await a.search(req('원피스'))).hits.map((h) => h.id);
    await a.close(); // writes a snapshot
    writeFileSync(a.snapshotPath!, 'SRCHIDX1 damaged');
    const b = await start();
    expect(b.lastLoad.from).to.equal('file');
    expect(b.lastLoad.snapshotError).to.be.a('string');
    expect((await b.search(req('원피스'))).hits.map((h) => h.id)).to.deep.equal(expected);
    await b.close();
    // a snapshot of another index file (same directory layout, different SQLite file) is ignored
    const other = mkdtempSync(join(tmpdir(), 'search-embedded-other-'));
    try {
      const c = new EmbeddedBackend({ dir: other });
      await c.init();
      await c.upsert(fixtureDocuments().slice(0, 2));
      await c.close();
      const { copyFileSync } = await import('node:fs');
      copyFileSync(c.snapshotPath!, b.snapshotPath!);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    const d = await start();
    expect(d.lastLoad).to.include({ from: 'file', snapshotError: 'snapshot of another index file' });
    expect((await d.search(req('원피스'))).hits.map((h) => h.id)).to.deep.equal(expected);
  });

  it('one process per index: a second open fails with a clear error, the first keeps serving', async () => {
    const a = await start();
    await a.upsert(fixtureDocuments().slice(0, 3));
    const second = new EmbeddedBackend({ dir });
    let err: unknown;
    try {
      await second.init();
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(IndexLockedError);
    expect((err as Error).message).to.match(/in use by another process/);
    expect((await a.search(req('원피스'))).total).to.be.above(0);
  });

  it('a closed backend reports unavailable (the edge maps it to 503)', async () => {
    const a = await start();
    await a.close();
    let err: unknown;
    try {
      await a.search(req('원피스'));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(BackendUnavailableError);
  });

  it('text changes get new postings, attribute-only changes update in place; compaction keeps answers equal', async () => {
    const a = await start();
    const docs = fixtureDocuments();
    await a.upsert(docs);
    // price/popularity only: same ordinals
    await a.upsert(docs.map((d) => ({ ...d, version: d.version + 1, popularityScore: d.popularityScore + 1 })));
    const st1 = a.stats();
    expect(st1.ordinals).to.equal(docs.length);
    expect((await a.search({ ...req('니트'), sort: 'popularity' })).hits[0].doc.popularityScore).to.equal(91);
    // text changes: every document moves to a new ordinal, the old ones are dead
    await a.upsert(docs.map((d) => ({ ...d, version: d.version + 2, name: `${d.name} 신상` })));
    const queries = ['원피스', '신상', 'dress', '니트 가디건', '옷'];
    // document frequencies count dead ordinals until compaction (as Lucene counts deleted documents until a merge),
    // so scores may move; the matches and totals may not
    const answers = async () => Promise.all(queries.map(async (q) => {
      const r = await a.search({ ...req(q), limit: 100 });
      return { total: r.total, ids: r.hits.map((h) => h.id).sort((x, y) => x - y) };
    }));
    expect(a.stats().ordinals).to.equal(2 * docs.length);
    const before = await answers();
    expect(a.compactIfNeeded()).to.equal(true);
    expect(await answers()).to.deep.equal(before);
    expect(a.stats()).to.include({ documents: st1.documents, ordinals: docs.length });
    expect((await a.search(req('원피스 신상'))).total).to.be.above(0);
  });
});
