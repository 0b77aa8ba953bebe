import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createKnex, dropDatabase, withDatabase, type Knex } from '../../../lib/db.ts';
import { createTestDatabase, testServerDsn, uniqueName, type TestDatabase } from '../../../test/helpers/db.ts';
import { startCommand, verifyCommand } from '../lib/commands.ts';
import { closeContext, openContext, readCatalog, type SplitContext } from '../lib/context.ts';
import { keyIn, keyTextExpr, rangeWhere } from '../lib/keys.ts';
import { parseManifest, resolveService, type Manifest } from '../lib/manifest.ts';
import { validateOptions } from '../lib/options.ts';
import { buildPlan } from '../lib/plan.ts';
import { start } from '../lib/start.ts';
import { mariaDbAvailable, sharedMariaDb, stopSharedMariaDb } from '../../../test/helpers/mariadb-server.ts';

/** Every moved table of the key matrix (migrations/split_keys), with its columns and key order for the independent check. */
const TABLES: Record<string, { cols: string[]; order: string }> = {
  k_int: { cols: ['id', 'v', 'n'], order: 'id' },
  k_uuid: { cols: ['id', 'v', 'n'], order: 'id' },
  k_bin: { cols: ['id', 'v', 'n'], order: 'id' },
  k_pair: { cols: ['a', 'b', 'v', 'n'], order: 'a, b' },
  k_triple: { cols: ['t', 's', 'x', 'v', 'n'], order: 't, s, x' },
  k_unique: { cols: ['code', 'alt', 'v', 'n'], order: 'code' },
};
const SEED_ROWS = 250;
const WRITER_OPS = 500;

const flipCase = (c: string) => `IF(BINARY ${c} = LOWER(${c}), UPPER(${c}), LOWER(${c}))`;

async function seed(k: Knex): Promise<void> {
  const ints = ['0', '9007199254740993', '18446744073709551615', ...Array.from({ length: SEED_ROWS }, (_, i) => String(i + 1))];
  await k.raw(`INSERT INTO k_int (id, v, n) VALUES ${ints.map(() => '(?, ?, 0)').join(',')}`, ints.flatMap((id) => [id, `int ${id}`]));
  const uuids = Array.from({ length: SEED_ROWS }, (_, i) => (i % 2 ? randomUUID().toUpperCase() : randomUUID()));
  await k.raw(`INSERT INTO k_uuid (id, v, n) VALUES ${uuids.map(() => '(?, ?, 0)').join(',')}`, uuids.flatMap((id) => [id, 'uuid']));
  const bins = [Buffer.alloc(16, 0), Buffer.alloc(16, 0xff), Buffer.concat([randomBytes(8), Buffer.alloc(8, 0)]), ...Array.from({ length: SEED_ROWS }, () => randomBytes(16))];
  await k.raw(`INSERT INTO k_bin (id, v, n) VALUES ${bins.map(() => '(?, ?, 0)').join(',')}`, bins.flatMap((id) => [id, 'bin']));
  const pairs: Array<[number, string]> = [[0, ''], [-3, 'b-😀'], [3, 'ß'], ...Array.from({ length: SEED_ROWS }, (_, i): [number, string] => [(i % 7) - 3, i % 3 ? `b${i}` : `B${i}x`])];
  await k.raw(`INSERT INTO k_pair (a, b, v, n) VALUES ${pairs.map(() => '(?, ?, ?, 0)').join(',')}`, pairs.flatMap(([a, b]) => [a, b, 'pair']));
  const triples: Array<[string, Buffer, string]> = [
    ['1000-01-01 00:00:00.000000', Buffer.alloc(0), '-99999999.99'], ['9999-12-31 23:59:59.999999', Buffer.from([0xff]), '99999999.99'],
    ...Array.from({ length: SEED_ROWS }, (_, i): [string, Buffer, string] => [`2024-0${(i % 9) + 1}-1${i % 10} 10:00:0${i % 10}.${String(i).padStart(6, '0')}`, randomBytes(i % 9), `${i % 2 ? '-' : ''}${i}.${String(i % 100).padStart(2, '0')}`]),
  ];
  await k.raw(`INSERT IGNORE INTO k_triple (t, s, x, v, n) VALUES ${triples.map(() => '(?, ?, ?, ?, 0)').join(',')}`, triples.flatMap(([t, s, x]) => [t, s, x, 'triple']));
  const codes = ['Ångström', 'zz', ...Array.from({ length: SEED_ROWS }, (_, i) => (i % 2 ? `c${i}` : `C${i}A`))];
  await k.raw(`INSERT INTO k_unique (code, alt, v, n) VALUES ${codes.map(() => '(?, ?, ?, 0)').join(',')}`, codes.flatMap((c, i) => [c, i % 3 ? null : i, 'unique']));
  await k.raw(`ANALYZE TABLE ${Object.keys(TABLES).join(', ')}`);
}

