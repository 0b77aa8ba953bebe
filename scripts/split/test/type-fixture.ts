import mysql from 'mysql2/promise';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKnex, dropDatabase, ensureDatabase, parseMysqlDsn, withDatabase, type Knex } from '../../../lib/db.ts';
import { testServerDsn, uniqueName } from '../../../test/helpers/db.ts';
import { openContext, type SplitContext } from '../lib/context.ts';
import { parseManifest, resolveService, type Manifest } from '../lib/manifest.ts';
import { validateOptions, type SplitOptions } from '../lib/options.ts';

/**
 * A table per type family filled with edge values, shared by the type matrix
 * and the verify-corruption test. The DDL is created on both sides (the target
 * tables empty; their secondary keys are what the stream copy defers and
 * builds again — deferred-indexes.ts — the VIRTUAL-column one stays); seeding runs with sql_mode '' so ENUM's '' error value and
 * zero dates can be written the way an old application wrote them.
 */
export const MATRIX_DDL: Record<string, string> = {
  m_int: `CREATE TABLE m_int (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
    bi BIGINT, bu BIGINT UNSIGNED, d DECIMAL(65,30), d2 DECIMAL(12,2) NOT NULL DEFAULT 0, KEY ix_d (d, bu))`,
  m_float: `CREATE TABLE m_float (id INT NOT NULL PRIMARY KEY, f FLOAT, d DOUBLE, fm FLOAT(7,3), dm DOUBLE(20,6))`,
  m_bits: `CREATE TABLE m_bits (id INT NOT NULL PRIMARY KEY, b1 BIT(1), b7 BIT(7), b64 BIT(64),
    e ENUM('x','','2','1'), s SET('a','b','c','1'))`,
  m_text: `CREATE TABLE m_text (id INT NOT NULL PRIMARY KEY,
    u VARCHAR(300) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci, l VARCHAR(300) CHARACTER SET latin1 COLLATE latin1_swedish_ci,
    c CHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci, lt TEXT CHARACTER SET latin1, ut LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    KEY ix_l (l), KEY ix_u (u(20), c))
    DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  m_bin: `CREATE TABLE m_bin (id INT NOT NULL PRIMARY KEY, b BINARY(16), vb VARBINARY(300), bl BLOB, lb LONGBLOB)`,
  m_json: `CREATE TABLE m_json (id INT NOT NULL PRIMARY KEY, j JSON) DEFAULT CHARSET=utf8mb4`,
  m_time: `CREATE TABLE m_time (id INT NOT NULL PRIMARY KEY, d DATE, dt DATETIME(6), dt0 DATETIME, ts TIMESTAMP(6) NULL DEFAULT NULL,
    t TIME(6), y YEAR, KEY ix_dt (dt, t))`,
  m_gen: `CREATE TABLE m_gen (id INT NOT NULL PRIMARY KEY, a INT, b VARCHAR(20) CHARACTER SET utf8mb4,
    s BIGINT AS (a * 2) STORED, v VARCHAR(40) CHARACTER SET utf8mb4 AS (CONCAT(b, '!')) VIRTUAL, f DOUBLE AS (a / 3) VIRTUAL,
    KEY ix_s (s), KEY ix_v (v))`,
  m_pair: `CREATE TABLE m_pair (id INT NOT NULL PRIMARY KEY, v VARCHAR(20) CHARACTER SET latin1, n INT NOT NULL)`,
};
export const MATRIX_TABLES = Object.keys(MATRIX_DDL);

/** JS shortest text of a double is exact; make it a DOUBLE literal. */
export function dbl(x: number): string {
  const s = Object.is(x, -0) ? '-0' : String(x);
  return /[e.]/.test(s) ? (s.includes('e') ? s : `${s}e0`) : `${s}e0`;
}

/** Deterministic pseudo-random bit patterns (xorshift). */
function* bits(seed: number): Generator<number> {
  let x = seed >>> 0 || 1;
  for (;;) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    yield x >>> 0;
  }
}

export function seedStatements(): string[] {
  const out: string[] = [];
  out.push(`INSERT INTO m_int VALUES
    (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    (1, -128, 255, -32768, 16777215, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615, '-99999999999999999999999999999999999.999999999999999999999999999999', '-9999999999.99'),
    (2, 127, 0, 32767, 0, 2147483647, 0, 9223372036854775807, 9007199254740993, '99999999999999999999999999999999999.999999999999999999999999999999', '9999999999.99'),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.01),
    (18446744073709551615, -1, 1, -1, 1, -1, 1, -1, 18446744073709551614, '0.000000000000000000000000000001', 0)`);
  const f: string[] = [
    `(1, 16777216e0, 0.1e0 + 0.2e0, 1.235, 0.1e0)`,
    `(2, 3.4028234663852886e38, 1.7976931348623157e308, -9999.999, -99999999999999.999999)`,
    `(3, -3.4028234663852886e38, -1.7976931348623157e308, 0, 0)`,
    `(4, 1.401298464324817e-45, 5e-324, NULL, NULL)`,
    `(5, 1.1754942106924411e-38, 2.2250738585072014e-308, 1.5, 2.5)`,
    `(6, 0.1e0, 9007199254740993e0, NULL, 123456.654321)`,
    `(7, 16777217e0, 1e0 / 3e0, NULL, NULL)`,
    `(8, -0e0, -0e0, NULL, NULL)`,
    `(9, NULL, NULL, NULL, NULL)`,
    `(10, 1e-40, 4.9406564584124654e-324, NULL, NULL)`,
  ];
  const g = bits(20261206);
  const buf = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 300; i++) {
    buf.setUint32(0, g.next().value as number);
    const fl = buf.getFloat32(0);
    buf.setUint32(0, g.next().value as number);
    buf.setUint32(4, g.next().value as number);
    const db = buf.getFloat64(0);
    f.push(`(${100 + i}, ${Number.isFinite(fl) ? dbl(fl) : 'NULL'}, ${Number.isFinite(db) ? dbl(db) : 'NULL'}, NULL, NULL)`);
  }
  out.push(`INSERT INTO m_float VALUES ${f.join(', ')}`);
  out.push(`INSERT INTO m_bits VALUES
    (1, b'1', b'1111111', b'1111111111111111111111111111111111111111111111111111111111111111', 'bogus', 'a,b,c,1'),
    (2, b'0', b'0', b'0', '', ''),
    (3, NULL, b'1010101', b'1000000000000000000000000000000000000000000000000000000000000001', '1', 'a,c'),
    (4, b'1', NULL, NULL, '2', '1'),
    (5, b'0', b'1', b'1', 'x', NULL),
    (6, NULL, NULL, NULL, NULL, 'b')`);
  const allHigh = Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i)).toString('hex');
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex');
  out.push(`INSERT INTO m_text VALUES
    (1, '한글 🎉👍🏽 é ñ', X'${allHigh}', 'a', X'${allHigh}', 'long 😀 text'),
    (2, 'trailing  ', 'trail  ', 'pad', 'x  ', ' lead'),
    (3, '', '', '', '', ''),
    (4, NULL, NULL, NULL, NULL, NULL),
    (5, 'back\\\\slash ''quote'' "dq" \\0 nul', X'5c27225c00', 'é', X'00ff', CONCAT('nul', CHAR(0), 'inside')),
    (6, 'A', 'A', 'A', 'a', 'A')`);
  out.push(`INSERT INTO m_bin VALUES
    (1, X'000102030405060708090a0b0c0d0e0f', X'${allBytes.slice(0, 600)}', X'${allBytes}', X'${allBytes}${allBytes}'),
    (2, X'ff000000000000000000000000000000', X'00', X'', X''),
    (3, X'00000000000000000000000000000000', X'', X'00', X'ff'),
    (4, NULL, NULL, NULL, NULL)`);
  out.push(`INSERT INTO m_json VALUES
    (1, '{"z": 1,   "a": {"nested": [1, 2.50, "문자열 😀"]}, "n": null, "e": "\\\\u00e9"}'),
    (2, '{"big": 123456789012345678901234567890, "tiny": 1e-400, "neg": -0.0, "exp": 1E+2}'),
    (3, '[]'),
    (4, NULL),
    (5, '"just a string with \\\\"quotes\\\\""'),
    (6, '{"b":1,"a":2}')`);
  out.push(`INSERT INTO m_time VALUES
    (1, '0000-00-00', '0000-00-00 00:00:00.000000', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', '-838:59:59.000000', 0000),
    (2, '2020-00-00', '2020-01-00 12:00:00.500000', '1000-01-01 00:00:00', '1970-01-01 00:00:01.000000', '838:59:59.999999', 1901),
    (3, '9999-12-31', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59', '2038-01-19 03:14:07.999999', '-00:00:00.000001', 2155),
    (4, '1000-01-01', '2024-02-29 23:59:59.000001', NULL, '2024-10-27 01:30:00.123456', '123:00:00.5', NULL),
    (5, NULL, NULL, NULL, NULL, NULL, 2000)`);
  out.push(`INSERT INTO m_pair VALUES (11, 'abcdefgh', 1), (12, 'zyxwvuts', 1), (13, 'pqrstuvw', 1)`);
  out.push(`INSERT INTO m_gen (id, a, b) VALUES (1, 1, 'x'), (2, NULL, NULL), (3, -2147483648, ''), (4, 7, '😀')`);
  return out;
}

export interface MatrixPair {
  sourceName: string;
  targetName: string;
  sourceDsn: string;
  targetDsn: string;
  source: Knex;
  target: Knex;
  manifest: Manifest;
  manifestPath: string;
  /** A session with sql_mode '' on the source, for writes as an old application made them. */
  loose(db: 'source' | 'target'): Promise<mysql.Connection>;
  context(opts?: Partial<SplitOptions>): SplitContext;
  drop(): Promise<void>;
}

/** Source on `sourceServer` (default the test server); target on `targetServer` (default the same; the second MariaDB server's DSN for cross-server runs; binlog capture: both on a server with the binlog on). */
export async function createMatrixPair(prefix: string, targetServer = testServerDsn(), sourceServer = testServerDsn()): Promise<MatrixPair> {
  const sourceName = uniqueName(`${prefix}_s`);
  const targetName = uniqueName(`${prefix}_t`);
  const sourceDsn = withDatabase(sourceServer, sourceName);
  const targetDsn = withDatabase(targetServer, targetName);
  await ensureDatabase(sourceDsn);
  await ensureDatabase(targetDsn);
  const conns: mysql.Connection[] = [];
  const loose = async (which: 'source' | 'target') => {
    const c = parseMysqlDsn(which === 'source' ? sourceDsn : targetDsn);
    const conn = await mysql.createConnection({ host: c.host, port: c.port, user: c.user, password: c.password, database: c.database, charset: 'utf8mb4' });
    await conn.query("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00', foreign_key_checks = 0");
    conns.push(conn);
    return conn;
  };
  const s = await loose('source');
  const t = await loose('target');
  for (const ddl of Object.values(MATRIX_DDL)) {
    await s.query(ddl);
    await t.query(ddl);
  }
  for (const stmt of seedStatements()) await s.query(stmt);
  const manifest = parseManifest({
    version: 1, source: sourceDsn,
    services: { product: { domain: 'product', target: targetDsn, migrations: 'product', tables: MATRIX_TABLES } },
  });
  const dir = await mkdtemp(join(tmpdir(), 'split-matrix-'));
  const manifestPath = join(dir, 'manifest.json');
  await writeFile(manifestPath, JSON.stringify(manifest));
  const source = createKnex(sourceDsn, { profile: 'move' });
  const target = createKnex(targetDsn, { profile: 'move' });
  return {
    sourceName, targetName, sourceDsn, targetDsn, source, target, manifest, manifestPath, loose,
    context(opts = {}) {
      return openContext({
        service: resolveService(manifest, 'product'),
        opts: validateOptions({ chunkSize: 50, minChunk: 20, maxChunk: 400, maxThreadsRunning: 0, verifyChunk: 100, verifyLeafRows: 20, freezeAbortMs: 5000, ...opts }),
      });
    },
    async drop() {
      await Promise.allSettled(conns.map((c) => c.end()));
      await Promise.allSettled([source.destroy(), target.destroy()]);
      await dropDatabase(sourceDsn);
      await dropDatabase(targetDsn);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Independent byte-exact checker (does not use the tool's select lists or
 * hashes): per side, HEX() of every column plus the ENUM/SET index; and a
 * cross-database join comparing every column with <=> (exact for FLOAT and
 * DOUBLE, whose HEX() is the rounded integer) and with BINARY text. Returns
 * one line per differing (table, id, column).
 */
export async function exactDifferences(k: Knex, sourceDb: string, targetDb: string, tables = MATRIX_TABLES, targetKnex?: Knex): Promise<string[]> {
  const out: string[] = [];
  for (const t of tables) {
    const [cols] = await k.raw('SELECT COLUMN_NAME AS n, DATA_TYPE AS dt FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [sourceDb, t]);
    const list = cols as Array<{ n: string; dt: string }>;
    // FLOAT/DOUBLE: HEX() is the rounded integer; their exact text (a float widens to a double exactly) as well
    const hexes = list.map((c) => `HEX(\`${c.n}\`) AS \`${c.n}\`${/enum|set/.test(c.dt) ? `, \`${c.n}\` + 0 AS \`${c.n}#\`` : ''}${/float|double/.test(c.dt) ? `, CAST(CAST(\`${c.n}\` AS DOUBLE) AS CHAR) AS \`${c.n}~\`` : ''}`).join(', ');
    const read = async (kk: Knex, db: string) => (await kk.raw(`SELECT ${hexes} FROM \`${db}\`.\`${t}\` ORDER BY id`))[0] as Array<Record<string, unknown>>;
    const [a, b] = await Promise.all([read(k, sourceDb), read(targetKnex ?? k, targetDb)]);
    const bm = new Map(b.map((r) => [String(r.id), r]));
    for (const r of a) {
      const o = bm.get(String(r.id));
      if (!o) {
        out.push(`${t} ${r.id}: missing on target`);
        continue;
      }
      bm.delete(String(r.id));
      for (const key of Object.keys(r)) if (String(r[key]) !== String(o[key])) out.push(`${t} ${r.id} ${key}: ${String(r[key]).slice(0, 40)} vs ${String(o[key]).slice(0, 40)}`);
    }
    for (const id of bm.keys()) out.push(`${t} ${id}: extra on target`);
    // the cross-database <=> join needs both databases on one server
    if (targetKnex) continue;
    const neq = list.map((c) => `NOT (s.\`${c.n}\` <=> t.\`${c.n}\`) OR NOT (BINARY CONCAT(s.\`${c.n}\`) <=> BINARY CONCAT(t.\`${c.n}\`))`).join(' OR ');
    const [rows] = await k.raw(`SELECT s.id AS id FROM \`${sourceDb}\`.\`${t}\` s JOIN \`${targetDb}\`.\`${t}\` t ON t.id = s.id WHERE ${neq} ORDER BY s.id`);
    for (const r of rows as Array<{ id: string }>) {
      const [[detail]] = await k.raw(`SELECT ${list.map((c) => `CONCAT_WS(' vs ', CAST(s.\`${c.n}\` AS CHAR), CAST(t.\`${c.n}\` AS CHAR), IF(s.\`${c.n}\` <=> t.\`${c.n}\`, 'eq', 'NE')) AS \`${c.n}\``).join(', ')} FROM \`${sourceDb}\`.\`${t}\` s JOIN \`${targetDb}\`.\`${t}\` t ON t.id = s.id WHERE s.id = ?`, [r.id]);
      out.push(`${t} ${r.id} (<=>): ${JSON.stringify(detail).slice(0, 300)}`);
    }
  }
  return out;
}
