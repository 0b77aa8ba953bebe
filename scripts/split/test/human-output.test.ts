import { expect } from 'chai';
import { renderCancel, renderComplete, triggerSummary } from '../lib/render.ts';
import { createPair, runCli, seedCatalog, type Pair } from './helpers.ts';

describe('split-db human output: status, complete --dry-run, cancel', () => {
  it('trigger modes in words, not JSON objects', () => {
    expect(triggerSummary({})).to.equal('none');
    expect(triggerSummary({ a: 'none', b: 'none' })).to.equal('none');
    expect(triggerSummary({ a: 'capture', b: 'capture', c: 'capture' })).to.equal('capture on all 3 tables');
    expect(triggerSummary({ a: 'fence', b: 'partial' })).to.equal('fence on a, partial on b');
  });

  it('cancel says which target database it drops (was "cancelled product and drop the target database")', () => {
    const none = { database: 'x', triggers: [], tables: [] };
    const text = renderCancel('product', { dryRun: false, droppedTarget: true, targetDatabase: 'product_svc', removes: { source: none, target: none } });
    expect(text).to.match(/^cancelled product: capture removed, state forgotten\n/);
    expect(text).to.include('  dropped the target database product_svc');
    expect(text).to.not.include('and drop the target');
    const kept = renderCancel('product', { dryRun: true, droppedTarget: false, targetDatabase: 'product_svc', removes: { source: none, target: none } });
    expect(kept).to.match(/^dry run: cancel product would/);
    expect(kept).to.include('target database product_svc is kept');
    const complete = renderComplete('product', { dryRun: true, renamed: [{ from: 'products', to: '_old_products_1' }], dropped: [], removes: { source: none, target: none } });
    expect(complete).to.include('would rename products → _old_products_1');
  });
});

describe('split-db status and complete --dry-run through the CLI @integration', function () {
  this.timeout(120_000);
  let pair: Pair;
  const args = (cmd: string, ...extra: string[]) => [cmd, 'product', '--manifest', pair.manifestPath, '--max-threads-running', '0', '--abort-after-ms', '5000', ...extra];
  before(async () => {
    pair = await createPair('human_out');
    await seedCatalog(pair.source.knex, 200);
  });
  after(async () => {
    await pair.drop();
  });

  it('status is text without JSON objects; complete --dry-run lists triggers, changelog, fence and guard tables (poison too when there is one) and renames, and changes nothing', async () => {
    expect((await runCli(args('start'))).code).to.equal(0);
    const st = await runCli(args('status'));
    expect(st.code, st.stderr).to.equal(0);
    expect(st.stdout).to.not.match(/[{}]/);
    expect(st.stdout).to.match(/triggers: source capture on all 3 tables; target none/);
    const cut = await runCli(args('cutover', '--force', '--reason', 'human output test'));
    expect(cut.code, cut.stderr).to.equal(0);
    const after = await runCli(args('status'));
    expect(after.stdout).to.match(/triggers: source fence on all 3 tables; target capture on all 3 tables/);

    const dry = await runCli(args('complete', '--dry-run'));
    expect(dry.code, dry.stderr).to.equal(0);
    const out = dry.stdout;
    expect(out).to.match(/^dry run: complete product would change\n/);
    for (const side of [pair.source.name, pair.targetName]) {
      expect(out).to.match(new RegExp(`would drop \\d+ trigger\\(s\\) on (source|target) ${side}: _split_product_`));
      expect(out).to.include(`would drop table ${side}._split_product_changelog (captured-changes changelog)`);
      expect(out).to.include(`would drop table ${side}._split_product_fence (write fence)`);
      for (const t of ['categories', 'products', 'product_images']) expect(out).to.match(new RegExp(`would drop table ${side}\\._split_product_g_${t} \\(TRUNCATE guard of ${t}\\)`));
    }
    for (const t of ['categories', 'products', 'product_images']) expect(out).to.match(new RegExp(`would rename ${t} → _old_${t}_\\d{14}`));
    expect(out).to.include('the old copies are kept (drop them with --confirm)');
    // nothing changed
    const [tables] = await pair.source.knex.raw("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_split\\_product\\_%'");
    expect((tables as unknown[]).length).to.be.greaterThan(3);
    const json = await runCli(args('complete', '--dry-run', '--json'));
    const r = JSON.parse(json.stdout) as { removes: { source: { triggers: string[]; tables: Array<{ name: string }> } } };
    expect(r.removes.source.triggers.length).to.be.greaterThan(0);
    expect(r.removes.source.tables.map((t) => t.name)).to.include('_split_product_changelog');
  });
});