/**
 * A bounded application writer: inserts, updates, deletes and key-changing
 * updates (case-only ones among them) on random rows of every table.
 */
async function writeOps(k: Knex, ops: number, tag: number, done: { n: number }): Promise<void> {
  let seq = 0;
  const pickTable = () => Object.keys(TABLES)[Math.floor(Math.random() * 6)];
  for (let i = 0; i < ops; i++) {
    const t = pickTable();
    const r = Math.random();
    seq++;
    const id = `${tag}${String(seq).padStart(5, '0')}`;
    try {
      if (r < 0.25) {
        if (t === 'k_int') await k.raw('INSERT INTO k_int (id, v, n) VALUES (?, ?, 0)', [Math.random() < 0.2 ? `1844674407370955${id.slice(-4)}` : `7${id}`, 'new']);
        if (t === 'k_uuid') await k.raw('INSERT INTO k_uuid (id, v, n) VALUES (?, ?, 0)', [Math.random() < 0.5 ? randomUUID().toUpperCase() : randomUUID(), 'new']);
        if (t === 'k_bin') await k.raw('INSERT INTO k_bin (id, v, n) VALUES (?, ?, 0)', [randomBytes(16), 'new']);
        if (t === 'k_pair') await k.raw('INSERT INTO k_pair (a, b, v, n) VALUES (?, ?, ?, 0)', [seq % 5, `w${id}`, 'new']);
        if (t === 'k_triple') await k.raw('INSERT INTO k_triple (t, s, x, v, n) VALUES (?, ?, ?, ?, 0)', [`2030-01-01 00:00:00.${id.slice(-6)}`, randomBytes(seq % 9), `-${seq}.5`, 'new']);
        if (t === 'k_unique') await k.raw('INSERT INTO k_unique (code, alt, v, n) VALUES (?, NULL, ?, 0)', [`w${id}`, 'new']);
      } else if (r < 0.55) {
        await k.raw(`UPDATE ${t} SET v = ?, n = n + 1 ORDER BY RAND() LIMIT 1`, [`upd ${id}`]);
      } else if (r < 0.7) {
        await k.raw(`DELETE FROM ${t} ORDER BY RAND() LIMIT 1`);
      } else {
        // key-changing UPDATE; for case-insensitive keys half of them change only the case
        const flip = Math.random() < 0.5;
        if (t === 'k_int') await k.raw('UPDATE k_int SET id = ? ORDER BY RAND() LIMIT 1', [`8${id}`]);
        if (t === 'k_uuid') await k.raw(`UPDATE k_uuid SET id = ${flip ? flipCase('id') : 'UUID()'} ORDER BY RAND() LIMIT 1`);
        if (t === 'k_bin') await k.raw('UPDATE k_bin SET id = UNHEX(MD5(?)) ORDER BY RAND() LIMIT 1', [id]);
        if (t === 'k_pair') await k.raw(`UPDATE k_pair SET ${flip ? `b = ${flipCase('b')}` : 'a = a + 100'} ORDER BY RAND() LIMIT 1`);
        if (t === 'k_triple') await k.raw('UPDATE k_triple SET s = ? ORDER BY RAND() LIMIT 1', [randomBytes(8)]);
        if (t === 'k_unique') await k.raw(`UPDATE k_unique SET code = ${flip ? flipCase('code') : `CONCAT(LEFT(code, 10), '${id}')`} ORDER BY RAND() LIMIT 1`);
      }
      done.n++;
    } catch (err) {
      const errno = (err as { errno?: number }).errno;
      if (errno !== 1062 && errno !== 1213 && errno !== 1205) throw err;
    }
  }
}

/** Every column as hex, ordered by the key on each side's own server: the independent, exact comparison. */
async function dump(k: Knex, db: string, table: string): Promise<string[]> {
  const { cols, order } = TABLES[table];
  const [rows] = await k.raw(`SELECT CONCAT_WS('|', ${cols.map((c) => `IFNULL(HEX(${c}), 'NULL')`).join(', ')}) AS r FROM \`${db}\`.${table} ORDER BY ${order}`);
  return (rows as Array<{ r: string }>).map((x) => x.r);
}

async function explainType(k: Knex, sql: string): Promise<{ type: string; key: string | null }> {
  const [rows] = await k.raw(`EXPLAIN ${sql}`);
  const r = (rows as Array<{ type: string; key: string | null }>)[0];
  return { type: r.type, key: r.key };
}

