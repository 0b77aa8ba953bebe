import { pendingIndexes } from './deferred-indexes.ts';
import { backlog, dropMachinery, dropToolTriggers, listMachinery, setFence, type Machinery } from './capture.ts';
import type { SplitContext } from './context.ts';
import { ddlPolicy, withDdl } from './ddl.ts';
import { SplitError } from './errors.ts';
import { openOwnership } from './ownership.ts';
import { dropDatabase } from '../../../lib/db.ts';
import { q, qq } from './sql.ts';
import { note, type SplitState } from './state.ts';

export function oldTableName(table: string, at: Date): string {
  const ts = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `_old_${table}_${ts}`.slice(0, 64);
}

export interface CompleteResult {
  renamed: Array<{ from: string; to: string }>;
  dropped: string[];
  dryRun: boolean;
  /** The capture machinery removed (or, with --dry-run, that would be) on each side. */
  removes: { source: Machinery; target: Machinery };
}

/** The machinery of both sides; a target database that does not exist (cancel before start) has none. */
async function machineryOf(ctx: SplitContext): Promise<{ source: Machinery; target: Machinery }> {
  const source = await listMachinery(ctx.source, ctx.service.name);
  const target = await listMachinery(ctx.target, ctx.service.name).catch(() => ({ database: ctx.target.db, triggers: [], tables: [] }));
  return { source, target };
}

/**
 * complete: after the rollback window. Removes the capture machinery on both
 * sides and renames the old tables in one atomic RENAME TABLE (legacy code
 * still reading them fails loudly instead of reading stale data). Dropping
 * the renamed tables needs --confirm.
 */
export async function complete(ctx: SplitContext, state: SplitState, opts: { confirm?: boolean }): Promise<CompleteResult> {
  if (state.phase !== 'cutover' || state.switching) throw new SplitError('WRONG_PHASE', `complete needs phase cutover, ${ctx.service.name} is ${state.switching ? `in an interrupted ${state.switching.kind}` : state.phase}`);
  const pending = await backlog(ctx.target, ctx.service.name);
  const at = new Date();
  const renamed = ctx.service.spec.tables.map((t) => ({ from: t, to: oldTableName(t, at) }));
  const removes = await machineryOf(ctx);
  if (ctx.dryRun) return { renamed, dropped: opts.confirm ? renamed.map((r) => r.to) : [], dryRun: true, removes };
  if (pending > 0) ctx.log.warn({ pending }, 'reverse changes not yet applied to the old tables are discarded (rollback is no longer possible)');
  const policy = ddlPolicy(ctx);
  // cascade triggers on tables that stay name the moved tables in their bodies: gone before the rename, so
  // deletes on those tables never meet a missing table (cascades into the old copy no longer matter now)
  const moved = new Set(ctx.service.spec.tables);
  await dropToolTriggers(ctx.source, ctx.service.name, policy, (t) => !moved.has(t.table));
  await withDdl(ctx.source, policy, (ddl) => ddl.run(`RENAME TABLE ${renamed.map((r) => `${qq(ctx.source.db, r.from)} TO ${qq(ctx.source.db, r.to)}`).join(', ')}`, 'RENAME TABLE of the old copies', renamed.map((r) => r.from)));
  await dropToolTriggers(ctx.source, ctx.service.name, policy);
  await dropToolTriggers(ctx.target, ctx.service.name, policy);
  await dropMachinery(ctx.source, ctx.service.name, policy);
  await dropMachinery(ctx.target, ctx.service.name, policy);
  const dropped: string[] = [];
  if (opts.confirm) {
    await ctx.source.knex.transaction(async (tx) => {
      await tx.raw('SET foreign_key_checks = 0');
      for (const r of renamed) {
        await tx.raw(`DROP TABLE IF EXISTS ${q(r.to)}`);
        dropped.push(r.to);
      }
    });
  }
  state.phase = 'completed';
  note(state, 'completed', `renamed ${renamed.map((r) => `${r.from}→${r.to}`).join(', ')}${dropped.length ? `; dropped ${dropped.join(', ')}` : ''}`);
  await ctx.store.save(state);
  return { renamed, dropped, dryRun: false, removes };
}

