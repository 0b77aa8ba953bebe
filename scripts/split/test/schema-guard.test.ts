import { expect } from 'chai';
import type { Knex } from '../../../lib/db.ts';
import { closeContext } from '../lib/context.ts';
import { cutoverCommand, planCommand, startCommand, statusCommand, verifyCommand } from '../lib/commands.ts';
import { renderStatus } from '../lib/render.ts';
import { createLogger } from '../../../lib/logger.ts';
import { createPair, PRODUCT_TABLES, productContext, seedCatalog, type Pair } from './helpers.ts';

/** What a command threw: its SplitError code and message. */
async function refusal(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  throw new Error('the command did not refuse');
}

/** Every product row as the application reads it, with the columns this table has now (the independent check). */
async function products(k: Knex, db: string, columns: string): Promise<string> {
  const [rows] = await k.raw(`SELECT ${columns} FROM \`${db}\`.products ORDER BY id`);
  return JSON.stringify(rows);
}

/**
 * A migration that alters a moved table on one side while the split runs.
 * Before, nothing looked: a column dropped on the source after a clean verify
 * let the cutover go through with the target still holding it (values nobody
 * kept up since), and a column added on the source only parked every captured
 * change of the table as poison. Now every command compares both sides with
 * the definitions the split recorded when its copy started.
 */
