import { expect } from 'chai';
import { intKeyText } from '../lib/keys.ts';
import { createKnex, ensureDatabase } from '../../../lib/db.ts';
import { migrateLatest } from '../../../lib/migrate.ts';
import { closeContext, execChecked, toolTransaction } from '../lib/context.ts';
import { cutoverCommand, planCommand, startCommand, verifyCommand } from '../lib/commands.ts';
import { createFaults } from '../lib/faults.ts';
import { resolveService } from '../lib/manifest.ts';
import { openContext } from '../lib/context.ts';
import { validateOptions } from '../lib/options.ts';
import { triggerModes } from '../lib/capture.ts';
import { movingShapes } from '../lib/context.ts';
import { createPair, modelDifferences, productContext, productVersions, seedCatalog, Writer, type Pair } from './helpers.ts';

/** These cases test the freeze, not the verify gate (verify-cutover.test.ts does): cut over with --force. */
const FREEZE_TEST = { force: true, reason: 'test of the write freeze; the verify gate is tested elsewhere' };

describe('split-db failure handling @integration', function () {
  this.timeout(60_000);
  let pair: Pair;
  let writer: Writer;

  before(async () => {
    pair = await createPair('fail');
    await seedCatalog(pair.source.knex, 400);
    writer = new Writer(pair.source.dsn, pair.targetDsn, 400, 'x');
    await writer.start(2, 2);
    const ctx = productContext(pair);
    try {
      await startCommand(ctx, {});
    } finally {
      await closeContext(ctx);
    }
  });
  after(async () => {
    await writer.stop().catch(() => undefined);
    await pair.drop();
  });

  async function owner(): Promise<string> {
    const [[r]] = await pair.source.knex.raw("SELECT owner FROM service_ownership WHERE domain = 'product'");
    return r.owner;
  }

  it('a failing cutover step leaves the application writing to the source with no flip', async () => {
    const ctx = productContext(pair, {}, { faults: createFaults(undefined, 'cutover-before-flip') });
    try {
      let err: { code?: string; message?: string } | undefined;
      try {
        await cutoverCommand(ctx, FREEZE_TEST);
      } catch (e) {
        err = e as typeof err;
      }
      expect(err?.code).to.equal('CUTOVER_ABORTED');
      expect(err?.message).to.match(/writes resumed on the source, ownership unchanged/);
      expect(await owner()).to.equal('legacy');
      const shapes = await movingShapes(ctx);
      expect(Object.values(await triggerModes(ctx.source, 'product', shapes.values()))).to.deep.equal(['capture', 'capture', 'capture']);
      expect(Object.values(await triggerModes(ctx.target, 'product', shapes.values()))).to.deep.equal(['fence', 'fence', 'fence']);
      const onTarget = writer.onTarget;
      await writer.more(30);
      expect(writer.onTarget).to.equal(onTarget);
    } finally {
      await closeContext(ctx);
    }
  });

  it('a transaction held open past the abort limit aborts the cutover within the limit; its change is not lost', async () => {
    const holder = createKnex(pair.source.dsn);
    const tx = await holder.transaction();
    const ctx = productContext(pair, { freezeAbortMs: 700 });
    let held = 0;
    try {
      // a row that exists (the concurrent writer deletes random products): the held write must really hold the fence
      const [[row]] = await tx.raw('SELECT id FROM products ORDER BY id LIMIT 1 FOR UPDATE');
      held = Number(row.id);
      const [res] = await tx.raw("UPDATE products SET name = 'held across the freeze', version = version + 1 WHERE id = ?", [held]);
      expect((res as { affectedRows: number }).affectedRows).to.equal(1);
      let err: { code?: string; message?: string } | undefined;
      try {
        await cutoverCommand(ctx, FREEZE_TEST);
      } catch (e) {
        err = e as typeof err;
      }
      expect(err?.code, err?.message).to.equal('CUTOVER_ABORTED');
      expect(err?.message).to.match(/abort limit of 700 ms/);
      expect(await owner()).to.equal('legacy');
      await writer.more(20); // writes resumed
      // writes were held from the fence attempt until the undo: the abort limit plus the KILL and the undo
      const st = await ctx.store.load('product');
      const attempt = st!.attempts.at(-1)!;
      expect(attempt.ok).to.equal(false);
      expect(attempt.freezeMs).to.be.lessThan(700 + 2000);
      await tx.commit();
      if (writer.model.has(held)) writer.model.set(held, writer.model.get(held)! + 1);
    } finally {
      await tx.rollback().catch(() => undefined);
      await holder.destroy();
      await closeContext(ctx);
    }
    // the retried cutover succeeds and the held change arrived
    const ctx2 = productContext(pair);
    try {
      const c = await cutoverCommand(ctx2, FREEZE_TEST);
      expect('owner' in c && c.owner).to.equal('service');
      await writer.more(30);
      await writer.stop();
      expect(modelDifferences(writer.model, await productVersions(pair.target, pair.targetName))).to.deep.equal([]);
      const v = await verifyCommand(ctx2, { restart: true });
      expect(v.ok).to.equal(true);
    } finally {
      await closeContext(ctx2);
    }
  });

  for (const mode of ['native table checksum', 'chunks narrowed to leaves'] as const) {
    it(`verify finds every difference (${mode}): changed, missing and extra rows, by primary key`, async () => {
      // cut over by now: verify compares target → source; damage the source behind the tool's back
      const [[img]] = await pair.source.knex.raw('SELECT MIN(id) AS id FROM product_images');
      const [[prod]] = await pair.source.knex.raw('SELECT MIN(id) AS id FROM products');
      await pair.source.knex.transaction(async (tx) => {
        await tx.raw('SET @split_bypass = 1, foreign_key_checks = 0');
        await tx.raw("UPDATE products SET name = CONCAT(name, ' (corrupt)'), updated_at = updated_at WHERE id = ?", [prod.id]);
        await tx.raw('DELETE FROM product_images WHERE id = ?', [img.id]);
        await tx.raw("INSERT INTO categories (id, parent_id, name, slug) VALUES (900, NULL, 'extra', ?)", [`extra-${Date.now()}`]);
      });
      const ctx = productContext(pair, mode === 'native table checksum' ? {} : { verifyChunk: 1000, verifyLeafRows: 10 });
      try {
        if (mode !== 'native table checksum') {
          // a pending change makes the table look busy, so the chunked path runs
          await pair.target.raw("UPDATE products SET name = name WHERE id = (SELECT MAX(id) FROM (SELECT id FROM products) x)");
        }
        const v = await verifyCommand(ctx, { restart: true });
        expect(v.ok, JSON.stringify(v.differences)).to.equal(false);
        // kinds are relative to the copy being checked: the service DB before cutover, the legacy DB after it
        const legacyIsCopy = v.direction === 'reverse';
        expect(v.differences).to.deep.include.members([
          { table: 'products', pk: intKeyText(String(prod.id)), key: `id=${prod.id}`, kind: 'different', columns: ['name'] },
          { table: 'product_images', pk: intKeyText(String(img.id)), key: `id=${img.id}`, kind: legacyIsCopy ? 'missing-on-target' : 'extra-on-target' },
          { table: 'categories', pk: intKeyText('900'), key: 'id=900', kind: legacyIsCopy ? 'extra-on-target' : 'missing-on-target' },
        ]);
        expect(v.differences).to.have.length(3);
      } finally {
        await closeContext(ctx);
      }
      // repair the damage for the next case
      await pair.source.knex.transaction(async (tx) => {
        await tx.raw('SET @split_bypass = 1, foreign_key_checks = 0');
        await tx.raw("UPDATE products SET name = REPLACE(name, ' (corrupt)', ''), updated_at = updated_at WHERE id = ?", [prod.id]);
        await tx.raw('DELETE FROM categories WHERE id = 900');
        await tx.raw('INSERT INTO product_images SELECT * FROM ?? WHERE id = ?', [`${pair.targetName}.product_images`, img.id]);
      });
    });
  }

  it('any warning on a write is fatal', async () => {
    await pair.target.raw('CREATE TABLE narrow (id INT PRIMARY KEY, d DECIMAL(5,1))');
    let err: { code?: string; message?: string } | undefined;
    try {
      await toolTransaction(pair.target, (tx) => execChecked(tx, 'INSERT INTO narrow VALUES (1, 1.25)'));
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).to.equal('INSERT_WARNING');
    expect(err?.message).to.match(/1265/);
    const [[n]] = await pair.target.raw('SELECT COUNT(*) AS n FROM narrow');
    expect(Number(n.n)).to.equal(0);
  });
});

