import { pendingIndexesMessage } from './deferred-indexes.ts';
import { abandonSwitch, cancel, complete } from './finish.ts';
import { acquireLock, movingShapes, type SplitContext } from './context.ts';
import { SplitError } from './errors.ts';
import { currentLink } from './link.ts';
import { catchUp, openPump } from './capture-mode.ts';
import { repointPosition, type RepointResult } from './binlog-failover.ts';
import { logAndApply, plannedKeys, repairableWhy, repairPlan } from './repair.ts';
import { buildPlan, type Plan } from './plan.ts';
import { start, type StartResult } from './start.ts';
import { serviceStatus, type ServiceStatus } from './status.ts';
import { switchOver, type SwitchResult } from './switchover.ts';
import { countApplied, note, type SplitState, type VerifyState } from './state.ts';
import { verify } from './verifier.ts';
import { checkVerifyGate } from './cutover-gate.ts';
import { verifyPredatesSchemaChange } from './verify-gate.ts';
import { checkSchema } from './schema-guard.ts';

/** One function per CLI command; each returns a serialisable result and never exits the process. */
export async function planCommand(ctx: SplitContext): Promise<Plan> {
  return buildPlan(ctx);
}

export async function startCommand(ctx: SplitContext, opts: { follow?: boolean }): Promise<StartResult | { dryRun: true; plan: Plan }> {
  if (ctx.dryRun) return { dryRun: true, plan: await buildPlan(ctx) };
  return start(ctx, opts);
}

async function loadState(ctx: SplitContext): Promise<SplitState> {
  await ctx.store.ensure();
  const s = await ctx.store.load(ctx.service.name);
  if (!s) throw new SplitError('WRONG_PHASE', `${ctx.service.name} has not been started (run: split-db start ${ctx.service.name})`);
  return s;
}

export async function statusCommand(ctx: SplitContext): Promise<ServiceStatus> {
  const state = await ctx.store.load(ctx.service.name);
  return serviceStatus(ctx, state);
}

export async function verifyCommand(ctx: SplitContext, opts: { restart?: boolean }): Promise<VerifyState> {
  const release = await acquireLock(ctx);
  try {
    const state = await loadState(ctx);
    if (state.switching) throw new SplitError('WRONG_PHASE', `a ${state.switching.kind} was interrupted; finish or undo it first`);
    const pending = pendingIndexesMessage(state);
    if (pending) throw new SplitError('WRONG_PHASE', `verify needs a finished copy: ${pending}`);
    if (state.phase !== 'copied' && state.phase !== 'cutover') throw new SplitError('WRONG_PHASE', `verify needs a finished copy; ${ctx.service.name} is ${state.phase} (run start)`);
    await checkSchema(ctx, state);
    // an unfinished verify begun before a moved table's definition changed starts over: its chunks compared the old columns
    const restart = opts.restart || (!!state.verify && verifyPredatesSchemaChange(state));
    const shapes = await movingShapes(ctx);
    const link = currentLink(ctx, state.phase, shapes);
    // binlog capture: the reader keeps the changelog fed while verify catches up (capture-mode.ts)
    const pump = await openPump(ctx, state, shapes);
    try {
      await catchUp(ctx, pump);
      // every catch-up of verify first waits for the reader, so it applies what was committed before it started
      return await verify(ctx, state, link, { ...opts, restart, captured: pump ? () => catchUp(ctx, pump) : undefined });
    } finally {
      await pump?.stop();
    }
  } finally {
    await release();
  }
}

