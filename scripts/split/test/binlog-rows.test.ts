import { expect } from 'chai';
import ZongJi from '@vlasky/zongji';
import mysql from 'mysql2/promise';
import { dropDatabase, ensureDatabase, withDatabase } from '../../../lib/db.ts';
import { uniqueName } from '../../../test/helpers/db.ts';
import type { MariaDbServer } from '../../../test/helpers/mariadb-server.ts';
import { binlogServer } from './helpers.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { columnPlan, DECODE, installKeyRows, KEY_COLUMNS, widthAt, type KeyColumns } from '../lib/binlog-rows.ts';
import { flushTexts, gtidAt, masterPos, BinlogPump, positionTable } from '../lib/binlog.ts';
import { digitsHex } from '../lib/binlog-keys.ts';
import type { BinlogPos } from '../lib/binlog-keys.ts';
import { openSide } from '../lib/side.ts';
import { readCatalog } from '../lib/context.ts';
import { changelogTable, q } from '../lib/sql.ts';
import { ensureMachinery } from '../lib/capture.ts';
import { initCapturePos } from '../lib/binlog.ts';

describe('binlog key-only rows: pure parts', () => {
  it('steps over length-coded, prefixed and fixed values; leaves unknown types to the full decoder', () => {
    const b = Buffer.from([3, 1, 2, 3, 0xfc, 0x00, 0x01]);
    expect(widthAt(-20, b, 0)).to.equal(4); // length-coded 3
    expect(widthAt(-20, b, 4)).to.equal(3 + 256); // 0xfc: 2-byte length 256
    expect(widthAt(-12, Buffer.from([0x10, 0x01]), 0)).to.equal(2 + 0x110); // 2-byte little-endian length prefix
    expect(widthAt(7, b, 0)).to.equal(7);
    expect(columnPlan({ type: 0 }, '')).to.equal(DECODE); // old DECIMAL: zongji reports it itself
    expect(columnPlan({ type: 14 }, '')).to.equal(DECODE); // NEWDATE
    expect(columnPlan({ type: 246, metadata: { precision: 65, decimals: 30 } }, 'decimal(65,30)')).to.equal(30);
    expect(columnPlan({ type: 246, metadata: { precision: 5, decimals: 2 } }, 'decimal(5,2)')).to.equal(3);
    expect(columnPlan({ type: 18, metadata: { decimals: 5 } }, 'datetime(5)')).to.equal(8);
    expect(columnPlan({ type: 12 }, 'datetime(4)')).to.equal(7); // MariaDB hires DATETIME(4)
    expect(columnPlan({ type: 12 }, 'datetime')).to.equal(8);
    expect(columnPlan({ type: 15, metadata: { max_length: 255 } }, 'varchar(255)')).to.equal(-11);
    expect(columnPlan({ type: 15, metadata: { max_length: 256 } }, 'varchar(64)')).to.equal(-12);
  });
});