describe('split-db plan blockers @integration', function () {
  this.timeout(30_000);
  let pair: Pair;
  before(async () => {
    pair = await createPair('plan');
  });
  after(async () => {
    await pair.drop();
  });

  it('reports crossing FKs without a decision, a target schema that differs, and start refuses', async () => {
    const manifest = structuredClone(pair.manifest);
    manifest.services.product.crossingForeignKeys = {};
    const ctx = openContext({ service: resolveService(manifest, 'product'), opts: validateOptions({}) });
    try {
      const p = await planCommand(ctx);
      expect(p.blockers.join('\n')).to.match(/likes\.fk_likes_product/).and.match(/products\.fk_products_shop/);
      expect(p.crossingForeignKeys.map((f) => `${f.direction} ${f.table}.${f.constraint}`)).to.have.members(['incoming likes.fk_likes_product', 'outgoing products.fk_products_shop']);
      expect(p.tables.find((t) => t.name === 'products')).to.include({ pkType: 'bigint(20) unsigned' });
      expect(p.tables.find((t) => t.name === 'products')!.generatedColumns).to.deep.equal(['discount_rate']);
      let err: { code?: string } | undefined;
      try {
        await startCommand(ctx, {});
      } catch (e) {
        err = e as typeof err;
      }
      expect(err?.code).to.equal('BLOCKED');
      const [[st]] = await pair.source.knex.raw("SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME LIKE '\\_split%'", [pair.source.name]);
      expect(Number(st.n)).to.equal(0);
    } finally {
      await closeContext(ctx);
    }
    // with decisions, but a target column of another type: blocked too
    const ctx2 = productContext(pair);
    try {
      await ensureDatabase(pair.targetDsn);
      await migrateLatest(pair.target, 'product');
      await pair.target.raw('ALTER TABLE products MODIFY price DECIMAL(12,1) NOT NULL');
      const p2 = await planCommand(ctx2);
      expect(p2.blockers.join('\n')).to.match(/products\.price: decimal\(12,2\) on the source, decimal\(12,1\) on the target/);
    } finally {
      await closeContext(ctx2);
    }
  });
});
