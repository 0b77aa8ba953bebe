import { drain } from './applier.ts';
import type { BinlogPump } from './binlog.ts';
import { backlog } from './capture.ts';
import { beginCapture, captureMode, catchUp, openPump } from './capture-mode.ts';
import { ddlPolicy } from './ddl.ts';
import { acquireLock, movingShapes, type SplitContext } from './context.ts';
import { followApply } from './follow.ts';
import { copyAll, copyDone, snapshotRanges } from './copier.ts';
import { SplitError } from './errors.ts';
import { forwardLink, reverseLink } from './link.ts';
import { claimsFromStates } from './checks/claims.ts';
import { Facts } from './checks/facts.ts';
import { blockedError, CHECKS, runChecks } from './checks/registry.ts';
import { prepareTarget } from './schema.ts';
import { dropCrossingForeignKeys } from './crossing.ts';
import { beginIndexRestore, dropDeferredIndexes, restoreDeferredIndexes } from './deferred-indexes.ts';
import { countApplied, newState, note, type SplitState } from './state.ts';
import { autoIncrementOf } from './introspect.ts';
import { qq } from './sql.ts';
import { checkSchema, reconcileSchema, recordSchema } from './schema-guard.ts';

export interface StartResult {
  state: SplitState;
  backlog: number;
  resumed: boolean;
}

/** The checks start runs (legacy-code only warns, so start skips its repository scan). */
export const START_CHECKS = CHECKS.filter((c) => c.name !== 'legacy-code');

/**
 * start: every check in lib/checks first (refuse on any blocker, having
 * changed nothing) → target schema → capture on → key-range
 * snapshot → chunked copy with interleaved catch-up → drain. Every step is
 * idempotent and the state is saved after each chunk and batch, so a killed
 * run is resumed by running start again. With `follow`, keeps applying
 * captured changes until interrupted (after cutover: the reverse direction).
 */
