import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { parseMysqlDsn } from '../../../lib/db.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { closeContext } from '../lib/context.ts';
import { cutoverCommand, rollbackCommand, startCommand } from '../lib/commands.ts';
import { createFaults } from '../lib/faults.ts';
import { compareDatabases, summary, isClean } from './harness/checker.ts';
import { createPair, productContext, seedCatalog, type Pair } from './helpers.ts';

/**
 * A delete the application commits on the service database while it owns the
 * data must be on the legacy side the moment a rollback returns: otherwise the
 * legacy side serves a row the application deleted (and refuses its
 * re-insert). Deleters run on the target in tight loops (single-statement and
 * multi-statement transactions that hold the fence row's shared lock for a
 * moment) while the rollback freezes, catches up and flips; right after it
 * returns, independent SELECTs on the source look for every key whose DELETE
 * committed, and an independent row-by-row checker compares both sides.
 * Also through a cutover that died right after its flip and was resumed.
 *
 * (The fault harness's "source re-insert a deleted product key: Duplicate
 * entry" that prompted this came from the harness writer's own keys, see
 * writer-keys.test.ts; this test pins down the property it seemed to break.)
 */
const DELETERS = 4;
const ROUNDS = 3;
/** Products each round may delete: far more than the deleters get through before the rollback fences them. */
const PER_ROUND = 1000;
const FORCE = { force: true, reason: 'rollback race test: the verify gate is not under test' };

interface Deleter {
  done: Promise<void>;
  /** Product ids whose DELETE committed on the target, with when the COMMIT returned. */
  committed: Array<{ id: number; at: number }>;
  errors: string[];
  /** The fence stopped it (it was still deleting when the rollback flipped). */
  fenced: boolean;
}

/** Deletes products (their images first) on the target until the fence refuses it. */
function deleter(dsn: string, ids: number[], i: number): Deleter {
  const c = parseMysqlDsn(dsn);
  const out: Deleter = { committed: [], errors: [], fenced: false, done: Promise.resolve() };
  out.done = (async () => {
    const conn = await mysql.createConnection({ host: c.host, port: c.port, user: c.user, password: c.password, database: c.database });
    try {
      for (const id of ids) {
        try {
          await conn.query('BEGIN');
          await conn.query('DELETE FROM product_images WHERE product_id = ?', [id]);
          await conn.query('DELETE FROM products WHERE id = ?', [id]);
          // every other transaction stays open a moment holding the fence row's shared lock: the freeze must drain it
          if ((id + i) % 2) await new Promise((r) => setTimeout(r, 3));
          await conn.query('COMMIT');
          out.committed.push({ id, at: performance.now() });
        } catch (err) {
          await conn.query('ROLLBACK').catch(() => undefined);
          const e = err as { errno?: number; message?: string };
          if (e.errno === 1644) {
            // fenced: the rollback flipped; this application instance would now write the source
            out.fenced = true;
            return;
          }
          if (e.errno === 1213 || e.errno === 1205) continue;
          out.errors.push(String(e.message).slice(0, 200));
          return;
        }
      }
    } finally {
      await conn.end().catch(() => conn.destroy());
    }
  })();
  return out;
}

describe('split-db rollback: deletes committed on the service side are on the legacy side when rollback returns @integration', function () {
  this.timeout(90_000);
  let pair: Pair;

  before(async () => {
    pair = await createPair('rrc');
    await seedCatalog(pair.source.knex, ROUNDS * PER_ROUND + 200);
    const ctx = productContext(pair, { copyMode: 'sql' });
    try {
      await startCommand(ctx, {});
    } finally {
      await closeContext(ctx);
    }
  });
  after(async () => {
    await pair.drop();
  });

  async function run<T>(f: (ctx: ReturnType<typeof productContext>) => Promise<T>, faults?: string): Promise<T> {
    const ctx = productContext(pair, { copyMode: 'sql', freezeAbortMs: 10_000 }, faults ? { faults: createFaults(undefined, faults) } : {});
    try {
      return await f(ctx);
    } finally {
      await closeContext(ctx);
    }
  }

  for (let round = 0; round < ROUNDS; round++) {
    const resumed = round === 1;
    it(`round ${round + 1}: ${resumed ? 'cutover dies right after its flip and is resumed, then ' : ''}rollback under ${DELETERS} deleters on the target`, async () => {
      if (resumed) {
        await run((c) => cutoverCommand(c, FORCE), 'cutover-after-flip').then(() => expect.fail('the injected failure should surface'), (e: Error) => expect(e.message).to.match(/injected failure/));
        const r = await run((c) => cutoverCommand(c, FORCE));
        expect(r).to.deep.include({ kind: 'cutover', resumed: true });
      } else {
        await run((c) => cutoverCommand(c, FORCE));
      }
      // this round's products, split among the deleters (those the previous rounds deleted are gone from both sides)
      const [rows] = await pair.target.raw('SELECT id FROM products ORDER BY id');
      const ids = (rows as Array<{ id: string }>).map((r) => Number(r.id)).slice(0, PER_ROUND);
      const ds = Array.from({ length: DELETERS }, (_, i) => deleter(pair.targetDsn, ids.filter((_, j) => j % DELETERS === i), i));
      await waitFor(() => ds.reduce((a, d) => a + d.committed.length, 0) >= 20, { timeoutMs: 20_000, what: 'deletes on the target' });
      const r = await run((c) => rollbackCommand(c));
      const returned = performance.now();
      expect(r).to.deep.include({ kind: 'rollback', resumed: false });
      // independent SELECT at once: every key whose DELETE committed before the rollback returned is gone from the source
      const before = ds.flatMap((d) => d.committed.filter((x) => x.at <= returned).map((x) => x.id));
      const [left] = await pair.source.knex.raw(`SELECT id FROM products WHERE id IN (${before.length ? before.join(',') : 'NULL'})`);
      expect((left as Array<{ id: string }>).map((x) => Number(x.id)), `${before.length} deletes committed on the target; still on the source`).to.deep.equal([]);
      await Promise.all(ds.map((d) => d.done));
      expect(ds.flatMap((d) => d.errors)).to.deep.equal([]);
      // the fence: no DELETE committed on the target after the rollback returned
      expect(ds.flatMap((d) => d.committed.filter((x) => x.at > returned))).to.deep.equal([]);
      const check = await compareDatabases({ knex: pair.source.knex, db: pair.source.name }, { knex: pair.target, db: pair.targetName }, ['categories', 'products', 'product_images']);
      expect(isClean(check), summary(check)).to.equal(true);
      // the race happened: every deleter was still deleting when the fence stopped it
      expect(ds.map((d) => d.fenced)).to.deep.equal(ds.map(() => true));
      expect(before.length).to.be.greaterThan(20);
    });
  }
});
