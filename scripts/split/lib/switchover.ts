import type mysql from 'mysql2/promise';
import { maskSecretsInText } from '../../../lib/mask.ts';
import { drain } from './applier.ts';
import { masterPos, type BinlogPump } from './binlog.ts';
import { setFence, startCapture } from './capture.ts';
import { catchUp, fenceTriggers, openPump } from './capture-mode.ts';
import { movingShapes, type SplitContext } from './context.ts';
import { SplitError } from './errors.ts';
import { autoIncrementOf } from './introspect.ts';
import { forwardLink, reverseLink, type Link } from './link.ts';
import { dropCrossingForeignKeys } from './crossing.ts';
import { ddlPolicy, withDdl, type DdlPolicy } from './ddl.ts';
import { closeWatchedLink, freezeLockWaitSeconds, watchedLink } from './freeze.ts';
import { Watchdog } from './watch.ts';
import { openOwnership } from './ownership.ts';
import { openConnection, type Side } from './side.ts';
import { keyTextExpr, orderBy } from './keys.ts';
import { fenceTable, q, qq, type TableShape } from './sql.ts';
import { countApplied, note, type SplitState } from './state.ts';
import { compareChunk } from './verifier.ts';

export interface SwitchResult {
  kind: 'cutover' | 'rollback';
  freezeMs: number;
  /** Milliseconds spent in each step of the freeze (fence+drain, final catch-up, checks, flip). */
  steps?: Record<string, number>;
  resumed: boolean;
  /** The same switch had already finished (a re-run after a kill that came after its last save): nothing was done. */
  alreadyDone?: boolean;
  owner: string;
  database: string;
}

/**
 * Cutover and rollback are the same dance in opposite directions:
 *   1. catch up while writes continue; prepare the new live side outside the
 *      freeze: capture triggers installed there (fenced), AUTO_INCREMENT raised
 *      past the old side's with a margin;
 *   2. raise the fence on the live side: one UPDATE of its fence row. Every
 *      transaction that wrote a moved table holds a shared lock on that row
 *      until it ends, so the UPDATE returns only when they all committed or
 *      rolled back (the drain, Vitess #9400); writers arriving meanwhile queue
 *      behind it and then get an error. A watchdog KILLs the UPDATE at the
 *      abort limit, so a long transaction cannot stretch the freeze;
 *   3. final catch-up; compare the newest rows (Spirit #156); AUTO_INCREMENT
 *      re-checked;
 *   4. lower the fence on the new live side and flip the ownership registry
 *      with compare-and-set. The freeze is 2 → 4.
 * Any failure before the flip undoes the fence: writes resume where they were
 * and ownership is unchanged. The fence stays up on the old side afterwards,
 * so a stale process writing there gets an error instead of losing its write.
 */