describe('split-db: schema changes on moved tables while a split runs @integration', function () {
  this.timeout(120_000);
  let pair: Pair;

  beforeEach(async () => {
    pair = await createPair('sguard');
    await seedCatalog(pair.source.knex, 200);
  });
  afterEach(async () => {
    await pair.drop();
  });

  // Seen on the old code: the cutover after the drop succeeded (the last verify was clean), leaving description on the target.
  it('a column dropped on the source only after a clean verify: status, verify and cutover refuse (exit 3) until the target drops it too; then a new verify, and the cutover goes through', async () => {
    const ctx = productContext(pair);
    try {
      await startCommand(ctx, {});
      expect(Object.keys((await ctx.store.load('product'))!.schema ?? {}).sort(), 'definitions recorded when the copy started').to.deep.equal([...PRODUCT_TABLES].sort());
      expect((await verifyCommand(ctx, {})).ok).to.equal(true);
      await pair.source.knex.raw('ALTER TABLE products DROP COLUMN description');
      await pair.source.knex.raw("UPDATE products SET name = 'after the drop' WHERE id = 7");
      const why = /products changed on the source since the split recorded it \(column description dropped\); the target was not changed/;
      const st = await statusCommand(ctx);
      expect(st.schema).to.match(why);
      expect(renderStatus(st)).to.match(/\n {2}SCHEMA: the moved tables' definitions no longer agree: products changed on the source/);
      const cut = await refusal(cutoverCommand(ctx));
      expect(cut.code, cut.message).to.equal('BLOCKED');
      expect(cut.message).to.match(why);
      expect(cut.message).to.match(/apply the same ALTER TABLE on the side that did not change/);
      const ver = await refusal(verifyCommand(ctx, {}));
      expect(ver.code).to.equal('BLOCKED');
      const plan = await planCommand(ctx);
      expect(plan.findings.filter((f) => f.check === 'target-schema').map((f) => [f.severity, f.table, f.message]), 'plan says it too, without the pre-split advice to drop the target table')
        .to.deep.equal([['blocker', 'products', 'split under way: products changed on the source since the split recorded it (column description dropped); the target was not changed']]);
      expect((await ctx.store.load('product'))!.phase, 'nothing flipped').to.equal('copied');

      // the DBA mirrors the migration: the new definition is recorded, and the clean verify from before it no longer counts
      await pair.target.raw('ALTER TABLE products DROP COLUMN description');
      const stale = await refusal(cutoverCommand(ctx));
      expect(stale.code, stale.message).to.equal('UNVERIFIED');
      expect(stale.message).to.match(/before a moved table's definition changed/);
      const state = (await ctx.store.load('product'))!;
      expect(state.history.some((h) => h.event === 'schema changed' && /^products: changed alike on both sides/.test(h.detail ?? ''))).to.equal(true);
      expect((await statusCommand(ctx)).schema, 'nothing left to say').to.equal(undefined);
      // as if the verify from before the change had been interrupted: the next verify starts over instead of resuming it
      const interrupted = (await ctx.store.load('product'))!;
      delete interrupted.verify!.finishedAt;
      await ctx.store.save(interrupted);
      const fresh = await verifyCommand(ctx, {});
      expect(fresh.ok).to.equal(true);
      expect(Date.parse(fresh.startedAt), 'a verify begun after the change').to.be.at.least(Date.parse(interrupted.schemaChangedAt!));
      await cutoverCommand(ctx);
      expect((await ctx.store.load('product'))!.phase).to.equal('cutover');
      // checked from outside the tool: the same columns and rows on both sides
      const [cols] = await pair.target.raw("SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'products' AND COLUMN_NAME = 'description'", [pair.targetName]);
      expect(Number((cols as Array<{ n: number }>)[0].n)).to.equal(0);
      const all = 'id, shop_id, category_id, external_id, name, price, sale_price, status, version';
      expect(await products(pair.target, pair.targetName, all)).to.equal(await products(pair.source.knex, pair.source.name, all));
    } finally {
      await closeContext(ctx);
    }
  });

  /** Waits, with a deadline, until `ok` holds. */
  async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // Seen on the old code: the loop went on applying with the old column list — the row changed after the ALTER reached
  // the target without its new column (the mirrored column kept its default there), and nothing said so.
  it('start --follow holds the applier while the source alone has a new column (status says why), and applies with the new column once both sides have it', async () => {
    const stop = new AbortController();
    const warns: string[] = [];
    const log = createLogger('schema-guard-test', { level: 'warn', destination: { write: (l: string) => void warns.push(l) } as unknown as NodeJS.WritableStream });
    const ctx = productContext(pair, { schemaCheckMs: 100, applyLagMs: 20 }, { signal: stop.signal, log });
    let loop: Promise<unknown> | null = null;
    try {
      await startCommand(ctx, {});
      let ended = false;
      loop = startCommand(ctx, { follow: true }).finally(() => (ended = true));
      let loopError: unknown = null;
      loop.catch((e) => (loopError = e));
      const [[v3]] = await pair.source.knex.raw('SELECT version FROM products WHERE id = 3');
      await pair.source.knex.raw('UPDATE products SET version = version + 1 WHERE id = 3');
      await until('the loop applies', async () => {
        if (loopError) throw loopError;
        const [[r]] = await pair.target.raw('SELECT version FROM products WHERE id = 3');
        return r.version === v3.version + 1;
      });
      await pair.source.knex.raw("ALTER TABLE products ADD COLUMN color VARCHAR(20) NULL DEFAULT 'red'");
      await until('the applier holds', () => { if (loopError) throw loopError; return warns.some((l) => l.includes('applier held until both sides')); });
      await pair.source.knex.raw("UPDATE products SET color = 'blue', version = version + 1 WHERE id = 5");
      const st = await statusCommand(ctx);
      expect(st.schema).to.match(/products changed on the source since the split recorded it \(column color added \(varchar\(20\) NULL utf8mb4_unicode_ci\)\); the target was not changed/);
      expect(st.backlog.forward, 'the change waits in the changelog').to.be.above(0);
      expect(ended, 'the loop holds, it does not end').to.equal(false);
      const [[held]] = await pair.target.raw('SELECT version FROM products WHERE id = 5');
      expect(held.version, 'not applied while held').to.equal(1);

      // the DBA mirrors it on the target: the loop records the new definition and applies the held change with the new column
      await pair.target.raw("ALTER TABLE products ADD COLUMN color VARCHAR(20) NULL DEFAULT 'red'");
      await pair.source.knex.raw("UPDATE products SET color = 'green' WHERE id = 9");
      const cols = 'id, name, color, version';
      await until('the target equals the source, new column included', async () => (await products(pair.target, pair.targetName, cols)) === (await products(pair.source.knex, pair.source.name, cols)));
      const [[row]] = await pair.target.raw('SELECT color, version FROM products WHERE id = 5');
      expect(row).to.deep.include({ color: 'blue', version: 2 });
      const state = (await ctx.store.load('product'))!;
      expect(state.history.filter((h) => h.event === 'schema changed').map((h) => h.detail)).to.deep.equal(['products: changed alike on both sides; the cutover needs a verify started after this']);
      expect(warns.some((l) => l.includes('the moved tables agree again; applying'))).to.equal(true);
      expect(ended).to.equal(false);
      stop.abort();
      await loop;
    } finally {
      stop.abort();
      await loop?.catch(() => undefined);
      await closeContext(ctx);
    }
  });
});
