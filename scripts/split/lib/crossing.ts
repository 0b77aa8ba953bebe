import type { SplitContext } from './context.ts';
import { SplitError } from './errors.ts';
import { openConnection } from './side.ts';
import { q } from './sql.ts';
import { note, type SplitState } from './state.ts';

/**
 * Manifest decision "drop" for FKs from tables staying in legacy into moved
 * tables (e.g. likes → products): the FK goes at `start` (integrity becomes the
 * application's job), because after cutover the legacy copy of the parent is
 * no longer the truth. The DDL needs a metadata lock on both tables, so it
 * waits at most `lockWaitSeconds` for open transactions and then fails with a
 * clear error instead of queueing writers behind it.
 */
export async function dropCrossingForeignKeys(ctx: SplitContext, state: SplitState, lockWaitSeconds: number): Promise<string[]> {
  const moved = new Set(ctx.service.spec.tables);
  const [rows] = await ctx.source.knex.raw(
    'SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS c, REFERENCED_TABLE_NAME AS r FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?', [ctx.source.db]);
  const todo = (rows as Array<{ t: string; c: string; r: string }>).filter((fk) => !moved.has(fk.t) && moved.has(fk.r) && ctx.service.spec.crossingForeignKeys[`${fk.t}.${fk.c}`]);
  if (!todo.length) return [];
  const conn = await openConnection(ctx.service.sourceDsn);
  const done: string[] = [];
  try {
    await conn.query(`SET SESSION lock_wait_timeout = ${Math.max(1, Math.floor(lockWaitSeconds))}`);
    for (const fk of todo) {
      try {
        await conn.query(`ALTER TABLE ${q(fk.t)} DROP FOREIGN KEY ${q(fk.c)}`);
      } catch (err) {
        if ((err as { errno?: number }).errno === 1205) {
          throw new SplitError('LOCKED', `dropping FK ${fk.t}.${fk.c} waited ${lockWaitSeconds} s for open transactions on ${fk.t}/${fk.r}; nothing changed, retry when they finish`);
        }
        throw err;
      }
      done.push(`${fk.t}.${fk.c}`);
      note(state, 'dropped crossing FK', `${fk.t}.${fk.c} → ${fk.r}`);
    }
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
  await ctx.store.save(state);
  return done;
}
