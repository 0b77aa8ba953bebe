import { expect } from 'chai';
import type mysql from 'mysql2/promise';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { intKeyText, type TableKey } from '../lib/keys.ts';
import { compareChunkHashes, type ChunkHash, type ChunkHashKind } from '../lib/rowhash.ts';
import { openConnection } from '../lib/side.ts';
import { checksumSql, type ColumnInfo, type TableShape } from '../lib/sql.ts';
import { compareRange } from '../lib/verifier.ts';

/**
 * The verify's two chunk aggregates on the real server (rowhash.ts): the fast
 * `sequence` hash is only believed when it hashed every row, and a range whose
 * rows come back in another order on one side is still equal (the `sums`
 * decide), never reported different and never clean by accident.
 */
describe('verify chunk hashes: sequence first, sums decide @integration', function () {
  this.timeout(30_000);
  const KEY: TableKey = { index: 'PRIMARY', columns: [{ name: 'id', kind: 'int', charset: null, collation: null }] };
  const cols: ColumnInfo[] = [
    { name: 'id', columnType: 'int(11)', dataType: 'int', nullable: false, generated: false, isJson: false },
    { name: 'v', columnType: 'varchar(20)', dataType: 'varchar', nullable: true, generated: false, isJson: false },
  ];
  const shape = (name: string): TableShape => ({ name, key: KEY, columns: cols });
  let db: TestDatabase;
  let conn: mysql.Connection;

  before(async () => {
    db = await createTestDatabase('chunkhash', [], 'move');
    conn = await openConnection(db.dsn);
    await db.knex.raw('CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(20) NULL)');
    await db.knex.raw('CREATE TABLE b LIKE a');
    // the same rows, read partition by partition: another order for an unordered range read
    await db.knex.raw('CREATE TABLE p (id INT PRIMARY KEY, v VARCHAR(20) NULL) PARTITION BY HASH (id) PARTITIONS 3');
    for (const t of ['a', 'b', 'p']) await db.knex.raw(`INSERT INTO ${t} SELECT seq, CONCAT('v', seq) FROM seq_1_to_100`);
    await db.knex.raw("UPDATE b SET v = 'changed' WHERE id = 100");
  });
  after(async () => {
    await conn?.end();
    await db?.drop();
  });

  const hash = (x: string, y: string, lo: string | null = null) => async (kind: ChunkHashKind): Promise<ChunkHash[]> =>
    Promise.all([x, y].map(async (t) => ((await conn.query(checksumSql(db.name, shape(t), lo, null, [], kind)))[0] as ChunkHash[])[0]));

  it('a difference past the group_concat_max_len cut is found: the cut sequence hashes agree, the sums do not', async () => {
    await conn.query('SET SESSION group_concat_max_len = 1024'); // 25 row hashes of 100
    try {
      const [sa, sb] = await hash('a', 'b')('sequence');
      expect(String(sa.x), 'both sides hashed the same first 25 rows').to.equal(String(sb.x));
      expect(compareChunkHashes(sa, sb)).to.equal('undecided');
      expect(await compareRange(hash('a', 'b'))).to.deep.equal({ equal: false, n: 100 });
      expect(await compareRange(hash('a', 'a'))).to.deep.equal({ equal: true, n: 100 });
    } finally {
      await conn.query('SET SESSION group_concat_max_len = DEFAULT');
    }
  });

  it('with room for every row the sequence hash decides alone, both ways', async () => {
    const [sa, sb] = await hash('a', 'b')('sequence');
    expect(compareChunkHashes(sa, sb), 'a real difference').to.equal('undecided');
    expect(await compareRange(hash('a', 'b'))).to.deep.equal({ equal: false, n: 100 });
    const [x, y] = await hash('a', 'a', intKeyText('50'))('sequence');
    expect(compareChunkHashes(x, y)).to.equal('equal');
    expect(Number(x.n)).to.equal(50);
  });

  it('equal rows read in another order are equal by the sums, not reported as a difference', async () => {
    const [sa, sp] = await hash('a', 'p')('sequence');
    expect(String(sa.n)).to.equal(String(sp.n));
    expect(String(sa.x), 'the partitioned copy reads its rows in another order').to.not.equal(String(sp.x));
    expect(await compareRange(hash('a', 'p'))).to.deep.equal({ equal: true, n: 100 });
    expect(await compareRange(hash('b', 'p'))).to.deep.equal({ equal: false, n: 100 });
  });
});