export async function cutoverCommand(ctx: SplitContext, opts: { force?: boolean; reason?: string } = {}): Promise<SwitchResult | { abandoned: 'cutover' | 'rollback' } | { dryRun: true; wouldFlip: string }> {
  const release = await acquireLock(ctx);
  try {
    const state = await loadState(ctx);
    if (state.switching?.kind === 'rollback') {
      // a rollback killed before its flip: undo its fence, the service side stays live
      const r = await abandonSwitch(ctx, state);
      if (r === 'abandoned') return { abandoned: 'rollback' };
      throw new SplitError('WRONG_PHASE', 'the interrupted rollback already flipped ownership; run rollback again to finish it, then cutover');
    }
    const pending = state.switching ? null : pendingIndexesMessage(state);
    if (pending) throw new SplitError('WRONG_PHASE', `cutover needs a finished copy: ${pending}`);
    if (!state.switching && state.phase === 'copied') await checkSchema(ctx, state); // a moved table altered on one side only, or alike since the last verify
    if (!state.switching) await checkVerifyGate(ctx, state, opts); // #7: refuses unless the last verify is clean and recent
    if (ctx.dryRun) {
      if (state.phase !== 'copied' && state.switching?.kind !== 'cutover') throw new SplitError('WRONG_PHASE', `cutover needs phase copied, ${ctx.service.name} is ${state.phase}`);
      return { dryRun: true, wouldFlip: `${ctx.service.spec.domain} → service/own` };
    }
    if (state.switching && state.switching.kind !== 'cutover') throw new SplitError('WRONG_PHASE', `a ${state.switching.kind} was interrupted; run it again or undo it`);
    return await switchOver(ctx, state, 'cutover');
  } finally {
    await release();
  }
}

export async function rollbackCommand(ctx: SplitContext): Promise<SwitchResult | { abandoned: 'cutover' | 'rollback' } | { dryRun: true; wouldFlip: string }> {
  const release = await acquireLock(ctx);
  try {
    const state = await loadState(ctx);
    if (state.switching?.kind === 'cutover') {
      // a cutover killed before its flip: undo its fence
      const r = await abandonSwitch(ctx, state);
      if (r === 'abandoned') return { abandoned: 'cutover' };
      throw new SplitError('WRONG_PHASE', 'the interrupted cutover already flipped ownership; run cutover again to finish it, then rollback');
    }
    if (!state.switching && state.phase === 'cutover') await checkSchema(ctx, state); // legacy must take the service's rows as they are
    if (ctx.dryRun) {
      if (state.phase !== 'cutover') throw new SplitError('WRONG_PHASE', `rollback needs phase cutover, ${ctx.service.name} is ${state.phase}`);
      const p = state.previousOwnership ?? { owner: 'legacy', database: 'legacy' };
      return { dryRun: true, wouldFlip: `${ctx.service.spec.domain} → ${p.owner}/${p.database}` };
    }
    return await switchOver(ctx, state, 'rollback');
  } finally {
    await release();
  }
}

export async function completeCommand(ctx: SplitContext, opts: { confirm?: boolean }) {
  const release = await acquireLock(ctx);
  try {
    return await complete(ctx, await loadState(ctx), opts);
  } finally {
    await release();
  }
}

export async function cancelCommand(ctx: SplitContext, opts: { dropTarget?: boolean; confirm?: boolean }) {
  const release = await acquireLock(ctx);
  try {
    await ctx.store.ensure();
    return await cancel(ctx, await ctx.store.load(ctx.service.name), opts);
  } finally {
    await release();
  }
}

/**
 * After a failover of the source (`--source` now names the new primary): moves
 * the binlog capture's saved position to this server's binlog by its GTID
 * position (binlog-failover.ts). Only a split that reads the binlog has such a
 * position; trigger capture (and the reverse direction after a cutover) needs
 * nothing: its triggers and changelog are replicated with the database.
 */
export async function repointCommand(ctx: SplitContext): Promise<RepointResult | { service: string; changed: false; dryRun: boolean; why: string }> {
  const release = await acquireLock(ctx);
  try {
    const state = await loadState(ctx);
    const dryRun = !!ctx.dryRun;
    if (state.capture?.mode !== 'binlog') {
      return { service: ctx.service.name, changed: false, dryRun, why: 'this split captures changes with triggers: nothing to move (its triggers and changelog are replicated with the database)' };
    }
    if (state.phase === 'cutover' || state.phase === 'completed') {
      return { service: ctx.service.name, changed: false, dryRun, why: `${ctx.service.name} is ${state.phase}: the binlog is not read any more (changes are captured with triggers on the service's database)` };
    }
    const r = await repointPosition(ctx.source, ctx.service.name, dryRun);
    if (r.changed) {
      ctx.log.warn({ service: ctx.service.name, from: r.from, to: r.to }, 'split-db repoint: binlog position moved to this server\'s binlog by GTID');
      note(state, 'binlog position repointed', r.why);
      await ctx.store.save(state);
    }
    return r;
  } finally {
    await release();
  }
}

