import { expect } from 'chai';
import { closeContext } from '../lib/context.ts';
import { copyFraction, progressLines, type ProgressOf, type ProgressSink } from '../lib/progress.ts';
import { start } from '../lib/start.ts';
import { createPair, productContext, runCli, seedCatalog, type Pair } from './helpers.ts';

const table = (rows: number, estimate: number, lastPk: string | null, maxPk: string, done = false): ProgressOf => ({
  done, minPk: '1', maxPk, lastPk, intKey: true, estimate, rows,
  segments: [{ lo: null, hi: maxPk, lastPk, done }],
});

describe('split-db copy progress', () => {
  it('weighs tables by rows: a small table done and 833 of 5,995 product rows is ~14 %, not the per-table average', () => {
    const categories = table(40, 40, '40', '40', true);
    const products = table(833, 5995, '833', '5995');
    expect(copyFraction([categories, products])).to.be.closeTo((40 + 833) / (40 + 5995), 0.01);
    // a table not started yet counts with its estimate
    const images = { done: false, minPk: null, maxPk: null, lastPk: null, estimate: 3000 } satisfies ProgressOf;
    expect(copyFraction([categories, products, images])).to.be.closeTo((40 + 833) / (40 + 5995 + 3000), 0.01);
    expect(copyFraction([])).to.equal(1);
    expect(copyFraction([table(0, 0, null, '1', true)])).to.equal(1);
  });

  it('without a terminal: a plain line at most once per interval and a last line at the end', () => {
    let t = 1_000;
    const lines: string[] = [];
    const sink = progressLines({ write: (l) => lines.push(l), intervalMs: 10_000, now: () => t });
    sink.begin('copy product', 10_000);
    t += 5_000;
    sink.update(1_000, { rows: 600 });
    expect(lines).to.deep.equal([]);
    t += 5_000;
    sink.update(2_000, { rows: 1_200 });
    expect(lines).to.deep.equal(['copy product: 20.0 % | 1,200 rows | 120 rows/s | ETA 40s']);
    t += 1_000;
    sink.update(3_000, { rows: 1_800 });
    expect(lines).to.have.length(1);
    sink.end();
    expect(lines[1]).to.equal('copy product: 30.0 % | 1,800 rows | 164 rows/s | 11s elapsed');
  });
});

describe('split-db copy progress tracks rows copied @integration', function () {
  this.timeout(60_000);
  let pair: Pair;
  before(async () => {
    pair = await createPair('progress');
    await seedCatalog(pair.source.knex, 1200); // 3 categories, 1,200 products, 600 images
    for (const t of ['categories', 'products', 'product_images']) await pair.source.knex.raw(`ANALYZE TABLE \`${t}\``);
  });
  after(async () => {
    await pair.drop();
  });

  it('every update of the bar is within 10 points of the share of rows copied (was 33 % after the 3 categories)', async () => {
    const seen: Array<{ pct: number; rows: number }> = [];
    let total = 0;
    const sink: ProgressSink = {
      begin(label, t) { if (label.startsWith('copy')) total = t; },
      update(done, info) { if (total) seen.push({ pct: done / total, rows: info?.rows ?? 0 }); },
      end() { total = 0; },
    };
    const ctx = productContext(pair, { chunkSize: 100, minChunk: 100, maxChunk: 100, copyWorkers: 1 }, { progress: sink });
    try {
      await start(ctx);
    } finally {
      await closeContext(ctx);
    }
    const all = 3 + 1200 + 600;
    expect(seen.length).to.be.greaterThan(10);
    for (const s of seen) expect(s.pct, `${(s.pct * 100).toFixed(1)} % at ${s.rows} of ${all} rows`).to.be.closeTo(s.rows / all, 0.1);
    expect(seen.at(-1)!.pct).to.equal(1);
  });
});

describe('split-db start with its output piped prints progress lines @integration', function () {
  this.timeout(60_000);
  let pair: Pair;
  before(async () => {
    pair = await createPair('progress_pipe');
    await seedCatalog(pair.source.knex, 1500);
  });
  after(async () => {
    await pair.drop();
  });

  it('stderr (not a terminal) gets periodic "copy product: N % | rows | rows/s" lines and a final one', async () => {
    const r = await runCli(['start', 'product', '--manifest', pair.manifestPath, '--chunk-size', '50', '--min-chunk', '50', '--max-chunk', '50', '--copy-workers', '1', '--max-threads-running', '0'],
      { SPLIT_PROGRESS_INTERVAL_MS: '100' });
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('copy product: '));
    expect(lines.length, r.stderr).to.be.greaterThan(1);
    expect(lines.at(-1)).to.match(/^copy product: 100\.0 % \| [\d,]+ rows \| [\d,]+ rows\/s \| \d+s elapsed$/);
  });
});
