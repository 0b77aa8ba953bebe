import { expect } from 'chai';
import { createKnex, type Knex } from '../../../lib/db.ts';
import { closeContext } from '../lib/context.ts';
import { cutoverCommand, rollbackCommand, startCommand } from '../lib/commands.ts';
import { createFaults } from '../lib/faults.ts';
import { FREEZE_MARGIN_MS } from '../lib/freeze.ts';
import { createPair, productContext, seedCatalog, type Pair } from './helpers.ts';
import { StallMeter } from './stall.ts';

const ABORT_MS = 1500;
/** Scheduling slack of this test process on a loaded 2-core machine (not part of the tool's bound). */
const TEST_SLACK_MS = 400;

describe('split-db write freeze is bounded in every path (#4) @integration', function () {
  this.timeout(60_000);
  let pair: Pair;

  before(async () => {
    pair = await createPair('frz');
    await seedCatalog(pair.source.knex, 300);
    const ctx = productContext(pair);
    try {
      await startCommand(ctx, {});
      // an aborted first cutover leaves the target with its (fenced) capture triggers
      const c = productContext(pair, {}, { faults: createFaults(undefined, 'cutover-before-flip') });
      try {
        await cutoverCommand(c, { force: true, reason: 'freeze test: the verify gate is not under test' }).then(() => expect.fail('the injected failure should abort'), (e) => expect(e.code).to.equal('CUTOVER_ABORTED'));
      } finally {
        await closeContext(c);
      }
    } finally {
      await closeContext(ctx);
    }
  });
  after(async () => {
    await pair.drop();
  });

  async function owner(k: Knex): Promise<string> {
    const [[r]] = await k.raw("SELECT `database` AS d FROM service_ownership WHERE domain = 'product'");
    return r.d;
  }

  /** A writer that follows the ownership registry when the fence rejects it, timestamping every write. */
  function appWriter(src: Knex, dst: Knex, reg: Knex): StallMeter {
    let side: 'legacy' | 'own' = 'legacy';
    return new StallMeter(async (i) => {
      const k = side === 'own' ? dst : src;
      try {
        await k.raw('UPDATE products SET view_count = view_count + 1 WHERE id = ?', [10 + (i % 200)]);
      } catch (err) {
        if ((err as { errno?: number }).errno === 1644) side = (await owner(reg)) as 'legacy' | 'own';
        throw err;
      }
    });
  }

  it('a target session that hit the fence and keeps its transaction open cannot stretch the freeze past the abort limit', async () => {
    const src = createKnex(pair.source.dsn, { pool: { min: 1, max: 1 } });
    const dst = createKnex(pair.targetDsn, { pool: { min: 1, max: 1 } });
    const reg = createKnex(pair.source.dsn, { pool: { min: 1, max: 1 } });
    const holderKnex = createKnex(pair.targetDsn, { pool: { min: 1, max: 1 } });
    const holder = await holderKnex.transaction();
    // the application's stale session writes the fenced target, gets the fence error, and keeps its transaction
    let fencedErr: { errno?: number } | undefined;
    await holder.raw("UPDATE products SET name = 'stale writer' WHERE id = 3").catch((e) => (fencedErr = e));
    expect(fencedErr?.errno).to.equal(1644);
    const meter = appWriter(src, dst, reg);
    meter.start();
    // on the old code the flip waits as long as that transaction stays open: end it after 6 s
    const release = setTimeout(() => void holder.rollback().catch(() => undefined), 6000);
    const ctx = productContext(pair, { freezeAbortMs: ABORT_MS });
    let err: { code?: string; message?: string } | undefined;
    let t = 0;
    try {
      await new Promise((r) => setTimeout(r, 200)); // some writes before the freeze, so the gap is measured from a success
      t = performance.now();
      await cutoverCommand(ctx, { force: true, reason: 'freeze test: the verify gate is not under test' }).catch((e) => (err = e));
      t = performance.now() - t;
      // and some writes after it, so the gap closes
      const n = meter.ok;
      const deadline = Date.now() + 10_000;
      while (meter.ok < n + 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      clearTimeout(release);
      await holder.rollback().catch(() => undefined);
      await meter.stop();
      await closeContext(ctx);
      await Promise.all([src.destroy(), dst.destroy(), reg.destroy(), holderKnex.destroy()]);
    }
    if (process.env.SPLIT_TEST_TIMING) console.log(`  gap ${Math.round(meter.maxGapMs)} ms, cutover ${Math.round(t)} ms, ${err?.message ?? "flipped"}`);
    const bound = ABORT_MS + FREEZE_MARGIN_MS + TEST_SLACK_MS;
    expect(meter.maxGapMs, `the application could not write for ${Math.round(meter.maxGapMs)} ms (cutover took ${Math.round(t)} ms: ${err?.message ?? 'flipped'})`).to.be.lessThan(bound);
    if (err) {
      // aborted: writes resumed on the source, nothing flipped, the target is still fenced
      expect(err.code, err.message).to.equal('CUTOVER_ABORTED');
      expect(err.message).to.match(/abort limit of 1500 ms/);
      expect(await owner(pair.source.knex)).to.equal('legacy');
      const [[f]] = await pair.target.raw('SELECT fenced FROM _split_product_fence');
      expect(Number(f.fenced)).to.equal(1);
      const [[g]] = await pair.source.knex.raw('SELECT fenced FROM _split_product_fence');
      expect(Number(g.fenced)).to.equal(0);
    } else {
      expect(await owner(pair.source.knex)).to.equal('own');
    }
  });

  it('a session holding the ownership registry row cannot stretch the freeze either: the committed fence is lowered again', async () => {
    // the test above may have flipped (within the bound): start this one from the copied phase
    const pre = productContext(pair);
    try {
      if ((await pre.store.load('product'))?.phase === 'cutover') await rollbackCommand(pre);
    } finally {
      await closeContext(pre);
    }
    const src = createKnex(pair.source.dsn, { pool: { min: 1, max: 1 } });
    const dst = createKnex(pair.targetDsn, { pool: { min: 1, max: 1 } });
    const reg = createKnex(pair.source.dsn, { pool: { min: 1, max: 1 } });
    const holderKnex = createKnex(pair.source.dsn, { pool: { min: 1, max: 1 } });
    const holder = await holderKnex.transaction();
    await holder.raw("SELECT * FROM service_ownership WHERE domain = 'product' FOR UPDATE");
    const meter = appWriter(src, dst, reg);
    meter.start();
    const release = setTimeout(() => void holder.rollback().catch(() => undefined), 6000);
    const ctx = productContext(pair, { freezeAbortMs: ABORT_MS });
    let err: { code?: string; message?: string } | undefined;
    try {
      await new Promise((r) => setTimeout(r, 200));
      await cutoverCommand(ctx, { force: true, reason: 'freeze test: the verify gate is not under test' }).catch((e) => (err = e));
      const n = meter.ok;
      const deadline = Date.now() + 10_000;
      while (meter.ok < n + 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      clearTimeout(release);
      await holder.rollback().catch(() => undefined);
      await meter.stop();
      await closeContext(ctx);
      await Promise.all([src.destroy(), dst.destroy(), reg.destroy(), holderKnex.destroy()]);
    }
    if (process.env.SPLIT_TEST_TIMING) console.log(`  gap ${Math.round(meter.maxGapMs)} ms, ${err?.message ?? 'flipped'}`);
    expect(meter.maxGapMs, `the application could not write for ${Math.round(meter.maxGapMs)} ms (${err?.message ?? 'flipped'})`).to.be.lessThan(ABORT_MS + FREEZE_MARGIN_MS + TEST_SLACK_MS);
    if (err) {
      expect(err.code, err.message).to.equal('CUTOVER_ABORTED');
      expect(await owner(pair.source.knex)).to.equal('legacy');
      const [[f]] = await pair.target.raw('SELECT fenced FROM _split_product_fence');
      expect(Number(f.fenced), 'the target was fenced again').to.equal(1);
      const [[g]] = await pair.source.knex.raw('SELECT fenced FROM _split_product_fence');
      expect(Number(g.fenced)).to.equal(0);
    }
  });
});
