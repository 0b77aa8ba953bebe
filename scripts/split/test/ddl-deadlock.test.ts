/**
 * @integration split-db's DDL must never make an application transaction fail. A DDL that *waits* for its metadata
 * lock closes a cycle with any transaction that already holds one of its tables and then asks for another lock
 * there (reads then writes; writes a foreign key's parent, then the child); the server rolls the application's
 * transaction back as the deadlock victim (DML weighs less than DDL). Seen in CI: Taskboard's POST /projects (a
 * project, then its owner membership) answered 500 while `split-db start` dropped project_members' crossing FK.
 * Each case holds an application transaction open across the DDL's first try, then finishes it; it must commit.
 */
import { expect } from 'chai';
import { createKnex } from '../../../lib/db.ts';
import { createLogger } from '../../../lib/logger.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { closeContext } from '../lib/context.ts';
import { withDdl, type DdlPolicy } from '../lib/ddl.ts';
import { startCommand } from '../lib/commands.ts';
import type { Knex } from '../../../lib/db.ts';
import { createPair, productContext, seedCatalog, type Pair } from './helpers.ts';

interface Shape {
  name: string;
  /** Takes the transaction's first lock(s), before the DDL runs. */
  first: (tx: Knex.Transaction) => Promise<unknown>;
  /** Needs a further lock on a table the DDL locks. */
  then: (tx: Knex.Transaction) => Promise<unknown>;
  /** The committed change, read back after. */
  committed: (k: Knex) => Promise<boolean>;
}

const SHAPES: Shape[] = [
  {
    name: 'reads products, then updates it, while start creates the capture triggers on products',
    first: (tx) => tx.raw('SELECT name FROM products WHERE id = 1'),
    then: (tx) => tx.raw("UPDATE products SET name = 'read, then written' WHERE id = 1"),
    committed: async (k) => ((await k('products').where({ id: 1 }).first()) as { name: string }).name === 'read, then written',
  },
  {
    name: 'writes a parent (products), then its child (likes), while start drops the crossing FK likes → products',
    first: (tx) => tx.raw('UPDATE products SET like_count = like_count + 1 WHERE id = 2'),
    then: (tx) => tx.raw('INSERT INTO likes (user_id, product_id) VALUES (1, 2)'),
    committed: async (k) => (await k('likes').where({ user_id: 1, product_id: 2 })).length === 1,
  },
];

/** The catalog with `products` products and user 1, who the transactions' likes rows name (likes' other FK parent). */
async function seedWithLiker(pair: Pair, products: number): Promise<void> {
  await seedCatalog(pair.source.knex, products);
  await pair.source.knex.raw("INSERT INTO users (id, email, password_hash, name) VALUES (1, 'a@example.com', 'x', 'A')");
}

/** The DDL session waiting in the server for a metadata lock (the old, waiting DDL). */
async function ddlWaiting(k: Knex, db: string): Promise<boolean> {
  const [rows] = await k.raw("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND STATE = 'Waiting for table metadata lock'", [db]);
  return Number((rows as Array<{ n: number }>)[0]!.n) > 0;
}

