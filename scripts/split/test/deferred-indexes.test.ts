import { expect } from 'chai';
import type { Knex } from '../../../lib/db.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { Writable } from 'node:stream';
import { createLogger } from '../../../lib/logger.ts';
import { closeContext } from '../lib/context.ts';
import { definitionLines } from '../lib/deferred-indexes.ts';
import { start } from '../lib/start.ts';
import type { SplitState } from '../lib/state.ts';
import { compareAll, createPair, modelDifferences, productContext, productVersions, runCli, seedCatalog, Writer, type CliResult, type Pair } from './helpers.ts';

/**
 * Deferred secondary indexes (deferred-indexes.ts) under kill -9: the stream
 * copy drops the target's non-unique secondary indexes before the first chunk
 * and adds them back in one online ALTER after the last. Killed right after
 * the drop (before the state says so), while the ALTER runs (the server goes
 * on with it) and right after it (before the state says so), a resumed start
 * ends with the target's exact definition — the keys a fresh `product`
 * migration creates — and the rows equal to the source's, while an
 * application writer keeps writing. verify and cutover refuse while indexes
 * are pending.
 */
const KEY_LINE = /^(PRIMARY |UNIQUE |FULLTEXT |SPATIAL )?KEY /;

async function keyLines(k: Knex, db: string, table: string): Promise<string[]> {
  const [[row]] = await k.raw(`SHOW CREATE TABLE \`${db}\`.\`${table}\``);
  return definitionLines(String(row['Create Table'])).filter((l) => KEY_LINE.test(l));
}

async function savedState(pair: Pair): Promise<SplitState> {
  const [[doc]] = await pair.source.knex.raw("SELECT doc FROM _split_state WHERE service = 'product'");
  return JSON.parse(doc.doc) as SplitState;
}

