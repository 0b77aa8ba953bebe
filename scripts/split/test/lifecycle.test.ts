import { expect } from 'chai';
import { backlog, triggerModes } from '../lib/capture.ts';
import { closeContext, movingShapes, type SplitContext } from '../lib/context.ts';
import { cutoverCommand, rollbackCommand, startCommand, verifyCommand } from '../lib/commands.ts';
import { start } from '../lib/start.ts';
import { compareAll, createPair, modelDifferences, productContext, productVersions, seedCatalog, Writer, type Pair } from './helpers.ts';

for (const copyMode of ['sql', 'stream'] as const) {
  describe(`split-db lifecycle under concurrent writers (${copyMode} copy) @integration`, function () {
    this.timeout(60_000);
    let pair: Pair;
    let ctx: SplitContext;
    let writer: Writer;

    before(async () => {
      pair = await createPair(`life_${copyMode}`);
      await seedCatalog(pair.source.knex, 1500);
      // the stream run verifies with 3 chunks in flight (200-row chunks: 8 for products) while the writer keeps
      // writing, so the shared catch-up and the per-chunk snapshots are exercised under real changes
      ctx = productContext(pair, copyMode === 'stream' ? { copyMode, verifyWorkers: 3, verifyChunk: 200 } : { copyMode });
      writer = new Writer(pair.source.dsn, pair.targetDsn, 1500);
    });
    after(async () => {
      await writer.stop().catch(() => undefined);
      await closeContext(ctx);
      await pair.drop();
    });

    it('start → verify → cutover → writes on the service DB → rollback: 0 differences, nothing lost', async () => {
      await writer.start(2, 1);
      await writer.more(30);
      const r = await start(ctx);
      expect(r.state.phase).to.equal('copied');
      expect(Object.values(r.state.tables).every((t) => t.done)).to.equal(true);
      await writer.more(50);

      const v = await verifyCommand(ctx, {});
      expect(v.differences, JSON.stringify(v.differences.slice(0, 5))).to.deep.equal([]);
      expect(v.ok).to.equal(true);
      if (copyMode === 'stream') expect(v.tables.products.chunks).to.be.at.least(7);

      await writer.more(30);
      const c = await cutoverCommand(ctx);
      if ('dryRun' in c || 'abandoned' in c) throw new Error('unexpected result');
      expect(c.owner).to.equal('service');
      expect(c.freezeMs).to.be.lessThan(5000);
      const shapes = await movingShapes(ctx);
      expect(Object.values(await triggerModes(ctx.source, 'product', shapes.values()))).to.deep.equal(['fence', 'fence', 'fence']);
      expect(Object.values(await triggerModes(ctx.target, 'product', shapes.values()))).to.deep.equal(['capture', 'capture', 'capture']);

      // the application now writes to the service's database
      const onTargetBefore = writer.onTarget;
      await writer.more(80);
      expect(writer.onTarget).to.be.greaterThan(onTargetBefore);
      await writer.stop();
      expect(writer.errors, writer.errors.join('\n')).to.deep.equal([]);

      // every successful write is on the target: ids and versions match the writer's model
      expect(modelDifferences(writer.model, await productVersions(pair.target, pair.targetName))).to.deep.equal([]);
      expect(await backlog(ctx.target, 'product')).to.be.greaterThan(0);

      // verify while cut over compares in the reverse direction
      const rv = await verifyCommand(ctx, { restart: true });
      expect(rv.direction).to.equal('reverse');
      expect(rv.ok).to.equal(true);

      const rb = await rollbackCommand(ctx);
      if ('dryRun' in rb || 'abandoned' in rb) throw new Error('unexpected result');
      expect(rb.owner).to.equal('legacy');
      expect(await compareAll(pair.source.knex, pair.source.name, pair.target, pair.targetName)).to.deep.equal([]);
      expect(modelDifferences(writer.model, await productVersions(pair.source.knex, pair.source.name))).to.deep.equal([]);
      const fv = await verifyCommand(ctx, { restart: true });
      expect(fv.direction).to.equal('forward');
      expect(fv.ok).to.equal(true);
      expect(writer.fenced, 'some writes hit the fence and were retried').to.be.at.least(0);
    });

    it('a second cutover after the rollback works, and start --dry-run changes nothing', async () => {
      const dry = await startCommand({ ...ctx, dryRun: true }, {});
      expect('dryRun' in dry).to.equal(true);
      const c = await cutoverCommand(ctx);
      if ('dryRun' in c || 'abandoned' in c) throw new Error('unexpected result');
      expect(c.owner).to.equal('service');
      expect(await compareAll(pair.source.knex, pair.source.name, pair.target, pair.targetName)).to.deep.equal([]);
    });
  });
}
