/**
 * The split-state reader: reads `_split_state` and the capture backlog from a real database, and when a database
 * cannot be read keeps its last figures, reports the error masked, warns once per outage and counts every failure.
 */
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { freePort } from '../../../lib/free-ports.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { newState } from '../../../scripts/split/lib/state.ts';
import { changelogDdl, stateDdl } from '../../../scripts/split/lib/sql.ts';
import { captureLogger } from '../../test/helpers.ts';
import { SplitWatch } from '../splits.ts';

describe('dashboard: split state reader @integration', function () {
  let db: TestDatabase;
  before(async function () {
    db = await createTestDatabase('dash_splits', []);
  });
  after(async function () {
    await db?.drop();
  });

  it('reads each split\'s state and backlog, and exports them as gauges', async function () {
    const registry = new Registry();
    const cap = captureLogger();
    const w = new SplitWatch({ dsns: [db.dsn], logger: cap.logger, registry });
    try {
      await w.poll();
      expect(w.views()).to.deep.equal([]);
      await db.knex.raw(stateDdl());
      await db.knex.raw(changelogDdl('catalog'));
      const s = newState('catalog', 'src', 'dst', ['items'], 100);
      s.tables.items = { ...s.tables.items, rows: 40, minPk: '1', maxPk: '100', lastPk: '40', intKey: true, segments: [{ lo: null, hi: '100', lastPk: '40', done: false }] };
      await db.knex.raw('INSERT INTO _split_state (service, doc) VALUES (?, ?)', ['catalog', JSON.stringify(s)]);
      await db.knex.raw("INSERT INTO _split_catalog_changelog (tbl, pk) VALUES ('items', '1'), ('items', '2')");
      await w.poll();
      const v = w.views();
      expect(v.map((x) => [x.service, x.phase, x.copy.rowsCopied, x.backlog.rows])).to.deep.equal([['catalog', 'copying', 40, 2]]);
      const text = await registry.metrics();
      expect(text).to.include('strangler_split_backlog_rows{service="catalog"} 2');
      expect(text).to.include('strangler_split_rows_copied{service="catalog"} 40');
      expect(w.sourceStatus()[0].error).to.equal(null);
    } finally {
      await w.close();
    }
  });

  it('an unreachable database: last figures kept, error masked, one warn per outage, every failure counted', async function () {
    const registry = new Registry();
    const cap = captureLogger();
    const port = await freePort();
    const w = new SplitWatch({ dsns: [`mysql://reader:s3cret-pass@127.0.0.1:${port}/legacy`], logger: cap.logger, registry });
    const printed: string[] = [];
    const saved = { warn: console.warn, log: console.log, error: console.error };
    console.warn = console.log = console.error = (...a: unknown[]) => void printed.push(a.map(String).join(' '));
    try {
      try {
        await w.poll();
        await w.poll();
      } finally {
        Object.assign(console, saved);
      }
      expect(printed, 'knex printed by itself').to.deep.equal([]);
      const st = w.sourceStatus()[0];
      expect(st.source).to.not.include('s3cret-pass');
      expect(st.error).to.be.a('string').and.not.include('s3cret-pass');
      expect(cap.lines.filter((l) => l.msg === 'split state could not be read; the data page shows the last read')).to.have.length(1);
      expect(JSON.stringify(cap.lines)).to.not.include('s3cret-pass');
      expect(await registry.metrics()).to.include('strangler_split_state_read_errors_total 2');
    } finally {
      await w.close();
    }
  });
});
