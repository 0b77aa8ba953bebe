import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { parseMysqlDsn } from '../../../lib/db.ts';
import { closeContext, movingShapes } from '../lib/context.ts';
import { NO_FAULTS } from '../lib/faults.ts';
import { intKeyText } from '../lib/keys.ts';
import { forwardLink } from '../lib/link.ts';
import { loadChunk } from '../lib/loader.ts';
import { prepareTarget } from '../lib/schema.ts';
import { columnList } from '../lib/sql.ts';
import { compareAll, createPair, productContext, seedCatalog } from './helpers.ts';

/**
 * How one LOAD DATA chunk of the stream copy meets the other loaders on the
 * target (loader.ts loadChunk).
 *
 * It reads the source's rows before it sends its statement
 * (loader.ts LOAD_READAHEAD_BYTES). LOAD DATA holds the target table's
 * AUTO-INC lock until it ends (innodb_autoinc_lock_mode=1, a "bulk insert"),
 * so a statement that streamed while the source was read held every other
 * loader of the table back for the whole source read: the loaders took turns
 * end to end. Here the source read is held up (the source table is locked by
 * another session): nothing of the chunk may be open on the target meanwhile.
 */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('split-db LOAD DATA chunk: reads the source before its target statement, waits for no other loader @integration', function () {
  this.timeout(60_000);

  it('while the source read waits, the target has no statement of the chunk open; then the range is loaded equal', async () => {
    const pair = await createPair('readahead');
    const ctx = productContext(pair, { copyMode: 'stream', streamWrite: 'load-data' });
    const c = parseMysqlDsn(pair.source.dsn);
    const locker = await mysql.createConnection({ host: c.host, port: c.port, user: c.user, password: c.password, database: pair.source.name });
    try {
      await seedCatalog(pair.source.knex, 300);
      await prepareTarget(ctx);
      const shapes = await movingShapes(ctx);
      const link = forwardLink(ctx, shapes);
      link.write = { write: 'load-data', why: 'test' };
      await locker.query('LOCK TABLES products WRITE');
      const load = loadChunk(link, shapes.get('products')!, null, intKeyText(300n), NO_FAULTS);
      load.catch(() => undefined);
      // the chunk's source SELECT waits for the lock
      await until('the source read to wait for the table lock', async () => {
        const [rows] = await pair.source.knex.raw("SELECT 1 FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'SELECT%products%' AND STATE LIKE '%metadata lock%'", [pair.source.name]);
        return (rows as unknown[]).length ? true : undefined;
      });
      const [open] = await pair.target.raw("SELECT LEFT(INFO, 60) AS q FROM information_schema.PROCESSLIST WHERE DB = ? AND COMMAND <> 'Sleep' AND ID <> CONNECTION_ID()", [pair.targetName]);
      expect((open as Array<{ q: string }>).map((r) => r.q), 'target statements open while the source rows are not read').to.deep.equal([]);
      await locker.query('UNLOCK TABLES');
      expect(await load).to.equal(300);
      expect(await compareAll(pair.source.knex, pair.source.name, pair.target, pair.targetName, ['products'])).to.deep.equal([]);
    } finally {
      await locker.end().catch(() => locker.destroy());
      await closeContext(ctx);
      await pair.drop();
    }
  });

  it('an empty range is loaded while another loader\'s uncommitted insert sits just above it (no DELETE scan waits for it)', async () => {
    const pair = await createPair('emptyrange');
    const ctx = productContext(pair, { copyMode: 'stream', streamWrite: 'load-data' });
    const c = parseMysqlDsn(pair.targetDsn);
    let other: mysql.Connection | undefined;
    try {
      await seedCatalog(pair.source.knex, 300);
      await prepareTarget(ctx);
      other = await mysql.createConnection({ host: c.host, port: c.port, user: c.user, password: c.password, database: pair.targetName });
      const shapes = await movingShapes(ctx);
      const link = forwardLink(ctx, shapes);
      link.write = { write: 'load-data', why: 'test' };
      const products = shapes.get('products')!;
      // another loader's chunk starts at key 300 and has not committed: its first row is locked
      await other.query("SET SESSION tx_isolation = 'READ-COMMITTED', foreign_key_checks = 0");
      await other.query('BEGIN');
      await other.query(`INSERT INTO products (${columnList(products)}) SELECT ${columnList(products)} FROM \`${pair.source.name}\`.products WHERE id = 300`);
      // the old DELETE of (-inf, 299] read key 300 with a lock and waited for that commit (lock wait timeout: 50 s)
      const load = loadChunk(link, products, null, intKeyText(299n), NO_FAULTS);
      load.catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([load.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 10_000)))]);
      clearTimeout(timer);
      expect(waited, 'the chunk waited for the other loader\'s transaction').to.equal(false);
      expect(await load).to.equal(299);
      await other.query('COMMIT');
      expect(await compareAll(pair.source.knex, pair.source.name, pair.target, pair.targetName, ['products'])).to.deep.equal([]);
    } finally {
      await other?.end().catch(() => other?.destroy());
      await closeContext(ctx);
      await pair.drop();
    }
  });
});
