import { expect } from 'chai';
import type mysql from 'mysql2/promise';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { runReAdd } from '../lib/deferred-indexes.ts';
import { openConnection } from '../lib/side.ts';

/**
 * The deferred indexes' re-add ALTER (deferred-indexes.ts runReAdd) against
 * the lock cycle no detector sees: a transaction holds a row of a child
 * table (a foreign key to the altered table) and then asks for the altered
 * table's metadata lock while the ALTER, at its commit, holds that lock and
 * waits for an exclusive InnoDB lock on the child. Bounded and sent again, the
 * ALTER gives way, the other transaction commits, and the keys come back; sent
 * once it fails with a lock wait timeout (as it did after 50 s before).
 */
describe('split-db re-add ALTER vs a child-row holder waiting for the parent\'s metadata lock @integration', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('readd', []);
    await db.knex.raw('CREATE TABLE p (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB');
    await db.knex.raw('CREATE TABLE c (id INT PRIMARY KEY, pid INT NOT NULL, KEY ix_c_pid (pid), CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id)) ENGINE=InnoDB');
    await db.knex.raw('INSERT INTO p (id, v) SELECT seq, seq % 97 FROM seq_1_to_2000');
    await db.knex.raw('INSERT INTO c (id, pid) VALUES (1, 1)');
  });
  afterEach(async () => {
    await db?.drop();
  });

  /** Waits (with a deadline) until the ALTER is at its commit (where it locks the table and its children exclusively). */
  async function alterCommitting(deadlineMs = 20_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const [rows] = await db.knex.raw("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'ALTER TABLE p %' AND STATE LIKE 'Committing alter table%'", [db.name]);
      if (Number((rows as Array<{ n: number }>)[0].n) > 0) return;
      if (Date.now() > until) throw new Error(`the ALTER did not reach its commit within ${deadlineMs} ms`);
      await new Promise((r) => setImmediate(r));
    }
  }

  /** A transaction holding child row 2, then (once the ALTER waits for the child) writing the parent; resolves at its commit. */
  async function childThenParent(): Promise<{ holder: mysql.Connection; done: Promise<void> }> {
    const holder = await openConnection(db.dsn);
    await holder.query('SET foreign_key_checks = 0');
    await holder.query('BEGIN');
    await holder.query('REPLACE INTO c (id, pid) VALUES (2, 2)');
    const done = (async () => {
      await alterCommitting();
      await holder.query('REPLACE INTO p (id, v) VALUES (5, 5)');
      await holder.query('COMMIT');
    })();
    done.catch(() => undefined);
    return { holder, done };
  }

  const ALTER = 'ALTER TABLE p ADD KEY IF NOT EXISTS ix_p_v (v), ALGORITHM=INPLACE, LOCK=NONE';

  it('sent again after its bounded lock wait: the keys come back and the other transaction commits', async () => {
    const { holder, done } = await childThenParent();
    try {
      const retries: number[] = [];
      await runReAdd(db.dsn, ALTER, { lockWaitS: 2, onRetry: (n) => retries.push(n) });
      await done;
      expect(retries.length, 'the first attempt gave way').to.be.greaterThan(0);
      const [[row]] = await db.knex.raw('SHOW CREATE TABLE p');
      expect(String(row['Create Table'])).to.match(/KEY `ix_p_v` \(`v`\)/);
      const [[r]] = await db.knex.raw('SELECT v FROM p WHERE id = 5');
      expect(Number(r.v)).to.equal(5);
    } finally {
      holder.destroy();
    }
  });

  it('sent once, it fails with a lock wait timeout', async () => {
    const { holder, done } = await childThenParent();
    try {
      let err: unknown;
      await runReAdd(db.dsn, ALTER, { lockWaitS: 2, attempts: 1 }).catch((e) => (err = e));
      expect((err as { errno?: number })?.errno).to.equal(1205);
      await done;
    } finally {
      holder.destroy();
    }
  });
});