const CASES = [
  { name: 'sql copy', copyMode: 'sql', tag: 1 },
  { name: 'stream copy', copyMode: 'stream', tag: 2 },
  { name: 'stream copy across two servers', copyMode: 'stream', tag: 3, second: true },
  // the source on the second server (binlog on), --capture binlog: keys come from the binlog's row images (binlog.ts)
  { name: 'stream copy, binlog capture', copyMode: 'stream', tag: 4, second: true, binlog: true },
] as const;

for (const c of CASES) {
  const { copyMode } = c;
  const binlog = 'binlog' in c;
  // every table moves in every case, binlog capture included (binlog-keys.ts decodes each key kind exactly; the
  // latin1 key of k_unique as its stored bytes)
  const moved = Object.keys(TABLES);
  describe(`split-db key matrix under a concurrent writer (${c.name}) @integration`, function () {
    this.timeout(120_000);
    let source: TestDatabase;
    let targetDsn: string;
    let target: Knex;
    let manifest: Manifest;
    let ctx: SplitContext;

    before(async function () {
      let server = testServerDsn();
      if ('second' in c) {
        if (!mariaDbAvailable()) this.skip();
        server = (await sharedMariaDb()).dsn();
      }
      source = await createTestDatabase(`keys_${copyMode}`, ['split_keys'], 'move', binlog ? server : undefined);
      await seed(source.knex);
      targetDsn = withDatabase(server, uniqueName(`keys_${copyMode}_t`));
      manifest = parseManifest({
        version: 1, source: source.dsn,
        services: {
          keys: { domain: 'product', target: targetDsn, migrations: 'split_keys', tables: moved },
          nokey: { domain: 'shop', target: withDatabase(testServerDsn(), uniqueName('nokey_t')), migrations: 'split_keys', tables: ['k_none'] },
        },
      });
      ctx = openContext({
        service: resolveService(manifest, 'keys'),
        opts: validateOptions({ copyMode, chunkSize: 20, minChunk: 20, maxChunk: 40, maxThreadsRunning: 0, verifyChunk: 100, verifyLeafRows: 10, maxRowsPerSecond: 1500, applyBatch: 50, ...(binlog ? { capture: 'binlog' } : {}) }),
      });
      target = createKnex(targetDsn, { profile: 'move' });
    });
    after(async () => {
      if (!ctx) return;
      await closeContext(ctx);
      await target.destroy();
      await source.drop();
      await dropDatabase(targetDsn);
      await dropDatabase(resolveService(manifest, 'nokey').targetDsn).catch(() => undefined);
    });

    it('reads every key kind from the catalogue; composite ranges and key lists are index range scans', async () => {
      const cat = await readCatalog(ctx.source, [...Object.keys(TABLES), 'k_none']);
      expect([...cat.shapes.keys()]).to.deep.equal(Object.keys(TABLES));
      expect(cat.shapes.get('k_unique')!.key.index).to.equal('uq_code');
      expect(cat.shapes.get('k_uuid')!.key.columns[0]).to.include({ kind: 'string', charset: 'utf8mb4', collation: 'utf8mb4_general_ci' });
      expect(cat.refusals.get('k_none')).to.match(/k_none: no primary key and no usable unique key \(unique key uq_a allows NULL in a\); add a PRIMARY KEY/);
      for (const t of ['k_triple', 'k_pair', 'k_uuid']) {
        const key = cat.shapes.get(t)!.key;
        const at = async (n: number) => String(((await source.knex.raw(`SELECT ${keyTextExpr(key)} AS k FROM ${t} ORDER BY ${TABLES[t].order} LIMIT 1 OFFSET ${n}`))[0] as Array<{ k: string }>)[0].k);
        const [lo, hi, a, b] = [await at(20), await at(60), await at(5), await at(90)];
        const range = await explainType(source.knex, `SELECT * FROM ${t} WHERE ${rangeWhere(key, lo, hi)} ORDER BY ${TABLES[t].order}`);
        expect(range, `${t} range`).to.deep.equal({ type: 'range', key: key.index });
        const list = await explainType(source.knex, `SELECT * FROM ${t} WHERE ${keyIn(key, [a, b])}`);
        expect(list, `${t} IN list`).to.deep.equal({ type: 'range', key: key.index });
        // the server's own order: exactly 40 keys in (lo, hi]
        const [[c]] = await source.knex.raw(`SELECT COUNT(*) AS n FROM ${t} WHERE ${rangeWhere(key, lo, hi)}`);
        expect(Number(c.n), `${t} rows in (lo, hi]`).to.equal(40);
      }
    });

    it('start → concurrent inserts, updates, deletes and key changes (case-only ones too) → drain: both sides equal byte for byte', async () => {
      const done = { n: 0 };
      const app = createKnex(source.dsn, { pool: { min: 1, max: 3 } });
      try {
        const writing = writeOps(app, WRITER_OPS, c.tag, done);
        const r = await start(ctx);
        if (copyMode === 'stream') expect(r.state.copyPath).to.match(/^stream: LOAD DATA LOCAL INFILE/);
        expect(r.state.capture?.mode).to.equal(binlog ? 'binlog' : 'triggers');
        const duringCopy = done.n;
        expect(r.state.phase).to.equal('copied');
        // two copy workers on every table: integer keys split by arithmetic, the others at keys sampled by the server
        for (const t of moved) expect(r.state.tables[t].segments, t).to.have.length(2);
        await writing;
        expect(duringCopy, 'application writes landed while the copy ran').to.be.greaterThan(20);
        // one case-only key change per case-insensitive key, for certain
        for (const [t, c] of [['k_uuid', 'id'], ['k_pair', 'b'], ['k_unique', 'code']]) {
          const [res] = await app.raw(`UPDATE ${t} SET ${c} = UPPER(${c}) WHERE BINARY ${c} <> UPPER(${c}) LIMIT 1`);
          expect((res as { affectedRows: number }).affectedRows, `${t}: case-only key change`).to.equal(1);
        }
      } finally {
        await app.destroy();
      }
      const drained = await start(ctx);
      expect(drained.backlog).to.equal(0);
      for (const t of moved) {
        const [a, b] = [await dump(source.knex, source.name, t), await dump(target, ctx.target.db, t)];
        expect(b.length, `${t} row count`).to.equal(a.length);
        expect(b, `${t}: target equals source, byte for byte`).to.deep.equal(a);
      }
      const v = await verifyCommand(ctx, {});
      expect(v.differences, JSON.stringify(v.differences.slice(0, 3))).to.deep.equal([]);
    });

    it('verify sees a key whose case differs on the target only, and a changed value under a three-column key', async () => {
      await target.transaction(async (tx) => {
        await tx.raw('SET @split_bypass = 1');
        const [res] = await tx.raw('UPDATE k_uuid SET id = LOWER(id) WHERE BINARY id <> LOWER(id) LIMIT 1');
        expect((res as { affectedRows: number }).affectedRows).to.equal(1);
      });
      // and a changed value in a row of a three-column key, deep inside the table
      const [[row]] = await target.raw("SELECT CONCAT('[\"', HEX(CAST(t AS BINARY)), '\",\"', HEX(CAST(s AS BINARY)), '\",\"', HEX(CAST(x AS BINARY)), '\"]') AS k FROM k_triple ORDER BY t, s, x LIMIT 1 OFFSET 137");
      await target.transaction(async (tx) => {
        await tx.raw('SET @split_bypass = 1');
        const [res] = await tx.raw("UPDATE k_triple SET v = 'corrupt' WHERE CONCAT('[\"', HEX(CAST(t AS BINARY)), '\",\"', HEX(CAST(s AS BINARY)), '\",\"', HEX(CAST(x AS BINARY)), '\"]') = ?", [row.k]);
        expect((res as { affectedRows: number }).affectedRows).to.equal(1);
      });
      const v = await verifyCommand(ctx, { restart: true });
      expect(v.ok).to.equal(false);
      expect(v.differences.filter((d) => d.table === 'k_uuid').map((d) => d.kind).sort()).to.deep.equal(['extra-on-target', 'missing-on-target']);
      expect(v.differences.filter((d) => d.table === 'k_triple')).to.deep.equal([{ table: 'k_triple', pk: row.k, key: v.differences.find((d) => d.table === 'k_triple')?.key, kind: 'different', columns: ['v'] }]);
      expect(v.differences.find((d) => d.table === 'k_triple')?.key).to.match(/^\(t, s, x\)=\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}, X'[0-9A-F]*', -?\d+\.\d\d\)$/);
      expect(v.differences).to.have.length(3);
    });

    it('a table with neither a primary key nor a NOT NULL unique key is refused with the reason and what to add', async () => {
      const other = openContext({ service: resolveService(manifest, 'nokey'), opts: validateOptions({ copyMode }) });
      try {
        const plan = await buildPlan(other);
        expect(plan.blockers.join('\n')).to.match(/k_none: no primary key and no usable unique key \(unique key uq_a allows NULL in a\); add a PRIMARY KEY \(or a UNIQUE key over NOT NULL columns\)/);
        let err: { code?: string; message?: string } | undefined;
        try {
          await startCommand(other, {});
        } catch (e) {
          err = e as typeof err;
        }
        expect(err?.code).to.equal('BLOCKED');
        expect(err?.message).to.contain('k_none: no primary key');
      } finally {
        await closeContext(other);
      }
    });
  });
}

after(async () => {
  await stopSharedMariaDb();
});
