import { expect } from 'chai';
import { dropDatabase, ensureDatabase, withDatabase } from '../../../lib/db.ts';
import { testServerDsn, uniqueName } from '../../../test/helpers/db.ts';
import { backlog, ensureMachinery, startCapture } from '../lib/capture.ts';
import { readCatalog } from '../lib/context.ts';
import { drain } from '../lib/applier.ts';
import { NO_FAULTS } from '../lib/faults.ts';
import { followApply } from '../lib/follow.ts';
import type { Link } from '../lib/link.ts';
import { openConnection, openSide, type Side } from '../lib/side.ts';

/**
 * The follow loop (start --follow): changes of one lag window go in one
 * drain, the state is saved at most every saveGapMs and once at the end, and
 * the target ends equal to the source. Trigger capture on the test server
 * feeds the changelog (the loop is the same for binlog capture). And the
 * applier's reads of the source take no locks: an application transaction
 * holding a row does not stall it.
 */
describe('split-db follow loop (follow.ts)', function () {
  this.timeout(60_000);
  let source: Side;
  let target: Side;
  /** The application: its own pool (the tool's sessions set @split_bypass, which the capture triggers skip). */
  let app: Side;
  let link: Link;
  const service = 'fl';

  before(async () => {
    const s = withDatabase(testServerDsn(), uniqueName('follow_s'));
    const t = withDatabase(testServerDsn(), uniqueName('follow_t'));
    await ensureDatabase(s);
    await ensureDatabase(t);
    source = openSide(s);
    app = openSide(s, 1);
    target = openSide(t);
    await source.knex.raw('CREATE TABLE items (id INT NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB');
    await target.knex.raw('CREATE TABLE items (id INT NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB');
    await source.knex.raw(`INSERT INTO items VALUES ${Array.from({ length: 50 }, (_, i) => `(${i + 1}, 0)`).join(',')}`);
    await target.knex.raw(`INSERT INTO items SELECT * FROM ${source.db}.items`);
    const shapes = (await readCatalog(source, ['items'])).shapes;
    await ensureMachinery(source, service, false);
    await startCapture(source, service, shapes, false, true);
    link = { direction: 'forward', service, from: source, to: target, sql: true, shapes };
  });

  after(async () => {
    await app?.knex.destroy();
    await source?.knex.destroy();
    await target?.knex.destroy();
    await dropDatabase(source.dsn).catch(() => undefined);
    await dropDatabase(target.dsn).catch(() => undefined);
  });

  async function waitFor(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (backlog ${await backlog(source, service)}; source ${(await rows(source)).slice(0, 200)}; target ${(await rows(target)).slice(0, 200)})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const rows = async (side: Side) => JSON.stringify((await side.knex.raw('SELECT id, v FROM items ORDER BY id'))[0]);

  it('applies a lag window\'s changes in one drain, saves at most every saveGapMs and at the end, and ends equal', async () => {
    const lagMs = 300;
    const starts: number[] = [];
    let counted = 0;
    const saves: Array<{ at: number; counted: number }> = [];
    const stop = new AbortController();
    const loop = followApply(link, {
      limit: 1000, lagMs, faults: NO_FAULTS, signal: stop.signal, follow: true, saveGapMs: 700,
      onBatch: (r, startedAt) => {
        starts.push(startedAt);
        counted += r.changes;
      },
      save: async () => {
        saves.push({ at: Date.now(), counted });
      },
    });
    // a writer for ~1.5 s: a change every 10 ms, so a loop without a lag would drain far more often than every 300 ms
    const t0 = Date.now();
    let n = 0;
    while (Date.now() - t0 < 1500) {
      await app.knex.raw('UPDATE items SET v = v + 1 WHERE id = ?', [1 + (n++ % 50)]);
      await new Promise((r) => setTimeout(r, 10));
    }
    await waitFor('the changelog drained and the target equal to the source', async () => (await backlog(source, service)) === 0 && (await rows(source)) === (await rows(target)));
    stop.abort();
    await loop;
    expect(counted).to.be.greaterThan(0);
    const gaps = starts.slice(1).map((s, i) => s - starts[i]);
    // every drain here is one batch (fewer than 1000 changes a window): batch starts are drain starts
    expect(Math.min(...gaps), `gaps between drains: ${gaps.map((g) => g.toFixed(0)).join(' ')}`).to.be.at.least(lagMs - 5);
    expect(starts.length).to.be.at.most(Math.ceil((performance.now() - starts[0]) / lagMs) + 1);
    // saves: never two within the gap (the one at the end aside), and the last one holds every batch
    const saveGaps = saves.slice(1, -1).map((s, i) => s.at - saves[i].at);
    expect(saveGaps.every((g) => g >= 690), `save gaps ${saveGaps.join(' ')}`).to.equal(true);
    expect(saves.at(-1)!.counted).to.equal(counted);
    expect(await rows(target)).to.equal(await rows(source));
  });

  for (const sql of [true, false]) {
    it(`${sql ? 'same server (REPLACE … SELECT)' : 'across servers (SELECT, then the target)'}: an application transaction holding a row lock does not stall the applier, which writes the last committed row`, async () => {
      const l: Link = { ...link, sql };
      await app.knex.raw('UPDATE items SET v = 500 WHERE id = 7'); // committed, logged
      const holder = await openConnection(source.dsn);
      try {
        await holder.query('START TRANSACTION');
        await holder.query('UPDATE items SET v = 999 WHERE id = 7'); // uncommitted: an X lock on the row (and on its changelog row)
        const t0 = Date.now();
        // a locking read would wait innodb_lock_wait_timeout (50 s by default): give it 5
        const applied = await Promise.race([drain(l, 1000, NO_FAULTS), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('the applier waited on the application\'s row lock')), 5000))]);
        expect(applied).to.be.greaterThan(0);
        expect(Date.now() - t0).to.be.below(5000);
        const [[row]] = await target.knex.raw('SELECT v FROM items WHERE id = 7');
        expect(Number(row.v)).to.equal(500);
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        await holder.end().catch(() => holder.destroy());
      }
    });
  }

  it('with no lag drains again as soon as a drain applied anything (the loop before the lag budget)', async () => {
    const starts: number[] = [];
    const stop = new AbortController();
    const loop = followApply(link, { limit: 1000, lagMs: 0, faults: NO_FAULTS, signal: stop.signal, follow: true, onBatch: (_r, s) => void starts.push(s) });
    const t0 = Date.now();
    let n = 0;
    while (Date.now() - t0 < 600) {
      await app.knex.raw('UPDATE items SET v = v + 1 WHERE id = ?', [1 + (n++ % 50)]);
      await new Promise((r) => setTimeout(r, 5));
    }
    await waitFor('the target equal to the source', async () => (await backlog(source, service)) === 0 && (await rows(source)) === (await rows(target)));
    stop.abort();
    await loop;
    const gaps = starts.slice(1).map((s, i) => s - starts[i]);
    expect(Math.min(...gaps), `gaps between drains: ${gaps.map((g) => g.toFixed(0)).join(' ')}`).to.be.below(300);
  });
});
