import { expect } from 'chai';
import { createKnex } from '../../../lib/db.ts';
import { closeContext } from '../lib/context.ts';
import { cutoverCommand, rollbackCommand, startCommand, statusCommand, verifyCommand } from '../lib/commands.ts';
import { compareAll, createPair, modelDifferences, productContext, productVersions, runCli, seedCatalog, Writer, type CliResult, type Pair } from './helpers.ts';

/**
 * ghostferry-style: the real CLI runs as a child process and SIGKILLs itself
 * at a named point (SPLIT_FAULT); the next run resumes. Application writers
 * keep running in this process the whole time.
 */
describe('split-db killed with SIGKILL at every named point, then resumed @integration', function () {
  this.timeout(120_000);
  let pair: Pair;
  let writer: Writer;
  let args: (cmd: string, ...extra: string[]) => string[];

  before(async () => {
    pair = await createPair('kill');
    await seedCatalog(pair.source.knex, 900);
    writer = new Writer(pair.source.dsn, pair.targetDsn, 900, 'k');
    await writer.start(2, 2);
    args = (cmd, ...extra) => [cmd, 'product', '--manifest', pair.manifestPath, '--chunk-size', '60', '--min-chunk', '20', '--max-chunk', '60',
      '--max-threads-running', '0', '--verify-chunk', '250', '--abort-after-ms', '5000', '--json', ...extra];
  });
  after(async () => {
    await writer.stop().catch(() => undefined);
    await pair.drop();
  });

  function killed(r: CliResult, point: string): void {
    expect(r.signal, `${point}: expected SIGKILL, got code ${r.code}: ${r.stderr}`).to.equal('SIGKILL');
  }
  function ok(r: CliResult, what: string): void {
    expect(r.code, `${what}: ${r.stderr}`).to.equal(0);
  }
  /** Resumes in-process (same code as the CLI's actions; saves a process start per step on a busy machine). */
  async function inProcess<T>(fn: (ctx: ReturnType<typeof productContext>) => Promise<T>): Promise<T> {
    const ctx = productContext(pair, { chunkSize: 60, minChunk: 20, maxChunk: 60, verifyChunk: 250 });
    try {
      return await fn(ctx);
    } finally {
      await closeContext(ctx);
    }
  }
  async function owner(): Promise<string> {
    const [[r]] = await pair.source.knex.raw("SELECT owner FROM service_ownership WHERE domain = 'product'");
    return r.owner;
  }

  it('mid-chunk, after a chunk, mid-apply, during verify, cutover before and after the flip: 0 differences, no lost changes', async () => {
    await writer.more(20);
    killed(await runCli(args('start'), { SPLIT_FAULT: 'mid-chunk:4' }), 'mid-chunk');
    await writer.more(20);
    killed(await runCli(args('start'), { SPLIT_FAULT: 'after-chunk:5' }), 'after-chunk');
    await writer.more(20);
    killed(await runCli(args('start'), { SPLIT_FAULT: 'mid-apply:2' }), 'mid-apply');
    await writer.more(20);
    const started = await inProcess((ctx) => startCommand(ctx, {}));
    expect('state' in started && started.resumed && started.state.phase).to.equal('copied');

    await writer.more(20);
    killed(await runCli(args('verify'), { SPLIT_FAULT: 'during-verify:3' }), 'during-verify');
    const vr = await inProcess((ctx) => verifyCommand(ctx, {}));
    expect(vr.differences).to.deep.equal([]);
    expect(vr.ok).to.equal(true);

    await writer.more(20);
    killed(await runCli(args('cutover'), { SPLIT_FAULT: 'cutover-before-flip' }), 'cutover-before-flip');
    expect(await owner()).to.equal('legacy');
    killed(await runCli(args('cutover'), { SPLIT_FAULT: 'cutover-after-flip' }), 'cutover-after-flip');
    expect(await owner()).to.equal('service');
    const c = await runCli(args('cutover'));
    ok(c, 'cutover resumed');
    expect(JSON.parse(c.stdout)).to.include({ resumed: true, owner: 'service', database: 'own' });

    const before = writer.onTarget;
    await writer.more(60);
    expect(writer.onTarget).to.be.greaterThan(before);
    await writer.stop();
    expect(writer.errors, writer.errors.join('\n')).to.deep.equal([]);
    expect(modelDifferences(writer.model, await productVersions(pair.target, pair.targetName))).to.deep.equal([]);

    await inProcess((ctx) => rollbackCommand(ctx));
    expect(await owner()).to.equal('legacy');
    expect(await compareAll(pair.source.knex, pair.source.name, pair.target, pair.targetName)).to.deep.equal([]);
    expect(modelDifferences(writer.model, await productVersions(pair.source.knex, pair.source.name))).to.deep.equal([]);
    const [[dups]] = await pair.target.raw('SELECT COUNT(*) - COUNT(DISTINCT shop_id, external_id) AS d FROM products');
    expect(Number(dups.d)).to.equal(0);

    const st = await inProcess((ctx) => statusCommand(ctx));
    expect(st.phase).to.equal('copied');
    expect(st.triggers.source).to.deep.equal({ categories: 'capture', products: 'capture', product_images: 'capture' });
    expect(st.triggers.target).to.deep.equal({ categories: 'fence', products: 'fence', product_images: 'fence' });
  });

  it('a cutover killed while the fence is up is undone by rollback: writes resume on the source, nothing flipped', async () => {
    const w = new Writer(pair.source.dsn, pair.targetDsn, 0, 'f');
    await w.start(1, 2);
    try {
      await w.more(10);
      killed(await runCli([...args('cutover'), '--force', '--reason', 'kill test after a rollback'], { SPLIT_FAULT: 'cutover-fenced' }), 'cutover-fenced');
      // the fence was raised in a transaction that died with the process: source writes go through at once
      const fencedBefore = w.fenced;
      const probe = createKnex(pair.source.dsn);
      try {
        await probe('categories').insert({ name: 'x', slug: `fenced-${Date.now()}` });
      } finally {
        await probe.destroy();
      }
      expect(await inProcess((ctx) => rollbackCommand(ctx))).to.deep.equal({ abandoned: 'cutover' });
      expect(await owner()).to.equal('legacy');
      const onTarget = w.onTarget;
      await w.more(20);
      expect(w.onTarget).to.equal(onTarget);
      expect(w.fenced).to.be.at.least(fencedBefore);
    } finally {
      await w.stop();
    }
    expect(w.errors).to.deep.equal([]);
  });

  it('a rollback killed before its flip is undone by cutover: the service side stays live, nothing flipped back', async () => {
    const c = await inProcess((ctx) => cutoverCommand(ctx, { force: true, reason: 'kill test after a rollback' }));
    expect('owner' in c && c.owner).to.equal('service');
    const w = new Writer(pair.source.dsn, pair.targetDsn, 0, 'r');
    await w.start(1, 2);
    try {
      await w.more(10);
      killed(await runCli(args('rollback'), { SPLIT_FAULT: 'rollback-before-flip' }), 'rollback-before-flip');
      expect(await owner()).to.equal('service');
      expect(await inProcess((ctx) => cutoverCommand(ctx))).to.deep.equal({ abandoned: 'rollback' });
      const onTarget = w.onTarget;
      await w.more(20);
      expect(w.onTarget).to.be.greaterThan(onTarget);
      expect(await owner()).to.equal('service');
    } finally {
      await w.stop();
    }
    expect(w.errors).to.deep.equal([]);
    // and a real rollback afterwards brings every write back
    await inProcess((ctx) => rollbackCommand(ctx));
    expect(await owner()).to.equal('legacy');
    expect(await compareAll(pair.source.knex, pair.source.name, pair.target, pair.targetName)).to.deep.equal([]);
  });
});