export async function start(ctx: SplitContext, opts: { follow?: boolean } = {}): Promise<StartResult> {
  // preconditions first: nothing below this block runs unless every check passes
  const before = await ctx.store.load(ctx.service.name);
  if (before?.phase === 'completed') throw new SplitError('WRONG_PHASE', `${ctx.service.name} is already completed`);
  if (before?.switching) throw new SplitError('WRONG_PHASE', `a ${before.switching.kind} of ${ctx.service.name} was interrupted; run "${before.switching.kind}" again to finish it or "rollback" to undo it`);
  const blocked = blockedError(await runChecks(new Facts(ctx), START_CHECKS));
  if (blocked) {
    ctx.log.warn({ service: ctx.service.name, findings: (blocked.details as { findings: unknown[] }).findings.length }, 'start refused: a precondition check failed; nothing was changed');
    throw blocked;
  }
  const release = await acquireLock(ctx);
  let pump: BinlogPump | null = null;
  try {
    // a split of the same tables that saved its state between the checks and the lock
    const late = claimsFromStates(await ctx.store.loadAll(), ctx.service.name, ctx.service.spec.tables);
    if (late.length) throw new SplitError('BLOCKED', `start blocked: ${late.map((f) => f.message).join('; ')}`, { findings: late });
    await ctx.store.ensure();
    let state = await ctx.store.load(ctx.service.name);
    const resumed = !!state;
    if (state?.phase === 'completed') throw new SplitError('WRONG_PHASE', `${ctx.service.name} is already completed`);
    if (state?.switching) throw new SplitError('WRONG_PHASE', `a ${state.switching.kind} of ${ctx.service.name} was interrupted; run "${state.switching.kind}" again to finish it or "rollback" to undo it`);
    if (!state) {
      state = newState(ctx.service.name, ctx.source.masked, ctx.target.masked, ctx.service.spec.tables, ctx.opts.chunkSize);
      await ctx.store.save(state);
    }
    // a resumed split: a moved table altered on one side only refuses here (before the target tables exist there is nothing to compare)
    if (resumed && (state.schema !== undefined || state.phase !== 'copying')) await checkSchema(ctx, state);
    const shapes = await movingShapes(ctx);
    if (state.phase === 'cutover') {
      // after cutover, start keeps the old side current from the reverse capture
      const link = reverseLink(ctx, shapes);
      await followLoop(ctx, state, link, opts.follow);
      return { state, backlog: await backlog(ctx.target, ctx.service.name), resumed };
    }
    const link = forwardLink(ctx, shapes);
    if (state.phase === 'copying') {
      // the capture mode first: a --capture binlog the server cannot honour refuses before anything changes
      await captureMode(ctx, state, shapes);
      await prepareTarget(ctx);
      if (state.schema === undefined) await recordSchema(ctx, state); // the definitions the rest of the split holds both sides to
      await dropCrossingForeignKeys(ctx, state);
      // capture BEFORE the first chunk is read (binlog mode: the start position; capture-mode.ts)
      await beginCapture(ctx, state, shapes);
      note(state, 'capture on');
      await ctx.store.save(state);
      ctx.faults.hit('after-capture');
    }
    // binlog mode: the reader runs for the rest of the command (null with triggers)
    pump = await openPump(ctx, state, shapes);
    if (state.phase === 'copying') {
      const onBatch = async (r: { changes: number }) => {
        state!.applied.forward += r.changes;
        state!.applied.batches += 1;
        await ctx.store.save(state!);
      };
      // the target's non-unique secondary indexes go before the first chunk and come back after the last (deferred-indexes.ts)
      await dropDeferredIndexes(ctx, state, link);
      await snapshotRanges(ctx, state, shapes);
      // a table's deferred indexes start coming back as soon as its copy is done, while the next tables load
      await copyAll(ctx, state, link, (t) => beginIndexRestore(ctx, state!, t));
      if (ctx.signal.aborted) return { state, backlog: await backlog(ctx.source, ctx.service.name), resumed };
      if (copyDone(state)) {
        await restoreDeferredIndexes(ctx, state, link, onBatch);
        if (ctx.signal.aborted) return { state, backlog: await backlog(ctx.source, ctx.service.name), resumed };
        await catchUp(ctx, pump);
        await drain(link, ctx.opts.applyBatch, ctx.faults, { signal: ctx.signal, onBatch });
        for (const s of shapes.values()) {
          const ai = await autoIncrementOf(ctx.source.knex, ctx.source.db, s.name);
          if (ai !== null) await ctx.target.knex.raw(`ALTER TABLE ${qq(ctx.target.db, s.name)} AUTO_INCREMENT = ${BigInt(ai).toString()}`);
        }
        state.phase = 'copied';
        note(state, 'copied', `${Object.values(state.tables).reduce((a, t) => a + t.rows, 0)} rows`);
        await ctx.store.save(state);
      }
    } else {
      await catchUp(ctx, pump);
      await drain(link, ctx.opts.applyBatch, ctx.faults, { signal: ctx.signal, onBatch: async (r) => { state!.applied.forward += r.changes; state!.applied.batches += 1; await ctx.store.save(state!); } });
    }
    await followLoop(ctx, state, link, opts.follow, pump);
    return { state, backlog: await backlog(ctx.source, ctx.service.name), resumed };
  } finally {
    await pump?.stop();
    await release();
  }
}

async function followLoop(ctx: SplitContext, state: SplitState, link: ReturnType<typeof forwardLink>, follow?: boolean, pump: BinlogPump | null = null): Promise<void> {
  const onBatch = (r: { changes: number }) => countApplied(state, link.direction, r.changes);
  // a moved table altered while the loop runs: on one side only, the applier holds (the changes wait in the changelog; status
  // says why) until the other side has the same change; then the new definitions are recorded and it goes on with the new columns
  let holding: string | null = null;
  const check = async () => {
    const r = await reconcileSchema(ctx, state);
    if (r.refusal !== null) {
      if (holding !== r.refusal) ctx.log.warn({ service: ctx.service.name, refusal: r.refusal }, 'split-db start --follow: applier held until both sides of the moved tables agree again');
      holding = r.refusal;
      return { hold: true, link: null };
    }
    if (holding !== null) ctx.log.warn({ service: ctx.service.name }, 'split-db start --follow: the moved tables agree again; applying');
    holding = null;
    if (!r.changed) return { hold: false, link: null };
    const shapes = await movingShapes(ctx);
    return { hold: false, link: state.phase === 'cutover' ? reverseLink(ctx, shapes) : forwardLink(ctx, shapes) };
  };
  // the counters are saved at most every FOLLOW_SAVE_GAP_MS (and at the end), not after every batch: a save is a commit on the source
  await followApply(link, { limit: ctx.opts.applyBatch, lagMs: ctx.opts.applyLagMs, faults: ctx.faults, signal: ctx.signal, follow: !!follow, onBatch, save: () => ctx.store.save(state), pump, check: follow ? check : undefined, checkGapMs: ctx.opts.schemaCheckMs });
}