/**
 * cancel: before cutover only. Removes triggers and changelogs on both sides
 * and forgets the state; the target database is dropped only with
 * --drop-target --confirm.
 */
export interface CancelResult {
  droppedTarget: boolean;
  dryRun: boolean;
  /** The target database dropped (or, with --dry-run, that would be) with --drop-target. */
  targetDatabase: string;
  removes: { source: Machinery; target: Machinery };
}

export async function cancel(ctx: SplitContext, state: SplitState | undefined, opts: { dropTarget?: boolean; confirm?: boolean }): Promise<CancelResult> {
  if (state?.phase === 'cutover' || state?.phase === 'completed') throw new SplitError('WRONG_PHASE', `cancel works before cutover only; ${ctx.service.name} is ${state.phase}${state.phase === 'cutover' ? ' (run rollback first)' : ''}`);
  if (state?.switching && (await flipped(ctx, state))) throw new SplitError('WRONG_PHASE', `the interrupted ${state.switching.kind} already flipped ownership; run "${state.switching.kind}" again to finish it`);
  if (opts.dropTarget && !opts.confirm) throw new SplitError('NEEDS_CONFIRM', '--drop-target drops the target database: add --confirm');
  const removes = await machineryOf(ctx);
  const targetDatabase = ctx.target.db;
  if (ctx.dryRun) return { droppedTarget: !!opts.dropTarget, dryRun: true, targetDatabase, removes };
  const pending = state ? pendingIndexes(state) : [];
  if (pending.length && !opts.dropTarget) ctx.log.warn({ service: ctx.service.name, pending }, 'cancel leaves the target tables without the secondary indexes deferred during the copy');
  const policy = ddlPolicy(ctx);
  await dropToolTriggers(ctx.source, ctx.service.name, policy);
  await dropToolTriggers(ctx.target, ctx.service.name, policy).catch(() => 0);
  await dropMachinery(ctx.source, ctx.service.name, policy);
  await dropMachinery(ctx.target, ctx.service.name, policy).catch(() => undefined);
  await ctx.store.remove(ctx.service.name).catch(() => undefined);
  if (opts.dropTarget) await dropDatabase(ctx.service.targetDsn);
  return { droppedTarget: !!opts.dropTarget, dryRun: false, targetDatabase, removes };
}

async function flipped(ctx: SplitContext, state: SplitState): Promise<boolean> {
  const own = await openOwnership(ctx);
  try {
    await own.registry.refresh();
    return own.registry.get(ctx.service.spec.domain).version > (state.switching?.expectVersion ?? Infinity);
  } finally {
    await own.close();
  }
}

/**
 * Undoes a cutover (or rollback) killed before its flip: the side that was
 * live gets its capture triggers back, the other side is fenced. Used by
 * `rollback` when it finds an interrupted cutover.
 */
export async function abandonSwitch(ctx: SplitContext, state: SplitState): Promise<'abandoned' | 'already-flipped'> {
  const sw = state.switching;
  if (!sw) throw new SplitError('WRONG_PHASE', 'nothing to abandon');
  if (await flipped(ctx, state)) return 'already-flipped';
  const live = sw.kind === 'cutover' ? ctx.source : ctx.target;
  const other = sw.kind === 'cutover' ? ctx.target : ctx.source;
  if (ctx.dryRun) return 'abandoned';
  await setFence(other, ctx.service.name, true);
  await setFence(live, ctx.service.name, false);
  state.switching = undefined;
  state.attempts.push({ at: new Date().toISOString(), kind: sw.kind, ok: false, error: 'interrupted before the flip; undone' });
  note(state, `${sw.kind} abandoned`, 'interrupted before the flip; writes resumed on the live side');
  await ctx.store.save(state);
  return 'abandoned';
}