export async function switchOver(ctx: SplitContext, state: SplitState, kind: 'cutover' | 'rollback'): Promise<SwitchResult> {
  const shapes = await movingShapes(ctx);
  const link = kind === 'cutover' ? forwardLink(ctx, shapes) : reverseLink(ctx, shapes);
  const abortMs = ctx.opts.freezeAbortMs;
  const lockWait = freezeLockWaitSeconds(abortMs);
  const watchdog = new Watchdog(abortMs, () => ctx.log.warn({ abortMs }, `${kind}: write freeze reached the abort limit; killing the tool's statements on both servers`));
  // the registry's sessions are watched too: a lock wait on the flip cannot outlive the freeze either
  const own = await openOwnership(ctx, {
    announce: true,
    session: [`innodb_lock_wait_timeout = ${lockWait}`, `lock_wait_timeout = ${lockWait}`],
    onConnect: (threadId) => watchdog.watch({ dsn: ctx.service.ownershipDsn, threadId }),
  });
  const domain = ctx.service.spec.domain;
  let pump: BinlogPump | null = null;
  try {
    await own.registry.refresh();
    let rec = own.registry.get(domain);
    const wantFlipped = kind === 'cutover' ? { owner: 'service' as const, database: 'own' as const } : (state.previousOwnership ?? { owner: 'legacy' as const, database: 'legacy' as const });

    // resume after a kill: did the flip commit?
    if (state.switching?.kind === kind && rec.version > state.switching.expectVersion) {
      await finish(ctx, state, link, kind, 0, true);
      return { kind, freezeMs: 0, resumed: true, owner: rec.owner, database: rec.database };
    }
    // a re-run of a switch that already finished (killed after its last save, before the process exited — seen in the
    // split soak): nothing to do; exit 0 keeps "any step can be killed and re-run" true
    const last = state.attempts.at(-1);
    const flippedNow = rec.owner === 'service' && rec.database === 'own';
    if (!state.switching && last?.kind === kind && last.ok && state.phase === (kind === 'cutover' ? 'cutover' : 'copied') && flippedNow === (kind === 'cutover')) {
      ctx.log.info({ kind, at: last.at }, `${kind} already done; nothing to do`);
      return { kind, freezeMs: 0, resumed: true, alreadyDone: true, owner: rec.owner, database: rec.database };
    }
    const wantPhase = kind === 'cutover' ? 'copied' : 'cutover';
    if (state.phase !== wantPhase) throw new SplitError('WRONG_PHASE', `${kind} needs phase ${wantPhase}, ${ctx.service.name} is ${state.phase}`);
    if (kind === 'cutover' && rec.owner === 'service' && rec.database === 'own') {
      throw new SplitError('WRONG_PHASE', `ownership of ${domain} already says service/own (version ${rec.version}); refusing to flip again`);
    }

    // binlog capture (capture-mode.ts): the reader runs through the freeze; a rollback goes back to trigger capture
    if (kind === 'rollback') await rollbackToTriggers(ctx, state, shapes);
    pump = kind === 'cutover' ? await openPump(ctx, state, shapes) : null;
    await catchUp(ctx, pump);
    // 1. catch up while the application keeps writing; prepare the new side (DDL bounded by lib/ddl.ts)
    // refuses before any freeze while a poison row is parked (applier.ts): the flip would leave it behind
    await drain(link, ctx.opts.applyBatch, ctx.faults, { maxMs: 30_000, signal: ctx.signal, noPoison: true, onBatch: (r) => countApplied(state, link.direction, r.changes) });
    if (kind === 'cutover') await dropCrossingForeignKeys(ctx, state, ddlPolicy(ctx));
    // binlog mode: the source's fence (row triggers) is installed now, before the freeze (capture-mode.ts)
    if (kind === 'cutover') await fenceTriggers(ctx, state, shapes);
    await startCapture(link.to, ctx.service.name, shapes, true, false, ddlPolicy(ctx));
    await setFence(link.to, ctx.service.name, true);
    await carryAutoIncrement(link, AUTO_INCREMENT_MARGIN, ddlPolicy(ctx));

    if (kind === 'cutover' && !state.previousOwnership) state.previousOwnership = { owner: rec.owner, database: rec.database };
    state.switching = { kind, step: 'fencing', startedAt: new Date().toISOString(), expectVersion: rec.version };
    await ctx.store.save(state);

    const fenceConn = await openConnection(link.from.dsn);
    watchdog.watch({ dsn: link.from.dsn, threadId: fenceConn.threadId });
    const openConn = await openConnection(link.to.dsn);
    watchdog.watch({ dsn: link.to.dsn, threadId: openConn.threadId });
    // every statement inside the freeze runs on watched sessions with short lock waits, on both servers
    const frozen = watchedLink(link, watchdog, abortMs);
    const fence: FenceProgress = { open: false, committed: false, newSideTx: false, newSideOpen: false, step: 'preparing' };
    let t0 = performance.now();
    let flipped = false;
    try {
      for (const c of [fenceConn, openConn]) await c.query(`SET SESSION innodb_lock_wait_timeout = ${lockWait}, SESSION lock_wait_timeout = ${lockWait}`);
      // the preparation took a while under load: catch up once more, right before the fence, so the frozen catch-up is small
      await catchUp(ctx, pump);
      await drain(link, ctx.opts.applyBatch, ctx.faults, { maxMs: 5_000, signal: ctx.signal, onBatch: (r) => countApplied(state, link.direction, r.changes) });
      t0 = performance.now();
      watchdog.arm();
      const steps: Record<string, number> = {};
      let mark = performance.now();
      const lap = (name: string) => {
        const now = performance.now();
        steps[name] = Math.round((now - mark) * 10) / 10;
        mark = now;
      };
      // 2. fence + drain, in a transaction kept open until the flip: writers queue behind it, and an abort is a ROLLBACK
      fence.step = 'raising the fence (drain)';
      await raiseFence(fenceConn, link.from.db, ctx.service.name, watchdog, fence);
      lap('fence+drain');
      watchdog.check('fence');
      ctx.faults.hit('cutover-fenced');
      // 3. final catch-up, newest rows, AUTO_INCREMENT
      fence.step = 'final catch-up';
      // binlog mode: every write before the fence is in the binlog before this position; the reader must pass it first
      if (pump) await pump.waitFor(await masterPos(ctx.source), Math.max(1, abortMs - (performance.now() - t0)), ctx.signal);
      await drain(frozen, ctx.opts.applyBatch, ctx.faults, { noPoison: true, onBatch: (r) => countApplied(state, link.direction, r.changes) });
      lap('final catch-up');
      watchdog.check('final catch-up');
      fence.step = 'newest-rows check';
      await checkNewestRows(frozen, ctx.opts.newestRowsCheck);
      lap('newest rows');
      watchdog.check('newest-rows check');
      fence.step = 'auto_increment';
      await carryAutoIncrement(frozen, 0n);
      lap('auto_increment');
      watchdog.check('auto_increment');
      ctx.faults.hit(kind === 'cutover' ? 'cutover-before-flip' : 'rollback-before-flip');
      // 4. open the new side, close the old one for good, flip
      fence.step = 'opening the new side';
      // lowered in a transaction committed only after the old side's fence: a crash in between leaves both sides closed, never both open
      await openConn.query('START TRANSACTION');
      fence.newSideTx = true;
      await lowerFence(openConn, link.to.db, ctx.service.name);
      watchdog.check('opening the new side');
      fence.step = 'flip';
      await fenceConn.query('COMMIT');
      fence.committed = true;
      fence.open = false;
      await openConn.query('COMMIT');
      fence.newSideTx = false;
      fence.newSideOpen = true;
      rec = await own.registry.set(domain, wantFlipped, {
        actor: ctx.actor, reason: `split-db ${kind} of ${ctx.service.name}${kind === 'cutover' && state.forcedCutover ? ` FORCED without a clean verify: ${state.forcedCutover.reason}` : ''}`.slice(0, 500), ifVersion: state.switching.expectVersion,
      });
      lap('open + flip');
      flipped = true;
      await watchdog.disarm();
      const freezeMs = Math.round((performance.now() - t0) * 10) / 10;
      if (kind === 'cutover') ctx.faults.hit('cutover-after-flip');
      await finish(ctx, state, link, kind, freezeMs, false);
      return { kind, freezeMs, steps, resumed: false, owner: rec.owner, database: rec.database };
    } catch (err) {
      const fired = watchdog.fired;
      await watchdog.disarm();
      if (!flipped) {
        if (fence.committed) {
          // the flip was attempted: was it committed even though we saw an error?
          await own.registry.refresh().catch(() => undefined);
          if (own.registry.get(domain).version > state.switching.expectVersion) {
            await finish(ctx, state, link, kind, Math.round(performance.now() - t0), false);
            const r = own.registry.get(domain);
            return { kind, freezeMs: Math.round(performance.now() - t0), resumed: true, owner: r.owner, database: r.database };
          }
        }
        await undo(ctx, state, link, kind, err, fired, t0, fenceConn, openConn, fence);
      }
      throw err;
    } finally {
      await watchdog.disarm();
      await fenceConn.end().catch(() => fenceConn.destroy());
      await openConn.end().catch(() => openConn.destroy());
      await closeWatchedLink(frozen);
    }
  } finally {
    await watchdog.disarm();
    await pump?.stop();
    await own.close();
  }
}

