/**
 * The target's side of the cross-server copy alone (issue #16): the seeded products read once and encoded as the
 * LOAD DATA text the copy sends (load-data.ts), kept in memory, then loaded into fresh tables on a second mariadbd
 * in rounds, each variant timed:
 *   concurrent-pk / concurrent-allkeys  four LOAD DATA … REPLACE statements in flight, one transaction each (the copy)
 *   bulk-pk / bulk-allkeys              the four in one transaction under unique_checks=0, foreign_key_checks=0
 *                                       (InnoDB's bulk-insert path for an empty table)
 *   bulkplain-pk / bulkplain-allkeys    the same without REPLACE
 * `-pk`: the target's non-unique secondary keys dropped first (as --defer-indexes does).
 *
 *   SPLIT_BENCH_SERVER_ARGS=--innodb-autoinc-lock-mode=2 node scripts/bench/_split-load-probe.ts 300000 [variant,…]
 *
 * A tool to look with, not a benchmark of record (docs/split.md "Benchmark", 2026-12-07).
 */
import mysql from 'mysql2/promise';
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { createKnex, ensureDatabase, parseMysqlDsn } from '../../lib/db.ts';
import { migrateLatest } from '../../lib/migrate.ts';
import { shapeOf, tableInfo } from '../split/lib/introspect.ts';
import { encodeRows, loadDataSql, loadSelectList } from '../split/lib/load-data.ts';
import { openProbe } from './_split-probe-lib.ts';

const rows = Number(process.argv[2] ?? 300000);
const variants = (process.argv[3] ?? 'concurrent-pk,bulk-pk,bulkplain-pk,bulkplain-allkeys').split(',');
const PARTS = 4;
const log = (s: string) => process.stderr.write(s + '\n');

const probe = await openProbe('load_probe', rows);
try {
  const shape = shapeOf(await tableInfo(probe.src, probe.srcDb, 'products'));
  const [data] = (await probe.src.raw(`SELECT ${loadSelectList(shape.columns)} FROM products ORDER BY id`).options({ rowsAsArray: true, typeCast: false })) as unknown as [Array<Array<Buffer | null>>];
  const per = Math.ceil(data.length / PARTS);
  const chunks: Buffer[][] = [];
  for (let i = 0; i < PARTS; i++) {
    const pieces: Buffer[] = [];
    for await (const b of encodeRows(shape.columns, data.slice(i * per, (i + 1) * per)).data) pieces.push(b as Buffer);
    chunks.push(pieces);
  }
  log(`rows ${data.length}, bytes ${chunks.flat().reduce((a, b) => a + b.length, 0)}, load ${loadavg()[0].toFixed(2)}`);
  const d = parseMysqlDsn(probe.second.dsn());
  const connect = () => mysql.createConnection({ host: d.host, port: d.port, user: d.user, password: d.password });
  const load = (c: mysql.Connection, db: string, i: number, plain: boolean) => {
    const sql = loadDataSql(db, shape, `split-db-chunk-probe${i}`);
    return c.query({ sql: plain ? sql.replace(' REPLACE INTO', ' INTO') : sql, infileStreamFactory: () => Readable.from(chunks[i]) } as mysql.QueryOptions);
  };
  // the product service's schema, its FKs dropped (the copy drops crossing ones), and with -pk its non-unique keys
  const fresh = async (db: string, dropSecondary: boolean) => {
    await ensureDatabase(probe.second.dsn(db));
    const k = createKnex(probe.second.dsn(db), { pool: { max: 1 } });
    try {
      await migrateLatest(k, 'product');
      await k.raw('SET foreign_key_checks = 0');
      const [fks] = await k.raw("SELECT CONSTRAINT_NAME AS n FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'products' AND CONSTRAINT_TYPE = 'FOREIGN KEY'", [db]);
      for (const f of fks as Array<{ n: string }>) await k.raw(`ALTER TABLE products DROP FOREIGN KEY \`${f.n}\``);
      if (!dropSecondary) return;
      const [ix] = await k.raw("SELECT DISTINCT INDEX_NAME AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'products' AND NON_UNIQUE = 1", [db]);
      for (const x of ix as Array<{ n: string }>) await k.raw(`ALTER TABLE products DROP INDEX \`${x.n}\``);
    } finally {
      await k.destroy();
    }
  };
  for (let round = 0; round < 2; round++) {
    for (const v of variants) {
      const db = `load_probe_${v.replace(/\W/g, '_')}_${round}`;
      await fresh(db, v.endsWith('-pk'));
      const t0 = performance.now();
      if (v.startsWith('concurrent')) {
        await Promise.all(chunks.map(async (_, i) => {
          const c = await connect();
          await c.query('SET foreign_key_checks = 0');
          await c.query('BEGIN');
          await load(c, db, i, false);
          await c.query('COMMIT');
          await c.end();
        }));
      } else {
        const c = await connect();
        await c.query('SET foreign_key_checks = 0, unique_checks = 0');
        await c.query('BEGIN');
        for (let i = 0; i < PARTS; i++) await load(c, db, i, v.startsWith('bulkplain'));
        await c.query('COMMIT');
        await c.end();
      }
      const ms = performance.now() - t0;
      const c = await connect();
      const [cnt] = (await c.query(`SELECT COUNT(*) AS n FROM \`${db}\`.products`)) as unknown as [Array<{ n: number }>];
      await c.query(`DROP DATABASE \`${db}\``);
      await c.end();
      log(`${v} round ${round}: ${ms.toFixed(0)} ms, ${((data.length / ms) * 1000).toFixed(0)} rows/s, ${cnt[0].n} rows on the target, load ${loadavg()[0].toFixed(2)}`);
    }
  }
} finally {
  await probe.close();
}