describe('split-db DDL never rolls back an application transaction as a deadlock victim @integration', function () {
  this.timeout(60_000);

  for (const shape of SHAPES) {
    it(`an application transaction that ${shape.name} commits; start finishes after it`, async () => {
      const pair = await createPair('ddlvictim');
      const app = createKnex(pair.source.dsn, { pool: { min: 1, max: 1 } });
      const warns: string[] = [];
      const log = createLogger('ddl-deadlock-test', { level: 'warn', destination: { write: (l: string) => warns.push(l) } as unknown as NodeJS.WritableStream });
      const ctx = productContext(pair, { ddlLockWaitMs: 400, ddlRetries: 8 }, { log });
      try {
        await seedWithLiker(pair, 50);
        const tx = await app.transaction();
        await shape.first(tx);
        const started = startCommand(ctx, {}).then(() => undefined, (e: unknown) => e as Error);
        // the DDL meets the open transaction: it waits in the server (a waiting DDL), or it tried and logged that it found the table busy
        await waitFor(async () => warns.some((l) => l.includes('"what":')) || (await ddlWaiting(pair.source.knex, pair.source.name)),
          { timeoutMs: 20_000, intervalMs: 5, what: 'the DDL meeting the open transaction' });
        let appErr: (Error & { code?: string }) | undefined;
        try {
          await shape.then(tx);
          await tx.commit();
        } catch (err) {
          appErr = err as Error & { code?: string };
          await tx.rollback().catch(() => undefined);
        }
        expect(appErr?.code ?? 'committed', appErr?.message).to.equal('committed');
        expect(await started, 'start').to.equal(undefined);
        expect(await shape.committed(pair.source.knex)).to.equal(true);
        expect(warns.join('\n')).not.to.match(/mysql:\/\/[^*\s]*:[^*@\s]+@/);
      } finally {
        await closeContext(ctx);
        await app.destroy();
        await pair.drop();
      }
    });
  }

  it('four application sessions in read-then-write and parent-then-child transactions all through start: none fails, start finishes', async () => {
    const pair = await createPair('ddlvictim');
    const app = createKnex(pair.source.dsn, { pool: { min: 4, max: 4 } });
    const ctx = productContext(pair, { ddlLockWaitMs: 1000, ddlRetries: 5 });
    let stopped = false;
    const failures: string[] = [];
    let committed = 0;
    try {
      await seedWithLiker(pair, 200);
      const session = async (n: number) => {
        for (let i = 0; !stopped; i++) {
          const id = 1 + ((n * 50 + i) % 200);
          try {
            await app.transaction(async (tx) => {
              if (i % 2) {
                await tx.raw('SELECT name FROM products WHERE id = ?', [id]);
                await tx.raw('UPDATE products SET view_count = view_count + 1 WHERE id = ?', [id]);
              } else {
                await tx.raw('UPDATE products SET like_count = like_count + 1 WHERE id = ?', [id]);
                await tx.raw('INSERT INTO likes (user_id, product_id) VALUES (1, ?) ON DUPLICATE KEY UPDATE created_at = created_at', [id]);
              }
            });
            committed++;
          } catch (err) {
            failures.push(`${(err as { code?: string }).code}: ${(err as Error).message.slice(0, 120)}`);
          }
          await new Promise((r) => setTimeout(r, 2));
        }
      };
      const sessions = [0, 1, 2, 3].map(session);
      await waitFor(() => committed > 20, { timeoutMs: 10_000, what: 'the application sessions running' });
      const before = committed;
      const r = await startCommand(ctx, {});
      expect('state' in r && r.state.phase).to.equal('copied');
      stopped = true;
      await Promise.all(sessions);
      expect(committed - before, 'transactions committed while start ran').to.be.greaterThan(20);
      expect(failures, `${failures.length} failed application transactions`).to.deep.equal([]);
    } finally {
      stopped = true;
      await closeContext(ctx);
      await app.destroy();
      await pair.drop();
    }
  });

  it('behind a transaction that never ends: NOWAIT tries many times without ever waiting, --ddl-wait waits; both fail LOCKED naming it', async () => {
    const pair = await createPair('ddlvictim');
    const holder = createKnex(pair.source.dsn, { pool: { min: 1, max: 1 } });
    const tx = await holder.transaction();
    try {
      await seedCatalog(pair.source.knex, 5);
      const [[me]] = await tx.raw('SELECT CONNECTION_ID() AS id');
      await tx.raw('SELECT name FROM products WHERE id = 1');
      const side = { dsn: pair.source.dsn, db: pair.source.name, masked: '', knex: pair.source.knex };
      const sql = 'CREATE TRIGGER t_ddl_probe AFTER INSERT ON products FOR EACH ROW SET @ddl_probe = 1';
      const attempt = async (policy: DdlPolicy) => {
        let tries = 0;
        let waited = false;
        let done = false;
        // watches the server while the DDL runs: was its session ever seen waiting for a metadata lock?
        const watching = (async () => {
          while (!done) {
            if (await ddlWaiting(pair.source.knex, pair.source.name)) waited = true;
            await new Promise((r) => setTimeout(r, 5));
          }
        })();
        const err = await withDdl(side, { ...policy, onBusy: (n) => (tries = n) }, (ddl) => ddl.run(sql, 'CREATE TRIGGER t_ddl_probe', ['products']))
          .then(() => undefined, (e: unknown) => e as Error & { code?: string });
        done = true;
        await watching;
        return { err, tries, waited };
      };
      const nowait = await attempt({ lockWaitMs: 300, retries: 1 });
      expect(nowait.err?.code).to.equal('LOCKED');
      expect(nowait.err?.message).to.match(/found no moment when no transaction held the table in \d+ NOWAIT tries over 2 attempt\(s\) of 300 ms/);
      expect(nowait.err?.message).to.include(`session ${me.id}`);
      expect(nowait.err?.message).to.include('--ddl-wait');
      expect(nowait.tries, 'NOWAIT tries in 2 × 300 ms').to.be.greaterThan(10);
      expect(nowait.waited, 'a NOWAIT try was seen waiting in the server').to.equal(false);
      // the count in the message is the tool's own, with or without an observer
      const unobserved = await withDdl(side, { lockWaitMs: 200, retries: 0 }, (ddl) => ddl.run(sql, 'CREATE TRIGGER t_ddl_probe', ['products'])).then(() => undefined, (e: unknown) => e as Error);
      expect(Number(/in (\d+) NOWAIT tries/.exec(unobserved?.message ?? '')?.[1])).to.be.greaterThan(5);

      const waiting = await attempt({ lockWaitMs: 300, retries: 0, wait: true });
      expect(waiting.err?.code).to.equal('LOCKED');
      expect(waiting.err?.message).to.match(/could not get its lock within 300 ms in 1 attempt\(s\)/);
      expect(waiting.tries).to.equal(1);
      expect(waiting.waited, 'the waiting DDL was seen waiting in the server').to.equal(true);
      const [trig] = await pair.source.knex.raw('SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME = ?', [pair.source.name, 't_ddl_probe']);
      expect(Number((trig as Array<{ n: number }>)[0]!.n), 'nothing was created').to.equal(0);
    } finally {
      await tx.rollback().catch(() => undefined);
      await holder.destroy();
      await pair.drop();
    }
  });
});