/**
 * A rollback reopens the source with trigger capture: its fence-only triggers
 * are rewritten to capture (before any freeze), and the split continues in
 * trigger mode (the binlog reader's position would be stale).
 */
async function rollbackToTriggers(ctx: SplitContext, state: SplitState, shapes: Map<string, TableShape>): Promise<void> {
  if (state.capture?.mode !== 'binlog') return;
  await startCapture(ctx.source, ctx.service.name, shapes, true, true, ddlPolicy(ctx));
  state.capture = { mode: 'triggers', why: 'rollback: the source captures with triggers again' };
  note(state, 'capture mode triggers', state.capture.why);
  await ctx.store.save(state);
}

/** Where the fences stand inside a freeze, so an abort undoes exactly what was done. */
interface FenceProgress {
  /** The old side's fence is raised in a transaction still open (an abort rolls it back). */
  open: boolean;
  /** The old side's fence is committed (an abort must lower it again). */
  committed: boolean;
  /** The new side's fence is lowered in a transaction still open (an abort rolls it back). */
  newSideTx: boolean;
  /** The new side's fence was lowered and committed (an abort raises it again first). */
  newSideOpen: boolean;
  /** The step running (named in an abort). */
  step: string;
}

async function finish(ctx: SplitContext, state: SplitState, link: Link, kind: 'cutover' | 'rollback', freezeMs: number, resumed: boolean): Promise<void> {
  if (resumed) {
    // killed right after the flip: make sure the sides are in their final state
    await startCapture(link.to, ctx.service.name, link.shapes);
    await setFence(link.to, ctx.service.name, false);
    await setFence(link.from, ctx.service.name, true);
  }
  state.phase = kind === 'cutover' ? 'cutover' : 'copied';
  state.switching = undefined;
  state.verify = undefined;
  if (kind === 'rollback') state.previousOwnership = undefined;
  state.attempts.push({ at: new Date().toISOString(), kind, ok: true, ...(resumed ? {} : { freezeMs }) });
  note(state, kind === 'cutover' ? 'cut over' : 'rolled back', resumed ? 'resumed after interruption' : `write freeze ${freezeMs} ms`);
  await ctx.store.save(state);
}