describe('binlog capture: cheaper per-event and per-flush steps (pure)', () => {
  it('an integer key\'s hex is its ASCII text\'s, as Buffer prints it', () => {
    for (const n of ['0', '-1', '7', '1234567890', '-9223372036854775808', '18446744073709551615', String(Number.MAX_SAFE_INTEGER)]) {
      expect(digitsHex(n), n).to.equal(Buffer.from(n, 'ascii').toString('hex').toUpperCase());
    }
  });

  it('a flush is one multi-statement text (one round trip) in transaction order, split only past the size bound', () => {
    const lits = new Map([['p', "'p'"]]);
    const keys = new Map([['p', new Set(['["31"]', '["32"]'])], ['o', new Set(['["33"]'])]]);
    const [one, ...rest] = flushTexts('_split_s_changelog', lits, keys, 'UPDATE pos SET pos = 4 WHERE id = 1');
    expect(rest).to.deep.equal([]);
    expect(one.split(';')).to.deep.equal(['START TRANSACTION', `INSERT INTO \`_split_s_changelog\` (tbl, pk) VALUES ('p','["31"]'),('p','["32"]'),('o','["33"]')`, 'UPDATE pos SET pos = 4 WHERE id = 1', 'COMMIT']);
    // no keys: the position alone, still in a transaction
    expect(flushTexts('c', lits, new Map(), 'U')).to.deep.equal(['START TRANSACTION;U;COMMIT']);
    // 1,200 keys: three INSERTs of at most 500 rows; a small bound splits them over texts, order kept
    const many = new Map([['p', new Set(Array.from({ length: 1200 }, (_, i) => `["${digitsHex(String(i))}"]`))]]);
    const whole = flushTexts('c', lits, many, 'U');
    expect(whole).to.have.length(1);
    const parts = flushTexts('c', lits, many, 'U', 8000);
    expect(parts.length).to.be.greaterThan(2);
    expect(parts.join(';')).to.equal(whole[0]);
    expect(whole[0].split(';').map((x) => x.split(' (')[0])).to.deep.equal(['START TRANSACTION', 'INSERT INTO `c`', 'INSERT INTO `c`', 'INSERT INTO `c`', 'U', 'COMMIT']);
    expect(whole[0].split(';')[3].split('),(').length).to.equal(200);
  });
});

const ENUM300 = Array.from({ length: 300 }, (_, i) => `'e${i}'`).join(',');
const SET64 = Array.from({ length: 64 }, (_, i) => `'s${i}'`).join(',');
const SET20 = Array.from({ length: 20 }, (_, i) => `'s${i}'`).join(',');
const SET40 = Array.from({ length: 40 }, (_, i) => `'s${i}'`).join(',');

/** Every column type MariaDB logs, with 1- and 2-byte lengths, every fraction width and the multi-byte ENUM/SET sizes. */
const WIDE = `id INT NOT NULL PRIMARY KEY,
  ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, i INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, f FLOAT, d DOUBLE,
  d1 DECIMAL(1,0), d5 DECIMAL(5,2), d9 DECIMAL(9,9), d10 DECIMAL(10,1), d18 DECIMAL(18,9), d20 DECIMAL(20,0), d65 DECIMAL(65,30), d38 DECIMAL(38,38),
  y YEAR, dd DATE, t0 TIME, t1 TIME(1), t3 TIME(3), t6 TIME(6), dt0 DATETIME, dt1 DATETIME(1), dt2 DATETIME(2), dt3 DATETIME(3), dt4 DATETIME(4), dt5 DATETIME(5), dt6 DATETIME(6),
  ts0 TIMESTAMP NULL DEFAULT NULL, ts3 TIMESTAMP(3) NULL DEFAULT NULL, ts5 TIMESTAMP(5) NULL DEFAULT NULL, ts6 TIMESTAMP(6) NULL DEFAULT NULL,
  b1 BIT(1), b9 BIT(9), b64 BIT(64),
  e ENUM('a','b'), e300 ENUM(${ENUM300}), s SET('a','b','c'), s20 SET(${SET20}), s40 SET(${SET40}), s64 SET(${SET64}),
  c CHAR(3) CHARACTER SET latin1, cu CHAR(100) CHARACTER SET utf8mb4, vc VARCHAR(255) CHARACTER SET latin1, vc256 VARCHAR(256) CHARACTER SET latin1,
  vu63 VARCHAR(63) CHARACTER SET utf8mb4, vu VARCHAR(64) CHARACTER SET utf8mb4, bin BINARY(16), vb VARBINARY(300),
  tt TINYTEXT CHARACTER SET utf8mb4, tx TEXT CHARACTER SET latin1, mt MEDIUMTEXT CHARACTER SET utf8mb4, lt LONGTEXT CHARACTER SET utf8mb4,
  tb TINYBLOB, bl BLOB, mb MEDIUMBLOB, lb LONGBLOB, j JSON, g GEOMETRY, pt POINT,
  u UUID, i4 INET4, i6 INET6, vcc VARCHAR(100) CHARACTER SET utf8mb4 COMPRESSED, blc BLOB COMPRESSED,
  gen BIGINT AS (id * 2) STORED, last INT`;

