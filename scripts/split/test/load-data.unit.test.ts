import { expect } from 'chai';
import { ChunkLane, ChunkQueue } from '../lib/inflight.ts';
import { roundBudgetMs } from '../lib/copier.ts';
import { encodeRows, LineEncoder, loadDataSql, loadSelectList } from '../lib/load-data.ts';
import { loadDataWhy } from '../lib/loader.ts';
import { validateOptions } from '../lib/options.ts';
import type { ColumnInfo, TableShape } from '../lib/sql.ts';

const col = (name: string, dataType: string, over: Partial<ColumnInfo> = {}): ColumnInfo => ({ name, dataType, columnType: dataType, nullable: true, generated: false, isJson: false, ...over });
const b = (s: string | number[]) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s));

describe('split-db LOAD DATA stream copy (pure)', () => {
  it('reads numbers, temporal values, ENUM/SET indexes, binary strings and BIT as sent; character strings and MariaDB JSON through CAST AS BINARY', () => {
    const sql = loadSelectList([col('id', 'bigint'), col('f', 'float'), col('e', 'enum'), col('t', 'datetime'), col('vb', 'varbinary'), col('b', 'bit'),
      col('s', 'varchar'), col('j', 'longtext', { isJson: true })]);
    expect(sql).to.equal('`id` AS `id`, (`f` * 1e0) AS `f`, (`e` + 0) AS `e`, `t` AS `t`, `vb` AS `vb`, `b` AS `b`, CAST(`s` AS BINARY) AS `s`, CAST(`j` AS BINARY) AS `j`');
  });

  it('escapes exactly backslash, TAB, LF and NUL in byte columns, writes NULL as \\N and \'\' as an empty field', async () => {
    const cols = [col('id', 'int'), col('v', 'varbinary'), col('t', 'varchar'), col('n', 'decimal')];
    const every = Array.from({ length: 256 }, (_, i) => i);
    const { data, encoder } = encodeRows(cols, [
      [b('1'), b([0x5c, 0x09, 0x0a, 0x00, 0x0d, 0x4e, 0x27, 0x22]), b(''), null],
      [b('2'), b(every), null, b('-1.50')],
    ]);
    const chunks: Buffer[] = [];
    for await (const c of data) chunks.push(c as Buffer);
    const out = Buffer.concat(chunks);
    const expected = Buffer.concat([
      b('1\t'), b('\\\\\\t\\n\\0'), b([0x0d, 0x4e, 0x27, 0x22]), b('\t\t\\N\n'),
      b('2\t'), Buffer.from(every.flatMap((x) => (x === 0x5c ? [0x5c, 0x5c] : x === 9 ? [0x5c, 0x74] : x === 10 ? [0x5c, 0x6e] : x === 0 ? [0x5c, 0x30] : [x]))), b('\t\\N\t-1.50\n'),
    ]);
    expect(out.equals(expected), out.toString('latin1')).to.equal(true);
    expect(encoder.rows).to.equal(2);
  });

  it('keeps rows holding an ENUM error value (index 0) out of the stream, for the INSERT path', () => {
    const e = new LineEncoder([col('id', 'int'), col('e', 'enum', { columnType: "enum('','a')" })], 16);
    expect(e.add([b('1'), b('0')])).to.equal(false);
    expect(e.add([b('2'), b('1')])).to.equal(true);
    expect(e.add([b('3'), null])).to.equal(true);
    expect(e.diverted).to.deep.equal([[b('1'), b('0')]]);
    expect(e.take(0)!.toString('latin1')).to.equal('2\t1\n3\t\\N\n');
  });

  it('hands out pieces of about the piece size (one protocol packet each), nothing lost across takes', () => {
    const e = new LineEncoder([col('id', 'int'), col('v', 'blob')], 64);
    const pieces: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      e.add([b(String(i)), b('x'.repeat(i % 50))]);
      const p = e.take();
      if (p) pieces.push(p);
    }
    const rest = e.take(0);
    if (rest) pieces.push(rest);
    expect(pieces.length).to.be.greaterThan(10);
    const lines = Buffer.concat(pieces).toString('latin1').split('\n').slice(0, -1);
    expect(lines.map((l) => l.split('\t')[0])).to.deep.equal(Array.from({ length: 100 }, (_, i) => String(i)));
  });

  it('writes ENUM/SET through CAST(@v AS UNSIGNED), MySQL JSON through CONVERT, skips generated columns, reads the file as binary', () => {
    const shape: TableShape = {
      name: 't', key: { index: 'PRIMARY', columns: [{ name: 'id', kind: 'int', charset: null, collation: null }] },
      columns: [col('id', 'int'), col('e', 'enum'), col('s', 'set'), col('j', 'json', { isJson: true }), col('bit', 'bit'), col('m', 'longtext', { isJson: true })],
      generated: [col('g', 'int', { generated: true })],
    };
    expect(loadDataSql('db', shape, 'split-db-chunk-1-2')).to.equal(
      "LOAD DATA LOCAL INFILE 'split-db-chunk-1-2' REPLACE INTO TABLE `db`.`t` CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
      + '(`id`, @v1, @v2, @v3, `bit`, `m`) SET `e` = CAST(@v1 AS UNSIGNED), `s` = CAST(@v2 AS UNSIGNED), `j` = CONVERT(@v3 USING utf8mb4)');
    expect(() => loadDataSql('db', shape, "x'; DROP")).to.throw(/load file name/);
  });

  it('options: copyLoaders 1..16 (default 4), streamWrite auto | load-data | insert', () => {
    expect(validateOptions({})).to.include({ copyLoaders: 4, streamWrite: 'auto' });
    expect(validateOptions({ copyLoaders: '8', streamWrite: 'insert' })).to.include({ copyLoaders: 8, streamWrite: 'insert' });
    expect(() => validateOptions({ copyLoaders: 0, streamWrite: 'fast' })).to.throw(/copyLoaders: must be an integer between 1 and 16; streamWrite: must be auto, load-data or insert/);
  });

  it('plan says when chunks into one table load one at a time: the target\'s AUTO-INC lock mode is not 2', () => {
    for (const mode of [0, 1]) expect(loadDataWhy(mode)).to.match(new RegExp(`^LOAD DATA LOCAL INFILE .*local_infile=ON\\); chunks into a table with an AUTO_INCREMENT column load one at a time \\(target innodb_autoinc_lock_mode=${mode}; 2, set at the target server's start, loads them side by side\\)$`));
    expect(loadDataWhy(2)).to.equal('LOAD DATA LOCAL INFILE streamed from the source, several chunks in flight (target has local_infile=ON, innodb_autoinc_lock_mode=2)');
    // a server without the variable (not InnoDB's): nothing said about it
    expect(loadDataWhy(null)).to.equal('LOAD DATA LOCAL INFILE streamed from the source, several chunks in flight (target has local_infile=ON)');
  });
});