async function undo(ctx: SplitContext, state: SplitState, link: Link, kind: 'cutover' | 'rollback', err: unknown, timedOut: boolean, t0: number, fenceConn: mysql.Connection, openConn: mysql.Connection, fence: FenceProgress): Promise<never> {
  const lockWait = freezeLockWaitSeconds(ctx.opts.freezeAbortMs);
  const problems: string[] = [];
  // the side that was not live is closed again first (only if it was opened), then writes resume on the live side
  if (fence.newSideTx) await openConn.query('ROLLBACK').catch(() => openConn.destroy());
  if (fence.newSideOpen) {
    await setFence(link.to, ctx.service.name, true, { attempts: UNDO_FENCE_ATTEMPTS, lockWaitSeconds: 1 }).catch((e) => {
      problems.push(`the ${link.to === ctx.target ? 'target' : 'source'} could not be fenced again (${(e as Error).message}); run rollback/cutover to finish`);
    });
  }
  if (fence.open) {
    // the fence was never committed: rolling it back releases every queued writer at once, no lock wait
    await fenceConn.query('ROLLBACK').catch(() => fenceConn.destroy());
  } else if (fence.committed) {
    await setFence(link.from, ctx.service.name, false, { attempts: UNDO_FENCE_ATTEMPTS, lockWaitSeconds: lockWait });
  }
  for (const p of problems) ctx.log.warn({ table: [...link.shapes.keys()].join(',') }, p);
  const step = fence.step;
  const msg = maskSecretsInText(err instanceof Error ? err.message : String(err));
  state.switching = undefined;
  // how long writes were held: from the fence attempt until they resumed
  const heldMs = Math.round(performance.now() - t0);
  ctx.log.warn({ kind, heldMs, err: msg }, `${kind} aborted; writes resumed on the side that owned them`);
  state.attempts.push({ at: new Date().toISOString(), kind, ok: false, error: msg, freezeMs: heldMs });
  note(state, `${kind} aborted`, msg);
  await ctx.store.save(state);
  const why = timedOut ? `write freeze exceeded the abort limit of ${ctx.opts.freezeAbortMs} ms in step "${step}": ${maskSecretsInText((err as { sqlMessage?: string }).sqlMessage ?? msg)}` : msg;
  throw new SplitError('CUTOVER_ABORTED', `${kind} of ${ctx.service.name} aborted (${why}); writes resumed on ${link.from === ctx.source ? 'the source' : 'the target'}, ownership unchanged (step ${step})${problems.length ? `; ${problems.join('; ')}` : ''}`);
}