const FULL_ROW = (id: number) => `(${id}, -128, 255, -32768, -8388608, 4294967295, -9223372036854775808, 18446744073709551615, 1.5e0, -2.25e0,
  -9, -999.99, 0.123456789, 123456789.5, -123456789.123456789, 99999999999999999999, '-99999999999999999999999999999999999.999999999999999999999999999999', 0.12345678901234567890123456789012345678,
  2155, '9999-12-31', '-838:59:59', '-838:59:58.9', '12:34:56.789', '-00:00:00.000001', '9999-12-31 23:59:59', '2024-01-02 03:04:05.1', '2024-01-02 03:04:05.12',
  '2024-01-02 03:04:05.123', '2024-01-02 03:04:05.1234', '2024-01-02 03:04:05.12345', '0000-00-00 00:00:00.000000',
  '2038-01-19 03:14:07', '2001-02-03 04:05:06.789', '2001-02-03 04:05:06.78901', '2001-02-03 04:05:06.000001',
  b'1', b'101010101', b'1111111111111111111111111111111111111111111111111111111111111111',
  'b', 'e299', 'a,c', 's0,s19', 's0,s39', 's0,s31,s32,s63',
  'ab ', REPEAT('é', 100), REPEAT('x', 255), REPEAT('y', 256), REPEAT('😀', 63), REPEAT('😀', 64), x'00FF00FF00FF00FF00FF00FF00FF0000', REPEAT(x'00', 300),
  REPEAT('z', 255), REPEAT('t', 70000 - 5535), REPEAT('m', 70000), REPEAT('l', 70001), REPEAT(x'01', 255), REPEAT(x'02', 300), REPEAT(x'03', 70000), REPEAT(x'04', 1000),
  '{"a": [1, 2.5, "x", null, true], "b": {"c": 18446744073709551615}}', ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))'), POINT(1.5, -2),
  '123e4567-e89b-12d3-a456-426614174000', '192.168.0.1', '2001:db8::1', REPEAT('c', 100), REPEAT(x'05', 500), DEFAULT, ${id})`;

/** MariaDB 5.3 "hires" TIME/DATETIME/TIMESTAMP (a table made with mysql56_temporal_format=OFF). */
const HIRES = `id INT NOT NULL PRIMARY KEY, t0 TIME, t2 TIME(2), t6 TIME(6), dt0 DATETIME, dt1 DATETIME(1), dt4 DATETIME(4), dt6 DATETIME(6),
  ts0 TIMESTAMP NULL DEFAULT NULL, ts2 TIMESTAMP(2) NULL DEFAULT NULL, ts5 TIMESTAMP(5) NULL DEFAULT NULL, last INT`;

interface Got {
  table: string;
  rows: unknown[];
}