describe('split-db chunks in flight: positions over the committed prefix only (pure)', () => {
  const plan = (n: number) => new ChunkQueue(Array.from({ length: n }, (_, i) => ({ lo: i ? `k${i}` : null, hi: `k${i + 1}`, last: i === n - 1 })));

  it('a chunk committed ahead of an earlier one moves nothing until the gap is filled, then both at once, in order', () => {
    const q = plan(4);
    expect(q.commit(2, 30)).to.deep.equal([]);
    expect(q.commit(1, 20)).to.deep.equal([]);
    expect(q.ahead).to.equal(2);
    expect(q.commit(0, 10).map((g) => [g.chunk.hi, g.rows])).to.deep.equal([['k1', 10], ['k2', 20], ['k3', 30]]);
    expect(q.covered).to.equal(3);
    expect(q.commit(3, 40).map((g) => [g.chunk.hi, g.chunk.last])).to.deep.equal([['k4', true]]);
  });

  it('a failed chunk stops the prefix for the round: later commits stay on the target unclaimed (copied again), later chunks are not wanted', () => {
    const q = plan(4);
    expect(q.commit(0, 10)).to.have.length(1);
    q.fail(1);
    expect(q.wanted(2)).to.equal(false);
    expect(q.wanted(0)).to.equal(true);
    expect(q.commit(2, 30)).to.deep.equal([]);
    expect(q.covered).to.equal(1);
    expect(q.ahead).to.equal(1);
  });

  it('refuses a chunk committed twice or out of the plan', () => {
    const q = plan(2);
    q.commit(0, 1);
    expect(() => q.commit(0, 1)).to.throw(/twice/);
    expect(() => q.commit(5, 1)).to.throw(/no chunk 5/);
  });
});