/** Attempts (each bounded by a short lock wait) to set a fence back when undoing an aborted freeze. */
const UNDO_FENCE_ATTEMPTS = 10;

/** Compares the newest rows of every table (Spirit #156: the last rows are where a cutover loses data). */
async function checkNewestRows(link: Link, n: number): Promise<void> {
  for (const shape of link.shapes.values()) {
    const [rows] = await link.from.knex.raw(`SELECT ${keyTextExpr(shape.key)} AS k FROM ${qq(link.from.db, shape.name)} ORDER BY ${orderBy(shape.key, true)} LIMIT 1 OFFSET ${n}`);
    const lo = (rows as Array<{ k: string }>)[0]?.k;
    const r = await compareChunk(link, shape, lo === undefined ? null : String(lo), null);
    if (!r.equal) throw new SplitError('VERIFY_FAILED', `newest rows of ${shape.name} differ after the final catch-up`);
  }
}

/** Keys handed out between the pre-freeze AUTO_INCREMENT raise and the fence are covered by this margin. */
export const AUTO_INCREMENT_MARGIN = 10_000n;

/**
 * The new live side must never hand out a key the old side already used, even
 * one whose row was deleted at the top of the table (gh-ost #967). Raised with
 * a margin before the freeze (ALTER takes ~100 ms here); re-checked in it.
 */
async function carryAutoIncrement(link: Link, margin: bigint, policy?: DdlPolicy): Promise<void> {
  for (const shape of link.shapes.values()) {
    const [a, b] = await Promise.all([autoIncrementOf(link.from.knex, link.from.db, shape.name), autoIncrementOf(link.to.knex, link.to.db, shape.name)]);
    if (a === null) continue;
    const have = b === null ? 0n : BigInt(b);
    if (margin > 0n ? have < BigInt(a) + margin / 2n : have < BigInt(a)) {
      const sql = `ALTER TABLE ${qq(link.to.db, shape.name)} AUTO_INCREMENT = ${(BigInt(a) + margin).toString()}`;
      // outside the freeze: bounded DDL; inside it: the link's watched sessions (short lock waits, KILLed at the limit)
      if (policy) await withDdl(link.to, policy, (ddl) => ddl.run(sql, 'raising AUTO_INCREMENT', [shape.name]));
      else await link.to.knex.raw(sql);
    }
  }
}

/**
 * UPDATE of the fence row inside a transaction left open: it returns once every
 * writer holding the row's shared lock has finished (the drain), and writers
 * arriving later wait behind it until COMMIT (fenced) or ROLLBACK (abort).
 * Retried on deadlock (which rolls the transaction back) while the watchdog allows.
 */
async function raiseFence(conn: mysql.Connection, db: string, service: string, watchdog: Watchdog, fence: FenceProgress): Promise<void> {
  for (;;) {
    await conn.query('START TRANSACTION');
    fence.open = true;
    try {
      await conn.query(`UPDATE ${qq(db, fenceTable(service))} SET fenced = 1, changed_at = CURRENT_TIMESTAMP(6) WHERE id = 1`);
      return;
    } catch (err) {
      if ((err as { errno?: number }).errno === 1213 && !watchdog.fired) continue;
      throw err;
    }
  }
}

/** Lowers the new side's fence on its watched session (short lock wait; KILLed at the abort limit), no retries. */
async function lowerFence(conn: mysql.Connection, db: string, service: string): Promise<void> {
  await conn.query(`UPDATE ${qq(db, fenceTable(service))} SET fenced = 0, changed_at = CURRENT_TIMESTAMP(6) WHERE id = 1 AND fenced <> 0`);
}

export type { Side };