/** Row events of `db` between two positions, read with zongji (`pick` set: key-only rows for what it names). */
async function readRows(server: MariaDbServer, db: string, from: BinlogPos, to: BinlogPos, pick?: KeyColumns): Promise<Got[]> {
  installKeyRows();
  const z = new ZongJi({ host: '127.0.0.1', port: server.port, user: 'root', dateStrings: true });
  if (pick) (z as unknown as { [KEY_COLUMNS]: KeyColumns })[KEY_COLUMNS] = pick;
  const got: Got[] = [];
  let at = 0;
  let failed: Error | null = null;
  z.on('error', (e: Error) => (failed = e));
  z.on('binlog', (e: { getEventName(): string; nextPosition: number; tableId?: number; tableMap?: Record<number, { tableName: string }>; rows?: unknown[] }) => {
    const n = e.getEventName();
    if (n === 'writerows' || n === 'updaterows' || n === 'deleterows') got.push({ table: `${n} ${e.tableMap![e.tableId!].tableName}`, rows: e.rows! });
    if (e.nextPosition) at = e.nextPosition;
  });
  z.start({ filename: from.file, position: from.pos, serverId: 0x50000000 + Math.floor(Math.random() * 0x0fffffff), includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query'], includeSchema: { [db]: true } });
  try {
    await waitFor(() => {
      if (failed) throw failed;
      return at >= to.pos;
    }, { timeoutMs: 20_000, what: 'the reader to pass the writes' });
  } finally {
    await new Promise<void>((resolve) => {
      z.once('stopped', () => resolve());
      z.stop();
    });
  }
  if (failed) throw failed;
  return got;
}

describe('binlog key-only rows against a real server @integration', function () {
  this.timeout(120_000);
  const server = binlogServer();

  it('decodes the chosen columns exactly as zongji does and steps over every other type to the same row boundaries (all types, NULLs, multi-row events, key changes, FULL/MINIMAL/NOBLOB images, hires temporals)', async () => {
    const db = uniqueName('binlog_rows');
    const dsn = withDatabase(server().dsn(), db);
    await ensureDatabase(dsn);
    const app = await mysql.createConnection({ host: '127.0.0.1', port: server().port, user: 'root', database: db, charset: 'utf8mb4' });
    try {
      await app.query("SET SESSION sql_mode = ''");
      await app.query(`CREATE TABLE w (${WIDE}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
      const [[fmt]] = (await app.query('SELECT @@GLOBAL.mysql56_temporal_format AS f')) as unknown as [[{ f: number }]];
      await app.query('SET GLOBAL mysql56_temporal_format = OFF');
      try {
        await app.query(`CREATE TABLE h (${HIRES}) ENGINE=InnoDB`);
      } finally {
        await app.query(`SET GLOBAL mysql56_temporal_format = ${Number(fmt.f) ? 'ON' : 'OFF'}`);
      }
      const from = await masterPos(openSideOnce(dsn));
      // multi-row insert: all NULLs but the key, every type at an edge, then a few more
      await app.query(`INSERT INTO w (id) VALUES (1)`);
      await app.query(`INSERT INTO w VALUES ${FULL_ROW(2)}, ${FULL_ROW(3)}, ${FULL_ROW(4)}`);
      await app.query(`INSERT INTO w (id, last, mt, j) VALUES (5, 5, '', '[]'), (6, NULL, NULL, 'null')`);
      // updates: the key changes, NULLs come and go, a long value shrinks; a multi-row update
      await app.query('UPDATE w SET id = 20, vc = NULL, mt = \'short\' WHERE id = 2');
      await app.query('UPDATE w SET ti = 1, vu = \'x\', b64 = NULL WHERE id IN (3, 4, 5)');
      await app.query('UPDATE w SET id = id + 100 WHERE id IN (1, 6)');
      await app.query('DELETE FROM w WHERE id IN (3, 101)');
      // partial images: MINIMAL (before image = key, after image = changed columns) and NOBLOB
      await app.query("SET SESSION binlog_row_image = 'MINIMAL'");
      await app.query('UPDATE w SET vc256 = \'m\', id = 30 WHERE id = 4');
      await app.query('UPDATE w SET lb = x\'AA\' WHERE id = 30');
      await app.query(`INSERT INTO w VALUES ${FULL_ROW(7)}`);
      await app.query('DELETE FROM w WHERE id = 5');
      await app.query("SET SESSION binlog_row_image = 'NOBLOB'");
      await app.query('UPDATE w SET si = 2, bl = x\'BB\' WHERE id IN (7, 20)');
      await app.query('DELETE FROM w WHERE id = 7');
      await app.query("SET SESSION binlog_row_image = 'FULL'");
      await app.query(`INSERT INTO h VALUES (1, '-838:59:59', '12:34:56.78', '-00:00:00.000001', '2024-01-02 03:04:05', '2024-01-02 03:04:05.1', '9999-12-31 23:59:59.9999', '0000-00-00 00:00:00.000000',
        '2038-01-19 03:14:07', '2001-02-03 04:05:06.78', '2001-02-03 04:05:06.00001', 1), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2)`);
      await app.query('UPDATE h SET id = 3, dt4 = \'2000-01-01 00:00:00.0001\' WHERE id = 1');
      const to = await masterPos(openSideOnce(dsn));

      const ref = await readRows(server(), db, from, to);
      expect(ref.map((g) => g.table)).to.include.members(['writerows w', 'updaterows w', 'deleterows w', 'writerows h', 'updaterows h']);
      expect(ref.filter((g) => g.table === 'writerows w').some((g) => g.rows.length >= 2), 'a multi-row event').to.equal(true);
      const cols = (t: string) => Object.keys((ref.find((g) => g.table.endsWith(` ${t}`) && g.table.startsWith('write'))!.rows[0]) as Record<string, unknown>);
      const names = { w: cols('w'), h: cols('h') };
      // the columns decoded per pass: odd positions, even positions, the first only (every later column stepped
      // over to the next row), the last only (every earlier column stepped over), none
      const passes: Array<[string, (n: string[]) => string[]]> = [
        ['odd', (n) => n.filter((_, i) => i % 2 === 1)],
        ['even', (n) => n.filter((_, i) => i % 2 === 0)],
        ['first', (n) => n.slice(0, 1)],
        ['last', (n) => n.slice(-1)],
        ['none', () => []],
      ];
      const image = (r: unknown) => (r && typeof r === 'object' && 'before' in r ? [(r as { before: unknown; after: unknown }).before, (r as { before: unknown; after: unknown }).after] : [r]) as Array<Record<string, unknown>>;
      for (const [label, choose] of passes) {
        const sets = { w: new Set(choose(names.w)), h: new Set(choose(names.h)) };
        const got = await readRows(server(), db, from, to, (m) => (m.parentSchema === db ? sets[m.tableName as 'w' | 'h'] : undefined));
        expect(got.map((g) => g.table), label).to.deep.equal(ref.map((g) => g.table));
        got.forEach((g, e) => {
          const t = g.table.split(' ')[1] as 'w' | 'h';
          expect(g.rows.length, `${label}: rows of event ${e}`).to.equal(ref[e].rows.length);
          g.rows.forEach((r, k) => {
            const want = image(ref[e].rows[k]);
            image(r).forEach((img, x) => {
              expect(Object.keys(img).sort(), `${label}: columns decoded`).to.deep.equal([...sets[t]].sort());
              for (const c of sets[t]) expect(img[c], `${label}: ${g.table} event ${e} row ${k} image ${x} column ${c}`).to.deep.equal(want[x][c]);
            });
          });
        });
      }
    } finally {
      await app.end();
      for (const s of opened.splice(0)) await s.knex.destroy();
      await dropDatabase(dsn);
    }
  });

  it('the reader decodes only the key columns of the moved tables (the other columns never reach it)', async () => {
    const db = uniqueName('binlog_rows');
    const dsn = withDatabase(server().dsn(), db);
    await ensureDatabase(dsn);
    const side = openSide(dsn);
    try {
      await side.knex.raw('CREATE TABLE p (a INT NOT NULL, name VARCHAR(40), price DECIMAL(12,2), b VARBINARY(4) NOT NULL, at DATETIME(6), PRIMARY KEY (a, b)) ENGINE=InnoDB');
      const shapes = (await readCatalog(side, ['p'])).shapes;
      await ensureMachinery(side, 'br', false);
      await initCapturePos(side, 'br');
      const pump = new BinlogPump(side, 'br', shapes);
      const seen: Array<Record<string, unknown>> = [];
      const onEvent = (pump as unknown as { onEvent(e: { getEventName(): string; rows?: Array<Record<string, unknown>> }): void }).onEvent.bind(pump);
      (pump as unknown as { onEvent: typeof onEvent }).onEvent = (e) => {
        const n = e.getEventName();
        if (n === 'writerows' || n === 'deleterows') seen.push(...e.rows!);
        if (n === 'updaterows') for (const r of e.rows!) seen.push(r.before as Record<string, unknown>, r.after as Record<string, unknown>);
        onEvent(e);
      };
      await pump.start();
      try {
        await side.knex.raw("INSERT INTO p VALUES (1, 'one', 1.50, x'01', NOW(6)), (2, 'two', 2.50, x'', NOW(6))");
        await side.knex.raw("UPDATE p SET a = 3, name = 'three' WHERE a = 1");
        await side.knex.raw('DELETE FROM p WHERE a = 2');
        await pump.waitFor(await masterPos(side), 20_000);
        expect(seen.map((r) => Object.keys(r).sort().join(','))).to.deep.equal(Array(5).fill('a,b'));
        const [rows] = await side.knex.raw(`SELECT pk FROM ${q(changelogTable('br'))} ORDER BY seq`);
        // keys read between two flushes are logged once
        expect([...new Set((rows as Array<{ pk: string }>).map((r) => r.pk))].sort()).to.deep.equal(['["31","01"]', '["32",""]', '["33","01"]']);
      } finally {
        await pump.stop();
      }
    } finally {
      await side.knex.destroy();
      await dropDatabase(dsn);
    }
  });

  it('binlog_row_image=MINIMAL: an update that leaves the key alone logs its key (the after image lacks it; it used to stop the reader: "a key column is NULL")', async () => {
    const db = uniqueName('binlog_rows');
    const dsn = withDatabase(server().dsn(), db);
    await ensureDatabase(dsn);
    const side = openSide(dsn, 1);
    try {
      await side.knex.raw('CREATE TABLE m (a INT NOT NULL, b VARBINARY(4) NOT NULL, v INT, PRIMARY KEY (a, b)) ENGINE=InnoDB');
      await side.knex.raw("INSERT INTO m VALUES (1, x'01', 1), (2, x'02', 2)");
      const shapes = (await readCatalog(side, ['m'])).shapes;
      await ensureMachinery(side, 'bm', false);
      await initCapturePos(side, 'bm');
      for (const keyOnlyRows of [true, false]) {
        await side.knex.raw(`DELETE FROM ${q(changelogTable('bm'))}`);
        const pump = new BinlogPump(side, 'bm', shapes);
        pump.keyOnlyRows = keyOnlyRows;
        await pump.start();
        try {
          await side.knex.transaction(async (tx) => {
            await tx.raw("SET SESSION binlog_row_image = 'MINIMAL'");
            await tx.raw('UPDATE m SET v = v + 1 WHERE a = 1'); // no key column in the after image
            await tx.raw('UPDATE m SET a = 3 WHERE a = 2'); // one of the two key columns in it
            await tx.raw("SET SESSION binlog_row_image = 'FULL'");
          });
          await pump.waitFor(await masterPos(side), 20_000);
          expect(pump.error, `keyOnlyRows ${keyOnlyRows}`).to.equal(null);
          const [rows] = await side.knex.raw(`SELECT pk FROM ${q(changelogTable('bm'))} ORDER BY seq`);
          expect([...new Set((rows as Array<{ pk: string }>).map((r) => r.pk))].sort(), `keyOnlyRows ${keyOnlyRows}`).to.deep.equal(['["31","01"]', '["32","02"]', '["33","02"]']);
        } finally {
          await pump.stop();
        }
        // the next round reads from where this one stopped
        await side.knex.raw('UPDATE m SET a = 2 WHERE a = 3');
        await initCapturePos(side, 'bm');
        // (with that point's GTID position: a resume checks the offset against it)
        const end = await masterPos(side);
        await side.knex.raw(`UPDATE ${q(positionTable('bm'))} SET file = ?, pos = ?, gtid = ? WHERE id = 1`, [end.file, end.pos, await gtidAt(side, end)]);
      }
    } finally {
      await side.knex.destroy();
      await dropDatabase(dsn);
    }
  });
});

const opened: Array<ReturnType<typeof openSide>> = [];
function openSideOnce(dsn: string): ReturnType<typeof openSide> {
  const s = opened.find((x) => x.dsn === dsn) ?? openSide(dsn);
  if (!opened.includes(s)) opened.push(s);
  return s;
}