describe('split-db copy with deferred secondary indexes, killed around the drop and the re-add @integration', function () {
  this.timeout(180_000);
  let ref: TestDatabase;
  before(async () => {
    // the exact keys the target must end with: a fresh product migration's
    ref = await createTestDatabase('dxref', ['product'], 'move');
  });
  after(async () => {
    await ref?.drop();
  });

  function killed(r: CliResult, point: string): void {
    expect(r.signal, `${point}: expected SIGKILL, got code ${r.code}: ${r.stderr}`).to.equal('SIGKILL');
  }

  // both copy paths defer by default (--defer-indexes auto): the stream copy and the server-side one
  for (const mode of ['stream', 'sql'] as const) it(`${mode} copy: kill after the drop, during the ALTER and after it: verify/cutover refuse meanwhile; resumed, the target has its exact keys and the source's rows`, async () => {
    const pair = await createPair(`defer_${mode}`);
    const writer = new Writer(pair.source.dsn, pair.targetDsn, 600, 'd');
    try {
      await seedCatalog(pair.source.knex, 600);
      await writer.start(2, 2);
      const args = (cmd: string) => [cmd, 'product', '--manifest', pair.manifestPath, '--copy-mode', mode, '--chunk-size', '100', '--min-chunk', '50', '--max-chunk', '100',
        '--max-threads-running', '0', '--json'];
      const want = await keyLines(ref.knex, ref.name, 'products');
      expect(want.filter((l) => /^KEY `ix_products_(created|price|popularity|status_)/.test(l)).length, 'the migration has deferrable keys').to.be.greaterThan(3);

      // 1. killed between the drop and the save of step "dropped": the state says "planned", the keys are gone
      killed(await runCli(args('start'), { SPLIT_FAULT: 'indexes-dropped' }), 'indexes-dropped');
      let st = await savedState(pair);
      expect(st.tables.products.indexes?.step).to.equal('planned');
      const deferred = st.tables.products.indexes!.indexes.map((i) => i.name);
      expect(deferred).to.include.members(['ix_products_created', 'ix_products_price', 'ix_products_status_price']);
      expect(deferred, 'the key fk_products_category needs stays').to.not.include('ix_products_category');
      const during = await keyLines(pair.target, pair.targetName, 'products');
      expect(during.some((l) => l.includes('`ix_products_price`')), 'dropped on the target').to.equal(false);
      expect(during.some((l) => l.includes('`ix_products_category`'))).to.equal(true);

      // verify and cutover refuse while keys are pending, and status names them
      await writer.more(10);
      const v = await runCli(args('verify'));
      expect(v.code, v.stdout + v.stderr).to.not.equal(0);
      expect(v.stderr).to.match(/not added back yet/);
      const c = await runCli(args('cutover'));
      expect(c.code).to.not.equal(0);
      expect(c.stderr).to.match(/not added back yet/);
      const s = await runCli(args('status'));
      expect(JSON.parse(s.stdout).pendingIndexes[0]).to.deep.include({ table: 'products', step: 'planned' });

      // 2. killed once the re-add ALTER is sent (the server finishes it on its own), 3. killed after it, before the save
      await writer.more(10);
      killed(await runCli(args('start'), { SPLIT_FAULT: 'indexes-readding' }), 'indexes-readding');
      st = await savedState(pair);
      expect(st.phase).to.equal('copying');
      expect(st.tables.products.indexes?.step).to.equal('dropped');
      await writer.more(10);
      killed(await runCli(args('start'), { SPLIT_FAULT: 'indexes-readded' }), 'indexes-readded');
      expect((await savedState(pair)).phase).to.equal('copying');

      // 4. resumed to the end
      await writer.more(10);
      const done = await runCli(args('start'));
      expect(done.code, done.stderr).to.equal(0);
      st = await savedState(pair);
      expect(st.phase).to.equal('copied');
      expect(Object.values(st.tables).map((t) => t.indexes?.step ?? 'none')).to.not.include.members(['planned', 'dropped']);
      for (const t of ['categories', 'products', 'product_images']) expect(await keyLines(pair.target, pair.targetName, t), t).to.deep.equal(await keyLines(ref.knex, ref.name, t));
      expect(st.history.map((h) => h.event)).to.include.members(['indexes deferred', 'indexes restored']);

      await writer.stop();
      expect(writer.errors, writer.errors.join('\n')).to.deep.equal([]);
      const fin = await runCli(args('start'));
      expect(fin.code, fin.stderr).to.equal(0);
      expect(await compareAll(pair.source.knex, pair.source.name, pair.target, pair.targetName)).to.deep.equal([]);
      expect(modelDifferences(writer.model, await productVersions(pair.target, pair.targetName))).to.deep.equal([]);
      const ver = await runCli(args('verify'));
      expect(ver.code, ver.stderr).to.equal(0);
      expect(JSON.parse(ver.stdout).ok).to.equal(true);
    } finally {
      await writer.stop().catch(() => undefined);
      await pair.drop();
    }
  });

  it('a table\'s indexes start coming back as soon as its copy is done, while the next table is copied; the keys and rows end exact', async () => {
    const pair = await createPair('dearly');
    // the order of what happens: the log lines and the chunk commits, as they come
    const seen: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          const j = JSON.parse(line) as { msg: string; table?: string };
          if (j.msg.startsWith('adding the deferred secondary indexes back')) seen.push(`alter ${j.table}`);
        }
        cb();
      },
    });
    const ctx = productContext(pair, { copyMode: 'stream', chunkSize: 100, minChunk: 50, maxChunk: 100 }, {
      log: createLogger('dearly', { level: 'info', destination: sink }),
      faults: { hit(p) { if (p === 'chunk-committed') seen.push('chunk'); } },
    });
    try {
      await seedCatalog(pair.source.knex, 600);
      const [[{ n }]] = await pair.source.knex.raw('SELECT COUNT(*) AS n FROM product_images');
      expect(Number(n), 'images to copy after the products: several chunks').to.be.greaterThan(250);
      const r = await start(ctx);
      expect(r.state.phase).to.equal('copied');
      await new Promise((res) => setImmediate(res)); // the logger's last lines
      const at = seen.indexOf('alter products');
      expect(at, seen.join(' ')).to.be.greaterThan(0);
      // product_images (copied after products) has chunks committed while the products ALTER runs
      expect(seen.slice(at + 1).filter((x) => x === 'chunk').length, seen.join(' ')).to.be.greaterThan(1);
      expect(r.state.tables.products.indexes?.step).to.equal('restored');
      for (const t of ['categories', 'products', 'product_images']) expect(await keyLines(pair.target, pair.targetName, t), t).to.deep.equal(await keyLines(ref.knex, ref.name, t));
      expect(await compareAll(pair.source.knex, pair.source.name, pair.target, pair.targetName)).to.deep.equal([]);
    } finally {
      await closeContext(ctx);
      await pair.drop();
    }
  });

  it('--defer-indexes off copies into the full definition and records no deferral', async () => {
    const pair = await createPair('nodefer');
    try {
      await seedCatalog(pair.source.knex, 200);
      const r = await runCli(['start', 'product', '--manifest', pair.manifestPath, '--copy-mode', 'stream', '--defer-indexes', 'off', '--max-threads-running', '0', '--json']);
      expect(r.code, r.stderr).to.equal(0);
      const st = await savedState(pair);
      expect(Object.values(st.tables).map((t) => t.indexes)).to.deep.equal([undefined, undefined, undefined]);
      expect(await keyLines(pair.target, pair.targetName, 'products')).to.deep.equal(await keyLines(ref.knex, ref.name, 'products'));
    } finally {
      await pair.drop();
    }
  });
});