export interface RepairResult {
  service: string;
  direction: 'forward' | 'reverse';
  dryRun: boolean;
  /** Keys logged for the applier, per table (with --dry-run: that would be). */
  tables: Record<string, number>;
  logged: number;
  /** Changelog entries the catch-up applied (the repair's and any pending). */
  applied: number;
  /** Keys the copy refused, parked as poison rows (status lists them with the server's error). */
  poisoned: number;
  /** Differences no key list repairs. */
  unrepairable: string[];
  /** The last verify's list was cut at its limit: verify and repair again for the rest. */
  truncated: boolean;
  why: string;
}

/**
 * Repairs what the last verify found (repair.ts): its differing keys are
 * logged in the live side's changelog and applied, so the copy holds the live
 * rows for them. The cutover still needs a clean verify afterwards.
 */
export async function repairCommand(ctx: SplitContext): Promise<RepairResult> {
  const release = await acquireLock(ctx);
  try {
    const state = await loadState(ctx);
    if (state.switching) throw new SplitError('WRONG_PHASE', `a ${state.switching.kind} was interrupted; finish or undo it first`);
    if (state.phase !== 'copied' && state.phase !== 'cutover') throw new SplitError('WRONG_PHASE', `repair needs a finished copy and a verify; ${ctx.service.name} is ${state.phase}`);
    await checkSchema(ctx, state);
    const shapes = await movingShapes(ctx);
    const link = currentLink(ctx, state.phase, shapes);
    const why = repairableWhy(state.verify, link.direction);
    if (why) throw new SplitError('WRONG_PHASE', why);
    const v = state.verify!;
    const base = { service: ctx.service.name, direction: link.direction, dryRun: !!ctx.dryRun, truncated: !!v.truncated };
    if (v.ok) return { ...base, tables: {}, logged: 0, applied: 0, poisoned: 0, unrepairable: [], why: 'the last verify found no difference: nothing to repair' };
    const plan = repairPlan(v.differences, new Set(shapes.keys()));
    const keys = await plannedKeys(link, plan);
    const tables = Object.fromEntries([...keys].map(([t, set]) => [t, set.size]));
    const n = Object.values(tables).reduce((a, b) => a + b, 0);
    const rest = v.truncated ? '; the last verify listed only the first differences: verify and repair again for the rest' : '';
    if (ctx.dryRun) return { ...base, tables, logged: 0, applied: 0, poisoned: 0, unrepairable: plan.unrepairable, why: `would log ${n} key(s) for the applier${rest}` };
    let poisoned = 0;
    const r = await logAndApply(link, keys, ctx.opts.applyBatch, ctx.faults, (b) => {
      poisoned += b.poisoned;
      countApplied(state, link.direction, b.changes);
    });
    ctx.log.warn({ service: ctx.service.name, direction: link.direction, tables, unrepairable: plan.unrepairable }, 'split-db repair: the last verify\'s differing keys logged for the applier and applied');
    note(state, 'repaired', `${r.logged} key(s) of the last verify's differences logged and applied (${link.direction})${plan.unrepairable.length ? `; not repairable by key: ${plan.unrepairable.join('; ')}` : ''}`);
    await ctx.store.save(state);
    const parked = poisoned ? `; ${poisoned} of them the copy refused (parked as poison rows: see status)` : '';
    return { ...base, tables, logged: r.logged, applied: r.applied, poisoned, unrepairable: plan.unrepairable, why: `logged ${r.logged} key(s) and applied them${parked}; run verify (the cutover needs a clean one)${rest}` };
  } finally {
    await release();
  }
}
