import { expect } from 'chai';
import { createKnex } from '../../../lib/db.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { toolTransaction } from '../lib/context.ts';

/**
 * The tool's write transactions run at READ COMMITTED from a connection's
 * first one on: at REPEATABLE READ a loader's `DELETE` of its key range takes
 * gap locks up to the next row, which holds back another loader's inserts
 * into the ranges above it (seen as `LOAD DATA … waits X RECORD PRIMARY on
 * supremum` in _split-copy-timeline.ts). The session setting alone reached
 * only the following transactions.
 */
describe('split-db tool transactions run at READ COMMITTED @integration', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('txiso', [], 'move');
    await db.knex.raw('CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB');
  });
  after(async () => {
    await db?.drop();
  });

  it('the first transaction of a fresh connection, and the next ones', async () => {
    // a pool of one fresh connection
    const k = createKnex(db.dsn, { pool: { min: 0, max: 1 } });
    try {
      const level = () => toolTransaction(k, async (tx) => {
        await tx.raw('INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE id = id');
        const [[r]] = await tx.raw('SELECT trx_isolation_level AS l FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID()');
        return String((r as { l: string }).l);
      });
      expect(await level(), 'first').to.equal('READ COMMITTED');
      expect(await level(), 'second').to.equal('READ COMMITTED');
    } finally {
      await k.destroy();
    }
  });
});
