import type { SplitContext } from './context.ts';
import { ddlPolicy, withDdl, type DdlPolicy } from './ddl.ts';
import { q } from './sql.ts';
import { note, type SplitState } from './state.ts';

/**
 * Manifest decision "drop" for FKs from tables staying in legacy into moved
 * tables (e.g. likes → products): the FK goes at `start` (integrity becomes the
 * application's job), because after cutover the legacy copy of the parent is
 * no longer the truth. The DDL needs a metadata lock on both tables; it goes
 * through lib/ddl.ts (short bounded waits, retried with backoff, the blocking
 * transaction named), so it never queues the application's writers for long.
 */
export async function dropCrossingForeignKeys(ctx: SplitContext, state: SplitState, policy: DdlPolicy = ddlPolicy(ctx)): Promise<string[]> {
  const moved = new Set(ctx.service.spec.tables);
  const [rows] = await ctx.source.knex.raw(
    'SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS c, REFERENCED_TABLE_NAME AS r FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?', [ctx.source.db]);
  const todo = (rows as Array<{ t: string; c: string; r: string }>).filter((fk) => !moved.has(fk.t) && moved.has(fk.r) && ctx.service.spec.crossingForeignKeys[`${fk.t}.${fk.c}`]);
  if (!todo.length) return [];
  const done: string[] = [];
  try {
    await withDdl(ctx.source, policy, async (ddl) => {
      for (const fk of todo) {
        await ddl.run(`ALTER TABLE ${q(fk.t)} DROP FOREIGN KEY ${q(fk.c)}`, `dropping FK ${fk.t}.${fk.c}`, [fk.t, fk.r]);
        done.push(`${fk.t}.${fk.c}`);
        note(state, 'dropped crossing FK', `${fk.t}.${fk.c} → ${fk.r}`);
      }
    });
  } finally {
    if (done.length) await ctx.store.save(state);
  }
  return done;
}