describe('split-db chunks in flight: a segment\'s chunks planned ahead, claimed in key order (pure)', () => {
  /** A probe over keys 1..n in steps of `size`, recording each call; each answer waits for the test to release it. */
  function probes(n: number, size: number) {
    const calls: Array<string | null> = [];
    const waiting: Array<() => void> = [];
    const probe = (lo: string | null) => {
      calls.push(lo);
      const hi = Math.min(n, (lo === null ? 0 : Number(lo)) + size);
      return new Promise<{ hi: string; last: boolean }>((resolve) => waiting.push(() => resolve({ hi: String(hi), last: hi === n })));
    };
    return { calls, probe, release: () => waiting.splice(0).forEach((r) => r()) };
  }

  it('probes the next bound as soon as a claimed chunk\'s bound is known, before anyone claims it', async () => {
    const p = probes(10, 4);
    const lane = new ChunkLane(null, p.probe);
    expect(p.calls).to.deep.equal([null]);
    const first = lane.claim();
    p.release();
    expect(await first).to.deep.equal({ lo: null, hi: '4', last: false });
    await new Promise((r) => setImmediate(r));
    // the look-ahead: asked while the first chunk loads
    expect(p.calls).to.deep.equal([null, '4']);
  });

  it('claims made at once are served in key order, each from the bound before it; then null for good', async () => {
    const p = probes(10, 4);
    const lane = new ChunkLane(null, p.probe);
    const claims = [lane.claim(), lane.claim(), lane.claim(), lane.claim()];
    for (let i = 0; i < 4; i++) {
      p.release();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(claims)).to.deep.equal([{ lo: null, hi: '4', last: false }, { lo: '4', hi: '8', last: false }, { lo: '8', hi: '10', last: true }, null]);
    expect(lane.ended).to.equal(true);
    expect(await lane.claim()).to.equal(null);
    expect(p.calls).to.deep.equal([null, '4', '8']);
  });

  it('a failed probe fails the claim that needs it, and an unclaimed one is no unhandled rejection', async () => {
    let n = 0;
    const lane = new ChunkLane('0', async (lo) => {
      if (++n === 2) throw new Error('probe failed');
      return { hi: String(Number(lo) + 5), last: false };
    });
    expect(await lane.claim()).to.deep.equal({ lo: '0', hi: '5', last: false });
    await new Promise((r) => setImmediate(r));
    let err: unknown;
    await lane.claim().catch((e: unknown) => (err = e));
    expect(String(err)).to.match(/probe failed/);
  });

  it('a queue grows chunk by chunk, each following the last; the committed-prefix rule is unchanged', () => {
    const q = new ChunkQueue();
    expect(q.add({ lo: null, hi: 'a', last: false })).to.equal(0);
    expect(q.add({ lo: 'a', hi: 'b', last: false })).to.equal(1);
    expect(() => q.add({ lo: 'x', hi: 'y', last: false })).to.throw(/does not follow/);
    expect(q.commit(1, 5)).to.deep.equal([]);
    expect(q.commit(0, 4).map((g) => g.chunk.hi)).to.deep.equal(['a', 'b']);
    expect(q.add({ lo: 'b', hi: 'c', last: true })).to.equal(2);
    expect(() => q.add({ lo: 'c', hi: 'd', last: false })).to.throw(/does not follow/);
  });

  it('a round claims chunks for six chunk times (3 s at the default --target-chunk-ms 500)', () => {
    expect(roundBudgetMs(500)).to.equal(3000);
    expect(roundBudgetMs(0)).to.equal(1);
  });
});
